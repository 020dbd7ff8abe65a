"""The mock services with scenarios: real loopback servers a test can script.

:class:`ScriptedUnipass` and :class:`ScriptedNsw` are :class:`MockUnipass` and
:class:`MockNsw` plus:

* :meth:`~_Scripted.play` scenarios (:mod:`aswbridge.testing.scenarios`): the customs
  decision on every certificate (accept, refuse item N with a reason) and one-off
  faults (503 then success, timeout, dropped connection, rejection);
* :meth:`~_Scripted.send`: queue a message as if the partner system sent it (a canonical
  :class:`~aswbridge.model.Message` is encoded in the mock's profile, signed if a key
  is given);
* :meth:`~_Scripted.received` and :meth:`~_Scripted.refusals`: what the bridge
  delivered (decoded) and which of the partner's messages it refused, with the code.

The customs answer to each new certificate is built with
:func:`aswbridge.samples.response_for` and queued for the bridge to pull, like the
plain mocks do, but following the decision in play and signed with ``signing`` if set.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from typing import Any, Self

from lxml import etree

from aswbridge import _xml, pipeline, samples
from aswbridge.errors import ConfigurationError, MessageError
from aswbridge.model import Certificate, Message
from aswbridge.testing._peek import Reader, peek
from aswbridge.testing.mocks import Faults, MockNsw, MockUnipass
from aswbridge.testing.mocks.server import MockServer, Queued, Reply, Request
from aswbridge.testing.scenarios import Fault, Scenario, Script
from aswbridge.transport.unipass import SERVICE_NS, SOAP_NS

__all__ = ["ScriptedNsw", "ScriptedUnipass"]

log = logging.getLogger("aswbridge.mock")

_SOAP_BODY = f"{{{SOAP_NS}}}Body"
_XML_TYPE = "text/xml; charset=utf-8"


class _Scripted(MockServer):
    """What both scripted mocks add to their plain mock (see the module docstring)."""

    #: The profile the partner speaks.
    profile = ""
    script: Script
    answer: bool
    signing: pipeline.SigningKey | None
    _stopping: threading.Event

    def _setup(self, *, answer: bool, signing: pipeline.SigningKey | None) -> None:
        self.script = Script()
        self.answer = answer
        self.signing = signing
        self._stopping = threading.Event()

    # --- to implement ---------------------------------------------------------------------

    def _is_delivery(self, request: Request) -> bool:
        raise NotImplementedError

    def _new_certificate(self, reply: Reply) -> str | None:
        """The message id of a certificate this reply took in for the first time."""
        raise NotImplementedError

    def rejection(self, fault: Fault) -> Reply:
        """The answer of a ``reject`` scenario."""
        raise NotImplementedError

    # --- the tester's calls ---------------------------------------------------------------

    def play(self, *scenarios: Scenario) -> Self:
        """Put scenarios in play (see :mod:`aswbridge.testing.scenarios`)."""
        self.script.play(*scenarios)
        return self

    def send(self, message: Message | bytes, *, signing: pipeline.SigningKey | None = None) -> str:
        """Queue a message for the bridge to pull, as if the partner sent it; returns its ref.

        A :class:`Message` is encoded in the mock's profile and signed with ``signing``
        (default: the mock's own key, if any); bytes are queued as they are.
        """
        if isinstance(message, Message):
            body = pipeline.write(message, profile=self.profile, signing=signing or self.signing)
        else:
            body = message
        reply = self.outbound(body)
        data = json.loads(reply.body)
        if reply.status != 201:
            raise ConfigurationError(
                f"the mock refuses to send this message: {data.get('code')}: {data.get('message')}"
            )
        return str(data["ref"])

    def received(self, kind: str | None = None) -> list[Message]:
        """The messages the bridge delivered (first deliveries, in order), decoded."""
        with self.mailbox.lock:
            records = list(self.mailbox.received.values())
        return [
            pipeline.read(r.body, profile=self.profile)[1]
            for r in records
            if kind is None or r.kind == kind
        ]

    def refusals(self) -> list[Queued]:
        """The partner's messages the bridge refused (``code`` and ``reason`` say why)."""
        with self.mailbox.lock:
            return [q for q in self.mailbox.queued.values() if q.state == "rejected"]

    def stats(self) -> dict[str, Any]:
        """The plain mock's counters, plus ``scripted``: the scripted faults played."""
        data = super().stats()
        data["scripted"] = dict(self.script.played)
        return data

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> str:
        self._stopping.clear()
        return super().start()

    def stop(self) -> None:
        self._stopping.set()  # releases requests held by a timeout scenario
        super().stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    # --- the server's hooks ---------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply | None:
        """Answer one request as the server would (``None``: close without answering).

        Scripted faults first, then the plain mock (its own fault injection included).
        """
        fault = self.take_fault(request)
        if fault is not None:
            return self._fault(fault, request)
        return self.plain(request)

    def take_fault(self, request: Request) -> Fault | None:
        """The scripted fault that hits this request, if any (it is then used up)."""
        if request.path.startswith("/_mock/"):
            return None
        return self.script.take(delivery=self._is_delivery(request))

    def plain(self, request: Request) -> Reply | None:
        """Answer as the plain mock would (its own fault injection included)."""
        return super()._dispatch(request)

    def _dispatch(self, request: Request) -> Reply | None:
        return self.dispatch(request)

    def _fault(self, fault: Fault, request: Request) -> Reply | None:
        log.debug("scripted %s on %s %s", fault.kind, request.method, request.path)
        if fault.kind == "unavailable":
            return self.unavailable()
        if fault.kind == "reject":
            return self.rejection(fault)
        if fault.processed:
            self.handle(request)
        if fault.kind == "timeout":
            self._stopping.wait(fault.stall)
        return None

    def handle(self, request: Request) -> Reply:
        reply = super().handle(request)
        if self.answer:
            message_id = self._new_certificate(reply)
            if message_id is not None:
                self._answer(message_id)
        return reply

    def _answer(self, message_id: str) -> None:
        """Queue the customs response to a certificate, as the decision in play says."""
        record = self.mailbox.received[message_id]
        _, message = pipeline.read(record.body, profile=self.profile)
        if not isinstance(message.document, Certificate):
            return
        numbers = {item.number for item in message.document.items}
        refuse = {n: r for n, r in self.script.decision.refuse.items() if n in numbers}
        response = samples.response_for(message, refuse=refuse)
        body = pipeline.write(response, profile=self.profile, signing=self.signing)
        self.mailbox.queue(
            message_id=response.envelope.message_id,
            kind="response",
            sender=response.envelope.sender.country,
            receiver=response.envelope.receiver.country,
            body=body,
        )


class ScriptedUnipass(_Scripted, MockUnipass):
    """:class:`MockUnipass` with scenarios, ``send``, ``received`` and ``refusals``.

    Args:
        answer: answer each new certificate with a customs response (the decision in play).
        signing: Korea Customs' key: signs the customs responses and what :meth:`send` sends.
        host, port, faults, reader, ssl_context: as for :class:`MockUnipass`.
    """

    profile = "unipass"

    def __init__(
        self,
        *,
        answer: bool = True,
        signing: pipeline.SigningKey | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        reader: Reader = peek,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        MockUnipass.__init__(
            self,
            host=host,
            port=port,
            faults=faults,
            respond=False,
            reader=reader,
            signing=signing,
            ssl_context=ssl_context,
        )
        self._setup(answer=answer, signing=signing)

    def _operation_of(self, body: bytes) -> str:
        try:
            root = _xml.parse(body)
        except MessageError:
            return ""
        soap_body = root.find(_SOAP_BODY)
        first = None if soap_body is None else next(iter(soap_body), None)
        return "" if first is None else etree.QName(first).localname

    def _is_delivery(self, request: Request) -> bool:
        return request.method == "POST" and self._operation_of(request.body).startswith("Submit")

    def _new_certificate(self, reply: Reply) -> str | None:
        if reply.status != 200:
            return None
        result = _xml.parse(reply.body).find(f"{_SOAP_BODY}/{{{SERVICE_NS}}}SubmitResult")
        if result is None or result.findtext(f"{{{SERVICE_NS}}}Duplicate") != "false":
            return None
        message_id = result.findtext(f"{{{SERVICE_NS}}}MessageId") or ""
        record = self.mailbox.received.get(message_id)
        return message_id if record is not None and record.kind == "certificate" else None

    def rejection(self, fault: Fault) -> Reply:
        return Reply(status=500, body=soap_client_fault(fault), content_type=_XML_TYPE)


class ScriptedNsw(_Scripted, MockNsw):
    """:class:`MockNsw` with scenarios, ``send``, ``received`` and ``refusals``.

    Args:
        country: the NSW's country (ISO 3166 alpha-2).
        profile: the profile it speaks (default ``asw``; any registered one).
        answer: answer each new certificate with a customs response (the decision in play).
        signing: the country's authority key: signs the customs responses and what
            :meth:`send` sends.
        host, port, faults, reader, token, ssl_context: as for :class:`MockNsw`.
    """

    def __init__(
        self,
        *,
        country: str,
        profile: str = "asw",
        answer: bool = True,
        signing: pipeline.SigningKey | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        reader: Reader = peek,
        token: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        MockNsw.__init__(
            self,
            country=country,
            profile=profile,
            host=host,
            port=port,
            faults=faults,
            respond=False,
            reader=reader,
            signing=signing,
            token=token,
            ssl_context=ssl_context,
        )
        self._setup(answer=answer, signing=signing)

    def _is_delivery(self, request: Request) -> bool:
        return request.method == "POST" and request.path.rstrip("/") == "/inbox"

    def _new_certificate(self, reply: Reply) -> str | None:
        if reply.status != 201:
            return None
        try:
            message_id = str(json.loads(reply.body).get("message_id", ""))
        except (ValueError, AttributeError):
            return None
        record = self.mailbox.received.get(message_id)
        return message_id if record is not None and record.kind == "certificate" else None

    def rejection(self, fault: Fault) -> Reply:
        return Reply.json({"code": fault.code, "message": fault.reason}, status=422)


def soap_client_fault(fault: Fault) -> bytes:
    """A SOAP 1.1 ``soap:Client`` fault carrying the service's ``ServiceFault`` detail."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    body = etree.SubElement(envelope, _SOAP_BODY)
    element = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = "soap:Client"
    etree.SubElement(element, "faultstring").text = fault.reason
    detail = etree.SubElement(
        etree.SubElement(element, "detail"),
        f"{{{SERVICE_NS}}}ServiceFault",
        nsmap={"svc": SERVICE_NS},
    )
    for name, text in (
        ("Code", fault.code[:64]),
        ("Message", fault.reason),
        ("Transient", "false"),
    ):
        etree.SubElement(detail, f"{{{SERVICE_NS}}}{name}").text = text
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
