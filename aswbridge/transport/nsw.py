"""The ASW side over HTTP: an NSW gateway mailbox.

The mailbox API (documented in ``docs/transport.md``), relative to a base URL:

=======  ===========================  ================================================
method   path                         meaning
=======  ===========================  ================================================
POST     ``/inbox``                   deliver one ASW message (body = the XML);
                                      201 new, 200 a repeated message id
GET      ``/inbox/{message_id}``      tracking: 200 ``{"state": ...}``, 404 unknown
GET      ``/outbox?limit=N``          what the NSW queued for the bridge (JSON list)
GET      ``/outbox/{ref}``            one queued message (XML; metadata in headers)
POST     ``/outbox/{ref}/ack``        acknowledge
POST     ``/outbox/{ref}/reject``     acknowledge-failed, JSON ``{"code", "reason"}``
=======  ===========================  ================================================

JSON errors are ``{"code": ..., "message": ...}``. Faults map as in
:mod:`aswbridge.transport._http`: 5xx, 408 and 429 are retryable, other 4xx are
rejections (the mailbox's ``code`` is passed on), an unreadable 2xx is an unknown
outcome.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from aswbridge._lexical import load_json
from aswbridge._settings import validate_url
from aswbridge.errors import LimitExceeded, MessageError
from aswbridge.logs import redact
from aswbridge.transport._http import HttpAnswer, HttpClient, HttpPolicy, status_error
from aswbridge.transport.base import (
    Delivered,
    Inbound,
    Outbound,
    OutcomeUnknown,
    ResponseRefused,
    TrackState,
)

__all__ = ["NswHttpSide"]

_XML = "application/xml"
_MAX_JSON = 4 * 1024 * 1024


class NswHttpSide:
    """An NSW gateway mailbox over HTTP, as one side of the bridge.

    Args:
        url: base URL of the mailbox API (``https://gateway.example/asw/v1``).
        policy: timeouts, deadline, TLS and byte cap; put an ``Authorization``
            header into ``policy.headers`` if the gateway wants one.
        name: the side's name in logs and the store.
    """

    def __init__(
        self,
        *,
        url: str,
        policy: HttpPolicy | None = None,
        name: str = "nsw",
    ) -> None:
        validate_url("NSW mailbox url", url)
        self.name = name
        self._base = url.rstrip("/")
        self.url = redact(self._base)  # for messages: never the credentials
        self.policy = policy or HttpPolicy()
        self._http = HttpClient(policy=self.policy)

    def deliver(self, item: Outbound) -> Delivered:
        """Deliver one message into the NSW's inbox; a repeated message id is recognised."""
        headers = {
            "Content-Type": _XML,
            "X-Message-Id": item.message_id,
            "X-Message-Kind": item.kind,
        }
        answer = self._http.request("POST", f"{self._base}/inbox", data=item.body, headers=headers)
        data = self._json(answer)
        if data.get("message_id") != item.message_id:
            raise OutcomeUnknown(
                f"mailbox answered for {data.get('message_id')!r}, not {item.message_id!r}",
                code="ANSWER_MISMATCH",
            )
        return Delivered(
            message_id=item.message_id,
            tracking=str(data.get("tracking", "")),
            duplicate=bool(data.get("duplicate", answer.status == 200)),
        )

    def pending(self, *, limit: int = 100) -> list[str]:
        """Refs of the messages queued in the NSW's outbox for the bridge, oldest first."""
        answer = self._http.request(
            "GET", f"{self._base}/outbox", params={"limit": str(max(1, limit))}
        )
        items = self._json(answer).get("items")
        if not isinstance(items, list):
            raise OutcomeUnknown("mailbox listing without items", code="BAD_ANSWER")
        return [str(i["ref"]) for i in items if isinstance(i, dict) and "ref" in i][:limit]

    def fetch(self, ref: str) -> Inbound:
        """Fetch one queued message (it stays queued until acknowledged or rejected)."""
        answer = self._http.request(
            "GET", f"{self._base}/outbox/{quote(ref, safe='')}", headers={"Accept": _XML}
        )
        if answer.status != 200:
            raise self._error(answer)
        if not answer.body:
            raise OutcomeUnknown(f"mailbox sent an empty body for {ref}", code="BAD_ANSWER")
        headers = answer.headers
        # The headers are claims: the bridge checks them against the verified message.
        return Inbound(
            ref=ref,
            body=answer.body,
            message_id=headers.get("x-message-id", ""),
            kind=headers.get("x-message-kind", ""),
            sender=headers.get("x-sender", ""),
        )

    def acknowledge(self, ref: str) -> None:
        """Acknowledge a fetched message."""
        answer = self._http.request("POST", f"{self._base}/outbox/{quote(ref, safe='')}/ack")
        self._json(answer)

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        """Acknowledge-failed: the fetched message was refused."""
        body = json.dumps({"code": code, "reason": reason[:2000]}).encode()
        answer = self._http.request(
            "POST",
            f"{self._base}/outbox/{quote(ref, safe='')}/reject",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        self._json(answer)

    def track(self, message_id: str) -> TrackState:
        """Whether the NSW has a message id: delivered, pending or unknown."""
        answer = self._http.request("GET", f"{self._base}/inbox/{quote(message_id, safe='')}")
        if answer.status == 404:
            return "unknown"
        state = self._json(answer).get("state")
        if state in ("delivered", "pending"):
            return state  # type: ignore[no-any-return]
        return "unknown"

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    # --- plumbing -----------------------------------------------------------------------

    def _error(self, answer: HttpAnswer) -> Exception:
        remote_code = text = ""
        if answer.body and answer.headers.get("content-type", "").startswith("application/json"):
            try:
                data = load_json(answer.body[:_MAX_JSON])
            except MessageError:
                data = None
            if isinstance(data, dict):
                remote_code = str(data.get("code", ""))
                text = str(data.get("message", ""))
        return status_error(answer, url=self.url, remote_code=remote_code, text=text)

    def _json(self, answer: HttpAnswer) -> dict[str, Any]:
        if not 200 <= answer.status < 300:
            raise self._error(answer)
        if len(answer.body) > _MAX_JSON:
            raise ResponseRefused("mailbox answer too large", cause_code="INPUT_TOO_LARGE")
        try:
            data = load_json(answer.body)
        except LimitExceeded as exc:
            raise ResponseRefused(
                f"{self.url}: answer refused: {exc}", cause_code=exc.code
            ) from None
        except MessageError:
            raise OutcomeUnknown(
                f"{self.url}: the answer is not JSON (HTTP {answer.status})", code="BAD_ANSWER"
            ) from None
        if not isinstance(data, dict):
            raise OutcomeUnknown(f"{self.url}: the answer is not a JSON object", code="BAD_ANSWER")
        return data
