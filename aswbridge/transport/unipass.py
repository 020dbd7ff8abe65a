"""The UNI-PASS side: the e-CO exchange service over SOAP 1.1 (zeep).

The zeep client is built once from the WSDL shipped in the package (never fetched),
with strict settings and no DTD. zeep renders the request envelopes; the answers are
taken raw and read by aswbridge itself: the hardened parser, then the service schema,
then the fault rules:

* ``soap:Client`` fault → :class:`RemoteRejected` (never retried);
* ``soap:Server`` fault marked ``Transient`` (or without detail) → retryable;
  ``soap:Server`` fault marked not transient → :class:`RemoteRejected`;
* HTTP 5xx without a fault → retryable; other non-2xx → :class:`RemoteRejected`;
* a DOCTYPE, an entity or an over-sized answer → :class:`ResponseRefused`;
* a 2xx answer that is not the expected reply (an HTML page, a truncated envelope,
  a receipt for another message id) → :class:`OutcomeUnknown`.

The certificate payload is passed to zeep as an lxml element in the ``xs:any`` slot,
never through zeep's typed objects.
"""

from __future__ import annotations

import copy
import functools
import threading
from pathlib import Path
from typing import Any, cast

from lxml import etree

from aswbridge import _xml
from aswbridge._settings import validate_url
from aswbridge.errors import (
    MAX_REMOTE_CODE,
    ConfigurationError,
    DtdForbidden,
    InputTooLarge,
    MessageError,
    XmlLimitExceeded,
    clip,
    partner_text,
)
from aswbridge.logs import redact
from aswbridge.transport._http import HttpAnswer, HttpClient, HttpPolicy, status_error
from aswbridge.transport.base import (
    Delivered,
    Inbound,
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
    TrackState,
)

__all__ = ["KIND_OPERATION", "SERVICE_NS", "SOAP_NS", "UnipassSide"]

SERVICE_NS = "urn:aswbridge:reference:unipass:service:1"
PAYLOAD_NS = "urn:aswbridge:reference:unipass:1"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_FILE = "unipass-eco.wsdl"
SERVICE_XSD = "unipass-service.xsd"
BINDING = f"{{{SERVICE_NS}}}UnipassEcoBinding"

#: The operation that submits each message kind.
KIND_OPERATION = {
    "certificate": "SubmitCertificate",
    "response": "SubmitResponse",
    "receipt": "SubmitReceipt",
    "verification_request": "SubmitVerification",
    "verification_reply": "SubmitVerification",
}
_TRACK: dict[str, TrackState] = {
    "Delivered": "delivered",
    "FailedDelivery": "delivered",
    "PendingDelivery": "pending",
    "EnvelopeNotExists": "unknown",
}
_NS = {"s": SERVICE_NS, "env": SOAP_NS}
_SCHEMA_LOCK = threading.Lock()


def _q(name: str) -> str:
    return f"{{{SERVICE_NS}}}{name}"


class _LocalFiles:
    """A zeep loader that reads shipped schema files and nothing else."""

    def load(self, url: str) -> bytes:
        root = _xml.package_file(WSDL_FILE).parent
        path = Path(url.removeprefix("file://")).resolve()
        if ("://" in url and not url.startswith("file://")) or not path.is_relative_to(root):
            raise ConfigurationError(f"the WSDL may only import packaged files, not {url}")
        return path.read_bytes()


class _ZeepTransport(_LocalFiles):
    """What zeep needs of a transport: loading packaged files and posting envelopes.

    Posting goes through :class:`HttpClient` (deadline, byte cap, error mapping) and
    returns the raw answer, which zeep hands back untouched (``raw_response``).
    """

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]) -> Any:
        body = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        return self._http.request("POST", address, data=body, headers=headers)


@functools.cache
def _wsdl_document() -> Any:
    """Parse the packaged WSDL once per process (zeep Documents are read-only)."""
    import zeep
    from zeep.wsdl import Document

    return Document(
        str(_xml.package_file(WSDL_FILE)), cast(Any, _LocalFiles()), settings=_settings(zeep)
    )


def _settings(zeep: Any) -> Any:
    return zeep.Settings(
        strict=True,
        raw_response=True,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
        xml_huge_tree=False,
    )


class UnipassSide:
    """UNI-PASS's e-CO exchange service, as one side of the bridge.

    Args:
        url: the service endpoint (``https://…``; ``http://`` on loopback for tests).
        policy: timeouts, deadline, TLS (CA bundle, client certificate) and byte cap.
        name: the side's name in logs and the store.
    """

    def __init__(
        self,
        *,
        url: str,
        policy: HttpPolicy | None = None,
        name: str = "unipass",
        recipient: str | None = None,
    ) -> None:
        import zeep

        validate_url("UNI-PASS url", url)
        self.name = name
        self.url = redact(url)  # for messages: never the credentials
        self.recipient = recipient.upper() if recipient else None
        self.policy = policy or HttpPolicy()
        self._http = HttpClient(policy=self.policy)
        self._client = zeep.Client(  # type: ignore[no-untyped-call]
            wsdl=_wsdl_document(),
            transport=_ZeepTransport(self._http),
            settings=_settings(zeep),
        )
        self._service = self._client.create_service(BINDING, url)  # type: ignore[no-untyped-call]

    # --- the Side interface -----------------------------------------------------------

    def deliver(self, item: Outbound) -> Delivered:
        """Submit one message with the operation of its kind; a repeat is recognised."""
        operation = KIND_OPERATION.get(item.kind)
        if operation is None:
            raise ConfigurationError(f"no UNI-PASS operation for kind {item.kind!r}")
        try:
            payload = _xml.parse(item.body)
        except MessageError as exc:
            raise ConfigurationError(f"outbound {item.message_id} is not XML: {exc}") from None
        header = {
            "MessageId": item.message_id,
            "Kind": item.kind,
            "From": item.sender,
            "To": item.receiver,
        }
        # zeep moves the element into its envelope: it is a fresh tree, parsed above.
        answer = self._call(operation, Header=header, Content={"_value_1": payload})
        result = self._reply(answer, "SubmitResult")
        message_id = result.findtext("s:MessageId", namespaces=_NS)
        if message_id != item.message_id:
            raise OutcomeUnknown(
                f"UNI-PASS answered for message {message_id!r}, not {item.message_id!r}",
                code="ANSWER_MISMATCH",
            )
        return Delivered(
            message_id=item.message_id,
            tracking=result.findtext("s:TrackingNumber", default="", namespaces=_NS),
            duplicate=result.findtext("s:Duplicate", namespaces=_NS) in ("true", "1"),
        )

    def pending(self, *, limit: int = 100) -> list[str]:
        """Tracking numbers of the messages UNI-PASS holds for the bridge.

        With ``recipient`` set, only those addressed to that country: each NSW's bridge
        takes its own share of a UNI-PASS queue that several bridges pull from.
        """
        if self.recipient:
            answer = self._call("GetPendingHeaders", Limit=max(1, limit), Recipient=self.recipient)
        else:
            answer = self._call("GetPendingHeaders", Limit=max(1, limit))
        result = self._reply(answer, "PendingHeaders")
        numbers = (h.findtext("s:TrackingNumber", namespaces=_NS) for h in result.iterchildren())
        return [number for number in numbers if number][:limit]

    def fetch(self, ref: str) -> Inbound:
        """Pull one message by tracking number (it stays pending until acknowledged)."""
        answer = self._call("PullMessage", TrackingNumber=ref)
        result = self._reply(answer, "PulledMessage")
        header = result.find("s:Header", _NS)
        content = result.find("s:Content", _NS)
        payload = None if content is None else next(iter(content), None)
        if header is None or payload is None:
            raise OutcomeUnknown("PulledMessage without header or payload", code="BAD_ANSWER")
        body = copy.deepcopy(payload)
        etree.cleanup_namespaces(body)
        return Inbound(
            ref=ref,
            message_id=header.findtext("s:MessageId", default="", namespaces=_NS),
            kind=header.findtext("s:Kind", default="", namespaces=_NS),
            sender=header.findtext("s:From", default="", namespaces=_NS),
            body=etree.tostring(body, xml_declaration=True, encoding="utf-8"),
        )

    def acknowledge(self, ref: str) -> None:
        """Acknowledge a pulled message."""
        self._reply(self._call("Acknowledge", TrackingNumber=ref), "AcknowledgeResult")

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        """Acknowledge-failed: the pulled message was refused."""
        answer = self._call(
            "AcknowledgeFailed",
            TrackingNumber=ref,
            Code=(code or "REFUSED")[:64],
            Reason=reason[:2000],
        )
        self._reply(answer, "AcknowledgeResult")

    def track(self, message_id: str) -> TrackState:
        """Whether UNI-PASS has a message id: delivered, pending or unknown."""
        answer = self._call("GetTrackingInfo", MessageId=message_id)
        result = self._reply(answer, "TrackingInfo")
        return _TRACK.get(result.findtext("s:Status", default="", namespaces=_NS), "unknown")

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    # --- plumbing -----------------------------------------------------------------------

    def _call(self, operation: str, **kwargs: Any) -> HttpAnswer:
        try:
            answer = getattr(self._service, operation)(**kwargs)
        except (RetryableTransportError, RemoteRejected, ResponseRefused):
            raise
        except Exception as exc:  # zeep refused to render the request: our own bug
            if type(exc).__module__.startswith("zeep"):
                raise ConfigurationError(f"{operation}: cannot build the request: {exc}") from None
            raise
        if not isinstance(answer, HttpAnswer):
            raise TypeError(f"unexpected answer from the transport: {type(answer).__name__}")
        return answer

    def _reply(self, answer: HttpAnswer, expected: str) -> etree._Element:
        """The expected reply element, or the transport error the answer means."""
        url = self.url
        if not answer.body.strip():
            if answer.status >= 300:
                raise status_error(answer, url=url)
            raise OutcomeUnknown(f"{url}: empty answer (HTTP {answer.status})", code="BAD_ANSWER")
        try:
            root = _xml.parse(answer.body, max_bytes=self.policy.max_answer_bytes)
        except (DtdForbidden, InputTooLarge, XmlLimitExceeded) as exc:
            raise ResponseRefused(f"{url}: answer refused: {exc}", cause_code=exc.code) from None
        except MessageError as exc:
            if answer.status >= 300:
                raise status_error(answer, url=url) from None
            raise OutcomeUnknown(f"{url}: unreadable answer: {exc}", code="BAD_ANSWER") from None
        body = root.find("env:Body", _NS) if root.tag == f"{{{SOAP_NS}}}Envelope" else None
        first = None if body is None else next(iter(body), None)
        if first is not None and first.tag == f"{{{SOAP_NS}}}Fault":
            raise _fault(first, url=url, status=answer.status)
        if answer.status >= 300:
            raise status_error(answer, url=url)
        if first is None or first.tag != _q(expected):
            raise OutcomeUnknown(f"{url}: the answer is not a {expected}", code="BAD_ANSWER")
        schema = _xml.load_schema(SERVICE_XSD)
        with _SCHEMA_LOCK:  # an XMLSchema object is not safe for concurrent validation
            valid = schema.validate(first)
            error = "" if valid else clip(str(next(iter(cast(Any, schema.error_log)), "")), 500)
        if not valid:
            raise OutcomeUnknown(f"{url}: invalid {expected}: {error}", code="BAD_ANSWER")
        return first


def _fault(fault: etree._Element, *, url: str, status: int) -> Exception:
    """The transport error for a SOAP 1.1 fault."""
    faultcode = (fault.findtext("faultcode") or "").strip()
    side = faultcode.rpartition(":")[2] or "Server"
    text = (fault.findtext("faultstring") or "").strip()
    detail = fault.find(f"detail/{_q('ServiceFault')}")
    code = transient = None
    if detail is not None:
        code = (detail.findtext(_q("Code")) or "").strip() or None
        text = (detail.findtext(_q("Message")) or text).strip()
        transient = (detail.findtext(_q("Transient")) or "").strip() in ("true", "1")
    faultcode, shown = (partner_text(c, MAX_REMOTE_CODE) for c in (faultcode, code or ""))
    message = f"{url}: SOAP fault {faultcode} {shown}: {partner_text(text)}"
    if side in ("Server", "Receiver") and transient is not False:
        # the partner's code is kept apart: ours says what kind of fault it was
        return RetryableTransportError(
            message, code="SOAP_SERVER_FAULT", status=status, remote_code=code or ""
        )
    return RemoteRejected(
        message,
        remote_code=code or ("SOAP_CLIENT_FAULT" if side in ("Client", "Sender") else "SOAP_FAULT"),
        remote_text=text,
        status=status,
    )
