"""A mock of UNI-PASS's e-CO exchange service: the shipped WSDL, on a real socket.

It parses every request with the hardened parser, validates it against
``unipass-service.xsd`` and the payload against its profile, and answers with
schema-valid SOAP 1.1 envelopes or SOAP faults carrying ``svc:ServiceFault``
(``soap:Client`` for a refused request, ``soap:Server`` with ``Transient=true`` for
an injected 503). It remembers what it received, issues tracking numbers, answers a
repeated message id as delivered again (``Duplicate=true``), and by default answers
every new certificate with a customs response queued for the bridge to pull.

``POST /_mock/outbound`` with an ``EcoMsg`` queues it as if Korea sent it.
"""

from __future__ import annotations

import copy
import ssl
import threading

from lxml import etree

from aswbridge import _xml
from aswbridge.errors import MessageError
from aswbridge.pipeline import SigningKey
from aswbridge.testing._peek import Peek, Reader, peek
from aswbridge.testing.mocks.answers import customs_response
from aswbridge.testing.mocks.server import Faults, Mailbox, MockServer, Queued, Reply, Request
from aswbridge.transport.unipass import KIND_OPERATION, SERVICE_NS, SERVICE_XSD, SOAP_NS

__all__ = ["MockUnipass"]

_NS = {"s": SERVICE_NS, "env": SOAP_NS}
_SUBMIT = frozenset(KIND_OPERATION.values())
_XML_TYPE = "text/xml; charset=utf-8"
_schema_lock = threading.Lock()


def _q(name: str) -> str:
    return f"{{{SERVICE_NS}}}{name}"


class _Fault(Exception):
    def __init__(self, code: str, message: str, *, client: bool = True) -> None:
        super().__init__(message)
        self.code, self.message, self.client = code, message, client


class MockUnipass(MockServer):
    """UNI-PASS's exchange service, stateful, with fault injection.

    Args:
        host, port: where to listen (port 0 picks a free one).
        faults: injected 503s, dropped answers, latency, seed.
        respond: answer each new certificate with a customs response.
        reader: reads routing data from payloads (default: the pipeline, strict).
        signing: the key the customs responses are signed with (unsigned if ``None``).
        ssl_context: serve HTTPS (require a client certificate for mutual TLS).
    """

    base_path = "/eco/ExchangeService"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        respond: bool = True,
        reader: Reader = peek,
        signing: SigningKey | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            faults=faults,
            ssl_context=ssl_context,
            mailbox=Mailbox(tracking_prefix="KCS"),
        )
        self.respond = respond
        self._reader = reader
        self.signing = signing

    # --- HTTP ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(status=405, body=b"POST a SOAP 1.1 envelope", content_type="text/plain")
        try:
            answer = self._operation(request.body)
        except _Fault as fault:
            return _fault_reply(fault)
        return Reply(status=200, body=_envelope(answer), content_type=_XML_TYPE)

    def unavailable(self) -> Reply:
        fault = _Fault("SERVICE_UNAVAILABLE", "service temporarily unavailable", client=False)
        reply = _fault_reply(fault, transient=True)
        return Reply(status=503, body=reply.body, content_type=_XML_TYPE)

    def outbound(self, body: bytes) -> Reply:
        try:
            routing = self._reader(body)
        except MessageError as exc:
            return Reply.json({"code": exc.code, "message": exc.message}, status=400)
        item = self.mailbox.queue(
            message_id=routing.message_id,
            kind=routing.kind,
            sender=routing.sender,
            receiver=routing.receiver,
            body=body,
        )
        return Reply.json({"ref": item.ref, "message_id": item.message_id}, status=201)

    # --- operations ---------------------------------------------------------------------

    def _operation(self, data: bytes) -> etree._Element:
        try:
            root = _xml.parse(data)
        except MessageError as exc:
            raise _Fault(exc.code, exc.message) from None
        body = root.find("env:Body", _NS) if root.tag == f"{{{SOAP_NS}}}Envelope" else None
        request = None if body is None else next(iter(body), None)
        if request is None or etree.QName(request).namespace != SERVICE_NS:
            raise _Fault("NOT_AN_OPERATION", "the Body holds no operation of this service")
        schema = _xml.load_schema(SERVICE_XSD)
        with _schema_lock:
            if not schema.validate(request):
                raise _Fault("SCHEMA_INVALID", str(schema.error_log)[:1000])
        name = etree.QName(request).localname
        if name in _SUBMIT:
            return self._submit(name, request)
        handler = {
            "GetPendingHeaders": self._pending,
            "PullMessage": self._pull,
            "Acknowledge": self._acknowledge,
            "AcknowledgeFailed": self._acknowledge,
            "GetTrackingInfo": self._tracking,
        }.get(name)
        if handler is None:
            raise _Fault("NOT_AN_OPERATION", f"{name} is not an operation of this service")
        return handler(request)

    def _submit(self, operation: str, request: etree._Element) -> etree._Element:
        header = request.find("s:Header", _NS)
        content = request.find("s:Content", _NS)
        assert header is not None and content is not None  # schema-valid
        payload = copy.deepcopy(content[0])
        etree.cleanup_namespaces(payload)
        body = etree.tostring(payload, xml_declaration=True, encoding="utf-8")
        try:
            routing = self._reader(body)
        except MessageError as exc:
            raise _Fault(exc.code, exc.message) from None
        message_id = header.findtext("s:MessageId", namespaces=_NS)
        kind = header.findtext("s:Kind", namespaces=_NS)
        if routing.message_id != message_id or routing.kind != kind:
            raise _Fault("HEADER_MISMATCH", "the header does not match the payload")
        if KIND_OPERATION.get(routing.kind) != operation:
            raise _Fault("WRONG_OPERATION", f"a {routing.kind} is not submitted with {operation}")
        record, duplicate = self.mailbox.receive(
            message_id=routing.message_id, kind=routing.kind, sender=routing.sender, body=body
        )
        if not duplicate and self.respond:
            self._queue_response(routing)
        return _element(
            "SubmitResult",
            MessageId=record.message_id,
            TrackingNumber=record.tracking,
            Duplicate="true" if duplicate else "false",
            Status="Delivered",
        )

    def _queue_response(self, routing: Peek) -> None:
        answer = customs_response(routing, profile="unipass", signing=self.signing)
        if answer is not None:
            message_id, body = answer
            self.mailbox.queue(
                message_id=message_id,
                kind="response",
                sender=routing.receiver,
                receiver=routing.sender,
                body=body,
            )

    def _pending(self, request: etree._Element) -> etree._Element:
        limit = int(request.findtext("s:Limit", default="100", namespaces=_NS))
        recipient = request.findtext("s:Recipient", default=None, namespaces=_NS)
        result = etree.Element(_q("PendingHeaders"), nsmap={"svc": SERVICE_NS})
        for item in self.mailbox.pending(limit, receiver=recipient):
            result.append(_header(item))
        return result

    def _queued(self, request: etree._Element) -> Queued:
        ref = request.findtext("s:TrackingNumber", default="", namespaces=_NS)
        item = self.mailbox.queued.get(ref)
        if item is None:
            raise _Fault("NOT_FOUND", f"no message with tracking number {ref}")
        return item

    def _pull(self, request: etree._Element) -> etree._Element:
        item = self._queued(request)
        result = etree.Element(_q("PulledMessage"), nsmap={"svc": SERVICE_NS})
        result.append(_header(item))
        content = etree.SubElement(result, _q("Content"))
        content.append(_xml.parse(item.body))
        return result

    def _acknowledge(self, request: etree._Element) -> etree._Element:
        item = self._queued(request)
        if etree.QName(request).localname == "AcknowledgeFailed":
            self.mailbox.settle(
                item.ref,
                state="rejected",
                code=request.findtext("s:Code", default="", namespaces=_NS),
                reason=request.findtext("s:Reason", default="", namespaces=_NS),
            )
        else:
            self.mailbox.settle(item.ref, state="acknowledged")
        status = "FailedDelivery" if item.state == "rejected" else "Delivered"
        return _element("AcknowledgeResult", TrackingNumber=item.ref, Status=status)

    def _tracking(self, request: etree._Element) -> etree._Element:
        message_id = request.findtext("s:MessageId", default="", namespaces=_NS)
        record = self.mailbox.received.get(message_id)
        if record is None:
            return _element("TrackingInfo", MessageId=message_id, Status="EnvelopeNotExists")
        return _element(
            "TrackingInfo",
            MessageId=message_id,
            Status="Delivered",
            TrackingNumber=record.tracking,
        )


# --- rendering ---------------------------------------------------------------------------


def _element(name: str, **children: str) -> etree._Element:
    element = etree.Element(_q(name), nsmap={"svc": SERVICE_NS})
    for child, text in children.items():
        etree.SubElement(element, _q(child)).text = text
    return element


def _header(item: Queued) -> etree._Element:
    header = etree.Element(_q("Header"), nsmap={"svc": SERVICE_NS})
    for child, text in (
        ("MessageId", item.message_id),
        ("Kind", item.kind),
        ("From", item.sender),
        ("To", item.receiver),
        ("TrackingNumber", item.ref),
    ):
        etree.SubElement(header, _q(child)).text = text
    return header


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Body").append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _fault_reply(fault: _Fault, *, transient: bool = False) -> Reply:
    element = etree.Element(f"{{{SOAP_NS}}}Fault", nsmap={"soap": SOAP_NS})
    etree.SubElement(element, "faultcode").text = "soap:Client" if fault.client else "soap:Server"
    etree.SubElement(element, "faultstring").text = fault.message[:2000]
    detail = etree.SubElement(element, "detail")
    detail.append(
        _element(
            "ServiceFault",
            Code=fault.code[:64],
            Message=fault.message[:2000],
            Transient="true" if transient else "false",
        )
    )
    return Reply(status=500, body=_envelope(element), content_type=_XML_TYPE)
