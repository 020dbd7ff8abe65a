"""The shared machinery of the mock services: a real HTTP server on loopback, fault
injection, a stateful mailbox and the inspection endpoints.

A mock is a :class:`MockServer` subclass that implements :meth:`MockServer.handle`.
The server adds, for every request outside ``/_mock/``:

* ``latency_ms``: a pause before the request is handled;
* ``fail_rate``: that share of requests is answered 503 without being processed;
* ``drop_rate``: that share is processed, then the connection is closed before the
  answer (the client cannot know whether it went through);
* ``slow_rate``: that share is paused ``slow_ms`` more before it is handled;

and counts, besides requests, failures and drops, the most requests it was ever handling at
once (``max_concurrent``: how hard a client pressed it);

drawn from one ``random.Random(seed)``, so a seeded run is repeatable request by
request. ``GET /_mock/stats``, ``POST /_mock/outbound`` and ``POST /_mock/faults`` (a
JSON object with any of ``fail_rate``, ``drop_rate``, ``latency_ms``, ``slow_rate`` and
``slow_ms``: change a running mock's faults) are never faulted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.testing.mocks.mailbox import Mailbox, Queued, Received

__all__ = ["Faults", "Mailbox", "MockServer", "Queued", "Received", "Reply", "Request"]

log = logging.getLogger("aswbridge.mock")

MAX_REQUEST_BYTES = 16 * 1024 * 1024
#: The longest injected pause: a mock that never answers is ``--no-respond``'s job.
MAX_LATENCY_MS = 60_000


@attrs.frozen(kw_only=True)
class Faults:
    """Fault injection: shares of 503s, dropped and slow answers, a pause, a seed."""

    fail_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    seed: int | None = None
    slow_rate: float = 0.0
    slow_ms: int = 2_000

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.slow_ms <= MAX_LATENCY_MS:
            raise ConfigurationError(f"slow_ms must be 0..{MAX_LATENCY_MS}, got {self.slow_ms}")
        for name in ("fail_rate", "drop_rate", "slow_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1, got {value}")
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise ConfigurationError(
                f"latency_ms must be 0..{MAX_LATENCY_MS}, got {self.latency_ms}"
            )


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request as a mock sees it (header names in lower case)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@attrs.frozen(kw_only=True)
class Reply:
    """One HTTP answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def json(cls, data: Any, *, status: int = 200) -> Reply:
        """A JSON answer."""
        return cls(status=status, body=json.dumps(data).encode())


class MockServer:
    """A mock service on a real socket, run in a background thread.

    Use as a context manager, or ``start()`` (returns the URL) and ``stop()``.
    Subclasses implement :meth:`handle`, :meth:`unavailable` and :meth:`outbound`.
    """

    #: The path the service answers on (appended to ``http://host:port``).
    base_path = ""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        ssl_context: ssl.SSLContext | None = None,
        mailbox: Mailbox,
    ) -> None:
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.mailbox = mailbox
        self._ssl = ssl_context
        self._random = random.Random(self.faults.seed)
        self._random_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.counters = {"requests": 0, "failed": 0, "dropped": 0, "slow": 0, "max_concurrent": 0}
        self._active = 0

    # --- to implement -------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Answer one request of the service's own API."""
        raise NotImplementedError

    def unavailable(self) -> Reply:
        """The 503 answer of an injected failure."""
        return Reply.json({"code": "SERVICE_UNAVAILABLE", "message": "injected"}, status=503)

    def outbound(self, body: bytes) -> Reply:
        """``POST /_mock/outbound``: queue a message as if the partner system sent it."""
        raise NotImplementedError

    # --- life cycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The service URL (valid once started)."""
        if self._server is None:
            raise ConfigurationError("the mock is not started")
        scheme = "https" if self._ssl else "http"
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"{scheme}://{host}:{self._server.server_address[1]}{self.base_path}"

    @property
    def root_url(self) -> str:
        """``scheme://host:port`` (where ``/_mock/...`` lives)."""
        return self.url[: len(self.url) - len(self.base_path)] if self.base_path else self.url

    def start(self) -> str:
        """Listen and serve in a daemon thread; returns :attr:`url`."""
        if self._server is not None:
            return self.url
        server = _Server((self.host, self.port), _handler_for(self))
        if self._ssl is not None:
            # The handshake runs in each connection's thread, on its first read.
            server.socket = self._ssl.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="aswbridge-mock", daemon=True
        )
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        """Counters of what the mock received and queued (``GET /_mock/stats``)."""
        data = self.mailbox.stats()
        data.update(self.counters)
        return data

    # --- fault injection ----------------------------------------------------------------

    def change_faults(self, body: bytes) -> Reply:
        """``POST /_mock/faults``: change ``fail_rate``, ``drop_rate``, ``latency_ms`` now."""
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return Reply.json({"code": "BAD_REQUEST", "message": "not JSON"}, status=400)
        allowed = {
            "fail_rate": float,
            "drop_rate": float,
            "latency_ms": int,
            "slow_rate": float,
            "slow_ms": int,
        }
        if not isinstance(data, dict) or not set(data) <= set(allowed):
            message = f"a JSON object with any of {', '.join(allowed)}"
            return Reply.json({"code": "BAD_REQUEST", "message": message}, status=400)
        for name, value in data.items():
            kinds = (int,) if allowed[name] is int else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds):
                message = f"{name} must be a number, got {value!r}"
                return Reply.json({"code": "BAD_REQUEST", "message": message}, status=400)
        try:
            faults = attrs.evolve(self.faults, **data)
        except ConfigurationError as exc:
            return Reply.json({"code": exc.code, "message": exc.message}, status=400)
        self.faults = faults
        log.info("faults changed: %s", faults)
        return Reply.json(attrs.asdict(faults))

    def _draw(self) -> tuple[bool, bool, bool]:
        with self._random_lock:
            self.counters["requests"] += 1
            fail = self._random.random() < self.faults.fail_rate
            drop = self._random.random() < self.faults.drop_rate
            slow = self._random.random() < self.faults.slow_rate
            if fail:
                self.counters["failed"] += 1
            elif drop:
                self.counters["dropped"] += 1
            if slow:
                self.counters["slow"] += 1
        return fail, drop and not fail, slow

    def _dispatch(self, request: Request) -> Reply | None:
        """The answer to send, or ``None`` to drop the connection unanswered."""
        if request.path == "/_mock/stats" and request.method == "GET":
            return Reply.json(self.stats())
        if request.path == "/_mock/outbound" and request.method == "POST":
            return self.outbound(request.body)
        if request.path == "/_mock/faults" and request.method == "POST":
            return self.change_faults(request.body)
        with self._random_lock:
            self._active += 1
            self.counters["max_concurrent"] = max(self.counters["max_concurrent"], self._active)
        try:
            if self.faults.latency_ms:
                time.sleep(self.faults.latency_ms / 1000)
            fail, drop, slow = self._draw()
            if slow:
                time.sleep(self.faults.slow_ms / 1000)
            if fail:
                return self.unavailable()
            reply = self.handle(request)
            return None if drop else reply
        finally:
            with self._random_lock:
                self._active -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request is ordinary here; never print tracebacks.
        log.debug("connection from %s failed", client_address, exc_info=True)


def _handler_for(mock: MockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "aswbridge-mock/1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def _serve(self) -> None:
            length = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or (length and not length.isdigit()):
                self._send(Reply.json({"code": "LENGTH_REQUIRED", "message": ""}, status=411))
                return
            size = int(length or 0)
            if size > MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(Reply.json({"code": "INPUT_TOO_LARGE", "message": ""}, status=413))
                return
            body = self.rfile.read(size) if size else b""
            path, _, query = self.path.partition("?")
            request = Request(
                method=self.command,
                path=path,
                query=query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            try:
                reply = mock._dispatch(request)
            except Exception:  # a bug in the mock must not look like a network fault
                log.exception("mock failed on %s %s", self.command, path)
                reply = Reply.json({"code": "MOCK_ERROR", "message": "internal"}, status=500)
            if reply is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
