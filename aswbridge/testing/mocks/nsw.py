"""A mock of an NSW gateway mailbox (the HTTP API of :mod:`aswbridge.transport.nsw`).

It validates every delivered message through the pipeline (ASW profile), refuses a
message addressed to another country, remembers what it received, issues tracking
numbers, answers a repeated message id as delivered again (HTTP 200,
``"duplicate": true``), and by default answers every new certificate with a customs
response queued in its outbox for the bridge to pull.

``POST /_mock/outbound`` with an ASW message queues it as if the NSW sent it.
"""

from __future__ import annotations

import json
import re
import ssl
from urllib.parse import parse_qs, unquote

from aswbridge.errors import MessageError
from aswbridge.pipeline import SigningKey
from aswbridge.testing._peek import Peek, Reader, peek
from aswbridge.testing.mocks.answers import customs_response
from aswbridge.testing.mocks.server import Faults, Mailbox, MockServer, Reply, Request

__all__ = ["MockNsw"]

_INBOX_ITEM = re.compile(r"/inbox/([^/]+)")
_OUTBOX_ITEM = re.compile(r"/outbox/([^/]+)(/ack|/reject)?")


def _error(status: int, code: str, message: str) -> Reply:
    return Reply.json({"code": code, "message": message}, status=status)


class MockNsw(MockServer):
    """An NSW gateway mailbox, stateful, with fault injection.

    Args:
        country: the NSW's country (ISO 3166 alpha-2); deliveries must be addressed to it.
        profile: the profile the NSW speaks (any registered one; default ``asw``): what it
            accepts, queues and answers in.
        host, port: where to listen (port 0 picks a free one).
        faults: injected 503s, dropped answers, latency, seed.
        respond: answer each new certificate with a customs response.
        reader: reads routing data from bodies (default: the pipeline, strict).
        signing: the key the customs responses are signed with (unsigned if ``None``).
        token: when set, every API call needs ``Authorization: Bearer <token>``.
        ssl_context: serve HTTPS.
    """

    def __init__(
        self,
        *,
        country: str,
        profile: str = "asw",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        respond: bool = True,
        reader: Reader = peek,
        signing: SigningKey | None = None,
        token: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            faults=faults,
            ssl_context=ssl_context,
            mailbox=Mailbox(tracking_prefix=f"{country.upper()}-"),
        )
        self.country = country.upper()
        self.profile = profile
        self.respond = respond
        self._reader = reader
        self.signing = signing
        self._token = token

    def handle(self, request: Request) -> Reply:
        if self._token and request.headers.get("authorization") != f"Bearer {self._token}":
            return _error(401, "UNAUTHORISED", "a valid bearer token is required")
        path, method = request.path.rstrip("/"), request.method
        if path == "/inbox" and method == "POST":
            return self._deliver(request.body)
        if path == "/outbox" and method == "GET":
            return self._list(request.query)
        match = _INBOX_ITEM.fullmatch(path)
        if match and method == "GET":
            return self._track(unquote(match.group(1)))
        match = _OUTBOX_ITEM.fullmatch(path)
        if match:
            ref, action = unquote(match.group(1)), match.group(2)
            if action is None and method == "GET":
                return self._fetch(ref)
            if action == "/ack" and method == "POST":
                return self._settle(ref, None)
            if action == "/reject" and method == "POST":
                return self._settle(ref, request.body)
        return _error(404, "NOT_FOUND", f"no route {method} {path}")

    def outbound(self, body: bytes) -> Reply:
        routing = self._read(body)
        if isinstance(routing, Reply):
            return routing
        item = self.mailbox.queue(
            message_id=routing.message_id,
            kind=routing.kind,
            sender=routing.sender,
            receiver=routing.receiver,
            body=body,
        )
        return Reply.json({"ref": item.ref, "message_id": item.message_id}, status=201)

    def _read(self, body: bytes) -> Peek | Reply:
        """The body's routing data, or the 400 refusing it (invalid, or not our profile)."""
        try:
            routing = self._reader(body)
        except MessageError as exc:
            return _error(400, exc.code, exc.message)
        if routing.profile and routing.profile != self.profile:
            return _error(
                400, "WRONG_PROFILE", f"this NSW speaks {self.profile}, not {routing.profile}"
            )
        return routing

    # --- the API --------------------------------------------------------------------------

    def _deliver(self, body: bytes) -> Reply:
        routing = self._read(body)
        if isinstance(routing, Reply):
            return routing
        if routing.receiver != self.country:
            return _error(
                400, "WRONG_RECEIVER", f"addressed to {routing.receiver}, this is {self.country}"
            )
        record, duplicate = self.mailbox.receive(
            message_id=routing.message_id, kind=routing.kind, sender=routing.sender, body=body
        )
        if not duplicate and self.respond:
            answer = customs_response(routing, profile=self.profile, signing=self.signing)
            if answer is not None:
                message_id, response = answer
                self.mailbox.queue(
                    message_id=message_id,
                    kind="response",
                    sender=self.country,
                    receiver=routing.sender,
                    body=response,
                )
        data = {
            "message_id": record.message_id,
            "tracking": record.tracking,
            "duplicate": duplicate,
        }
        return Reply.json(data, status=200 if duplicate else 201)

    def _track(self, message_id: str) -> Reply:
        record = self.mailbox.received.get(message_id)
        if record is None:
            return _error(404, "NOT_FOUND", f"no message {message_id}")
        return Reply.json(
            {"message_id": message_id, "state": "delivered", "tracking": record.tracking}
        )

    def _list(self, query: str) -> Reply:
        values = parse_qs(query).get("limit", ["100"])
        limit = int(values[0]) if values[0].isdigit() else 100
        items = [
            {
                "ref": q.ref,
                "message_id": q.message_id,
                "kind": q.kind,
                "sender": q.sender,
                "receiver": q.receiver,
            }
            for q in self.mailbox.pending(max(1, limit))
        ]
        return Reply.json({"items": items})

    def _fetch(self, ref: str) -> Reply:
        item = self.mailbox.queued.get(ref)
        if item is None:
            return _error(404, "NOT_FOUND", f"no message {ref}")
        return Reply(
            body=item.body,
            content_type="application/xml",
            headers={
                "X-Message-Id": item.message_id,
                "X-Message-Kind": item.kind,
                "X-Sender": item.sender,
                "X-Receiver": item.receiver,
            },
        )

    def _settle(self, ref: str, reject: bytes | None) -> Reply:
        if reject is None:
            item = self.mailbox.settle(ref, state="acknowledged")
        else:
            try:
                data = json.loads(reject or b"{}")
            except ValueError:
                return _error(400, "BAD_REQUEST", "the body is not JSON")
            if not isinstance(data, dict):
                return _error(400, "BAD_REQUEST", "the body is not a JSON object")
            item = self.mailbox.settle(
                ref,
                state="rejected",
                code=str(data.get("code", "")),
                reason=str(data.get("reason", "")),
            )
        if item is None:
            return _error(404, "NOT_FOUND", f"no message {ref}")
        return Reply.json({"ref": ref, "state": item.state})
