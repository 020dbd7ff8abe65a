"""UNI-PASS answered in-process: ``responses`` intercepts the SOAP calls, no socket.

:class:`UnipassResponses` answers the UNI-PASS side's zeep calls (which go through
``requests``) with the same service as :class:`~aswbridge.testing.ScriptedUnipass`:
schema-checked operations, tracking numbers, duplicates, customs responses, and the
same scenarios. Faults need no waiting here: a timeout raises ``requests.ReadTimeout``
and a dropped connection raises ``requests.ConnectionError`` at once. Requests to
loopback addresses pass through, so a real mock NSW can run alongside.

``responses`` is imported when the mock starts, not before: ``aswbridge.testing``
imports without it (install ``aswbridge[test]`` to use this variant).
"""

from __future__ import annotations

import http.client
import re
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from aswbridge.errors import ConfigurationError
from aswbridge.model import Message
from aswbridge.testing.mocks.server import Mailbox, Queued, Reply, Request
from aswbridge.testing.scenarios import Fault, Scenario
from aswbridge.testing.scripted import ScriptedUnipass

if TYPE_CHECKING:
    from aswbridge.pipeline import SigningKey

__all__ = ["DEFAULT_URL", "UnipassResponses"]

#: Where the in-process UNI-PASS answers (a name that never resolves on a network).
DEFAULT_URL = "http://unipass.mock.invalid/eco/ExchangeService"
_LOOPBACK = re.compile(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/|$)")


class UnipassResponses:
    """The UNI-PASS exchange service inside the test process (see the module docstring).

    Use as a context manager, or :meth:`start` (returns :attr:`url`) and :meth:`stop`.
    Point a :class:`~aswbridge.transport.unipass.UnipassSide` (or a bridge) at :attr:`url`.

    Args:
        url: the service URL to intercept.
        answer: answer each new certificate with a customs response.
        signing: Korea Customs' key for the customs responses and :meth:`send`.
        passthru: let requests to loopback addresses through to real servers.
    """

    def __init__(
        self,
        *,
        url: str = DEFAULT_URL,
        answer: bool = True,
        signing: SigningKey | None = None,
        passthru: bool = True,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"url must be http(s): {url!r}")
        self.url = url
        self.service = ScriptedUnipass(answer=answer, signing=signing)  # never listens
        self._passthru = passthru
        self._mock: Any = None

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> str:
        """Start intercepting; returns :attr:`url`."""
        if self._mock is not None:
            return self.url
        try:
            import responses
        except ImportError:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "the in-process UNI-PASS needs the 'responses' package (aswbridge[test])"
            ) from None
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.add_callback(responses.POST, self.url, callback=self._answer)
        mock.add_callback(responses.GET, self.url, callback=self._answer)
        if self._passthru:
            mock.add_passthru(_LOOPBACK)
        mock.start()
        self._mock = mock
        return self.url

    def stop(self) -> None:
        """Stop intercepting."""
        mock, self._mock = self._mock, None
        if mock is not None:
            mock.stop()
            mock.reset()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the tester's calls ---------------------------------------------------------------

    def play(self, *scenarios: Scenario) -> Self:
        """Put scenarios in play (see :mod:`aswbridge.testing.scenarios`)."""
        self.service.play(*scenarios)
        return self

    def send(self, message: Message | bytes, *, signing: SigningKey | None = None) -> str:
        """Queue a message for the bridge to pull, as if Korea sent it; returns its ref."""
        return self.service.send(message, signing=signing)

    def received(self, kind: str | None = None) -> list[Message]:
        """The messages the bridge delivered, decoded."""
        return self.service.received(kind)

    def refusals(self) -> list[Queued]:
        """Korea's messages the bridge refused."""
        return self.service.refusals()

    def stats(self) -> dict[str, Any]:
        """The same counters as ``GET /_mock/stats`` of the real server."""
        return self.service.stats()

    @property
    def mailbox(self) -> Mailbox:
        """What the service received and queued."""
        return self.service.mailbox

    @property
    def calls(self) -> Any:
        """The intercepted calls (``responses``' call list: request and answer)."""
        return [] if self._mock is None else self._mock.calls

    # --- the callback ---------------------------------------------------------------------

    def _answer(self, prepared: Any) -> Any:
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        parts = urlsplit(prepared.url)
        request = Request(
            method=prepared.method,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in prepared.headers.items()},
            body=body,
        )
        service = self.service
        fault = service.take_fault(request)
        reply: Reply | None
        if fault is None:
            reply = service.plain(request)
        elif fault.kind == "unavailable":
            reply = service.unavailable()
        elif fault.kind == "reject":
            reply = service.rejection(fault)
        else:
            return _lost(fault, request, service, url=self.url)
        if reply is None:  # a drop drawn by the plain mock's own fault injection
            return _dropped(self.url)
        headers = {"Content-Type": reply.content_type, **reply.headers}
        return reply.status, headers, reply.body


def _lost(fault: Fault, request: Request, service: ScriptedUnipass, *, url: str) -> Exception:
    import requests

    if fault.processed:
        service.handle(request)
    if fault.kind == "timeout":
        return requests.exceptions.ReadTimeout(f"{url}: read timed out (scripted)")
    return _dropped(url)


def _dropped(url: str) -> Exception:
    import requests
    import urllib3

    cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError(f"{url}: connection aborted", cause)
    )
