"""HTTP faults on real loopback sockets: each maps to the right transport error.

A scripted server misbehaves on purpose (never answers, drips one byte at a time,
resets mid-body, closes before answering, answers hostile XML); the UNI-PASS (zeep)
and NSW mailbox clients must turn each into the error the relay acts on.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from aswbridge.transport._http import HttpClient, HttpPolicy, _classify
from aswbridge.transport.base import (
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
)
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.unipass import SERVICE_NS, SOAP_NS, UnipassSide

Script = Callable[[socket.socket], None]

PAYLOAD = b'<u:EcoMsg xmlns:u="urn:aswbridge:reference:unipass:1"><u:MsgHdr/></u:EcoMsg>'
ITEM = Outbound(message_id="m-1", kind="certificate", sender="TH", receiver="KR", body=PAYLOAD)
FAST = HttpPolicy(connect_timeout=1.0, read_timeout=0.5, deadline=1.0)


class Scripted:
    """A loopback server that runs ``script`` on each accepted connection."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/svc"

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            self.requests.append(read_request(conn))
            with contextlib.suppress(OSError):
                self.script(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += conn.recv(65536)
    return body


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], Scripted]]:
    servers: list[Scripted] = []

    def start(script: Script) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(status: int, body: bytes, content_type: str = "text/xml") -> Script:
    def script(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    return script


def envelope(inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


def fault(side: str, code: str | None, transient: bool | None) -> bytes:
    detail = ""
    if code is not None:
        detail = (
            f'<detail><s:ServiceFault xmlns:s="{SERVICE_NS}"><s:Code>{code}</s:Code>'
            f"<s:Message>text of {code}</s:Message>"
            f"<s:Transient>{str(transient).lower()}</s:Transient></s:ServiceFault></detail>"
        )
    return envelope(
        f"<soap:Fault><faultcode>soap:{side}</faultcode><faultstring>f</faultstring>"
        f"{detail}</soap:Fault>"
    )


def submit_result(message_id: str = "m-1") -> bytes:
    return envelope(
        f'<s:SubmitResult xmlns:s="{SERVICE_NS}"><s:MessageId>{message_id}</s:MessageId>'
        "<s:TrackingNumber>T1</s:TrackingNumber><s:Duplicate>false</s:Duplicate>"
        "<s:Status>Delivered</s:Status></s:SubmitResult>"
    )


def never_answer(conn: socket.socket) -> None:
    time.sleep(3)


def drip(prefix: bytes) -> Script:
    def script(conn: socket.socket) -> None:
        conn.sendall(prefix)
        for _ in range(200):  # one byte every 0.1 s: under the read timeout, forever
            conn.sendall(b"x")
            time.sleep(0.1)

    return script


def reset_mid_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def close_unanswered(conn: socket.socket) -> None:
    conn.shutdown(socket.SHUT_RDWR)


# --- UNI-PASS client --------------------------------------------------------------------


def reason(exc: BaseException) -> str:
    """Our code, or for a refusal the partner's own code (kept apart in ``remote_code``)."""
    if isinstance(exc, RemoteRejected):
        assert exc.code == "REMOTE_REJECTED"
        return exc.remote_code
    return str(getattr(exc, "code", ""))


@pytest.mark.parametrize(
    ("script", "error", "code"),
    [
        pytest.param(never_answer, OutcomeUnknown, "READ_TIMEOUT", id="read-timeout"),
        pytest.param(
            drip(b"HTTP/1.1 200 OK\r\nX-Drip: "),
            OutcomeUnknown,
            "DEADLINE_EXCEEDED",
            id="slow-drip-headers",
        ),
        pytest.param(
            drip(b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n"),
            OutcomeUnknown,
            "DEADLINE_EXCEEDED",
            id="slow-drip-body",
        ),
        pytest.param(reset_mid_body, OutcomeUnknown, "CONNECTION_LOST", id="reset-mid-body"),
        pytest.param(close_unanswered, OutcomeUnknown, "CONNECTION_LOST", id="closed-unanswered"),
        pytest.param(
            answer(503, b"busy", "text/plain"), RetryableTransportError, "HTTP_503", id="503-plain"
        ),
        pytest.param(
            answer(500, fault("Server", "DB_DOWN", True)),
            RetryableTransportError,
            "SOAP_SERVER_FAULT",
            id="server-fault-transient",
        ),
        pytest.param(
            answer(500, fault("Server", None, None)),
            RetryableTransportError,
            "SOAP_SERVER_FAULT",
            id="server-fault-bare",
        ),
        pytest.param(
            answer(500, b"", "text/plain"), RetryableTransportError, "HTTP_500", id="500-empty"
        ),
        pytest.param(
            answer(500, fault("Server", "BROKEN", False)),
            RemoteRejected,
            "BROKEN",
            id="server-fault-permanent",
        ),
        pytest.param(
            answer(500, fault("Client", "SCHEMA_INVALID", False)),
            RemoteRejected,
            "SCHEMA_INVALID",
            id="client-fault",
        ),
        pytest.param(
            answer(500, fault("Client", None, None)),
            RemoteRejected,
            "SOAP_CLIENT_FAULT",
            id="client-fault-bare",
        ),
        pytest.param(answer(400, b"bad", "text/plain"), RemoteRejected, "HTTP_400", id="400"),
        pytest.param(answer(404, b"<html/>", "text/html"), RemoteRejected, "HTTP_404", id="404"),
        pytest.param(
            answer(200, b"<html><body>proxy</body></html>", "text/html"),
            OutcomeUnknown,
            "BAD_ANSWER",
            id="200-html",
        ),
        pytest.param(answer(200, b""), OutcomeUnknown, "BAD_ANSWER", id="200-empty"),
        pytest.param(
            answer(200, submit_result()[:60]), OutcomeUnknown, "BAD_ANSWER", id="200-truncated"
        ),
        pytest.param(
            answer(200, submit_result("other")),
            OutcomeUnknown,
            "ANSWER_MISMATCH",
            id="answer-for-another-id",
        ),
        pytest.param(
            answer(200, envelope(f'<s:SubmitResult xmlns:s="{SERVICE_NS}"/>')),
            OutcomeUnknown,
            "BAD_ANSWER",
            id="answer-not-schema-valid",
        ),
    ],
)
def test_unipass_fault_is_classified(
    scripted: Callable[[Script], Scripted], script: Script, error: type[Exception], code: str
) -> None:
    server = scripted(script)
    side = UnipassSide(url=server.url, policy=FAST)
    with pytest.raises(error) as caught:
        side.deliver(ITEM)
    assert type(caught.value) is error
    assert reason(caught.value) == code
    side.close()


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + submit_result(),
            "DTD_FORBIDDEN",
            id="doctype",
        ),
        pytest.param(
            b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">' + submit_result(),
            "DTD_FORBIDDEN",
            id="external-dtd",
        ),
        pytest.param(
            submit_result() + b"<!--" + b"x" * 70_000 + b"-->", "INPUT_TOO_LARGE", id="over-the-cap"
        ),
    ],
)
def test_hostile_answer_is_refused(
    scripted: Callable[[Script], Scripted], body: bytes, cause: str
) -> None:
    server = scripted(answer(200, body))
    side = UnipassSide(url=server.url, policy=HttpPolicy(max_answer_bytes=65_536))
    with pytest.raises(ResponseRefused) as caught:
        side.deliver(ITEM)
    assert caught.value.cause_code == cause


def test_a_good_answer_is_delivered(scripted: Callable[[Script], Scripted]) -> None:
    server = scripted(answer(200, submit_result()))
    delivered = UnipassSide(url=server.url, policy=FAST).deliver(ITEM)
    assert (delivered.tracking, delivered.duplicate) == ("T1", False)


def test_resend_is_byte_identical(scripted: Callable[[Script], Scripted]) -> None:
    server = scripted(answer(200, submit_result()))
    side = UnipassSide(url=server.url, policy=FAST)
    side.deliver(ITEM)
    side.deliver(ITEM)
    first, second = server.requests
    assert first == second
    assert PAYLOAD.split(b">", 1)[1] in first  # the payload travels as it is


def test_connection_refused_is_retryable_not_unknown() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    side = UnipassSide(url=f"http://127.0.0.1:{port}/svc", policy=FAST)
    with pytest.raises(RetryableTransportError) as caught:
        side.deliver(ITEM)
    assert type(caught.value) is RetryableTransportError
    assert caught.value.code == "CONNECTION_FAILED"


def test_connect_timeout_is_retryable_not_unknown() -> None:
    error = _classify(requests.exceptions.ConnectTimeout("x"), fired=False, url="u")
    assert type(error) is RetryableTransportError
    assert error.code == "CONNECT_TIMEOUT"


def test_environment_cannot_redirect_calls(
    scripted: Callable[[Script], Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    server = scripted(answer(200, submit_result()))
    assert UnipassSide(url=server.url, policy=FAST).deliver(ITEM).tracking == "T1"


# --- NSW mailbox client -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "error", "code"),
    [
        pytest.param(answer(503, b"", "text/plain"), RetryableTransportError, "HTTP_503", id="503"),
        pytest.param(answer(429, b"", "text/plain"), RetryableTransportError, "HTTP_429", id="429"),
        pytest.param(
            answer(400, b'{"code": "SCHEMA_INVALID", "message": "m"}', "application/json"),
            RemoteRejected,
            "SCHEMA_INVALID",
            id="400-coded",
        ),
        pytest.param(
            answer(403, b"", "text/plain"),
            RetryableTransportError,
            "HTTP_403",
            id="403-credentials-kept",
        ),
        pytest.param(
            answer(401, b"", "text/plain"),
            RetryableTransportError,
            "HTTP_401",
            id="401-credentials-kept",
        ),
        pytest.param(answer(404, b"", "text/plain"), RemoteRejected, "HTTP_404", id="404"),
        pytest.param(
            answer(201, b"<html/>", "text/html"), OutcomeUnknown, "BAD_ANSWER", id="201-not-json"
        ),
        pytest.param(
            answer(201, b'{"message_id": "other", "tracking": "t"}', "application/json"),
            OutcomeUnknown,
            "ANSWER_MISMATCH",
            id="answer-for-another-id",
        ),
        pytest.param(
            drip(b"HTTP/1.1 201 OK\r\nContent-Length: 99999\r\n\r\n"),
            OutcomeUnknown,
            "DEADLINE_EXCEEDED",
            id="slow-drip",
        ),
        pytest.param(close_unanswered, OutcomeUnknown, "CONNECTION_LOST", id="closed-unanswered"),
    ],
)
def test_nsw_fault_is_classified(
    scripted: Callable[[Script], Scripted], script: Script, error: type[Exception], code: str
) -> None:
    server = scripted(script)
    side = NswHttpSide(url=server.url, policy=FAST)
    with pytest.raises(error) as caught:
        side.deliver(ITEM)
    assert type(caught.value) is error
    assert reason(caught.value) == code


def test_retry_after_is_passed_on(scripted: Callable[[Script], Scripted]) -> None:
    def busy(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 503 X\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n")

    server = scripted(busy)
    with pytest.raises(RetryableTransportError) as caught:
        NswHttpSide(url=server.url, policy=FAST).deliver(ITEM)
    assert (caught.value.status, caught.value.retry_after) == (503, 7.0)


def test_deadline_does_not_outlive_its_call(scripted: Callable[[Script], Scripted]) -> None:
    """A deadline that passes after its call finished must not break the next call."""
    server = scripted(answer(200, b"{}", "application/json"))
    client = HttpClient(policy=HttpPolicy(deadline=0.2))
    assert client.request("GET", server.url).status == 200
    time.sleep(0.4)
    assert client.request("GET", server.url).status == 200


def test_each_call_carries_the_policy_headers_its_own_and_the_partners_cookie() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.send_header("Set-Cookie", "route=a1; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/svc"
    policy = HttpPolicy(headers={"Authorization": "Bearer t", "X-Site": "policy"})
    client = HttpClient(policy=policy)
    try:
        client.request("POST", url, data=b"<a/>", headers={"X-Site": "call"}, params={"n": "1 2"})
        client.request("POST", url, data=b"<b/>")
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    (first_path, first), (second_path, second) = seen
    assert (first_path, second_path) == ("/svc?n=1+2", "/svc")
    assert first["authorization"] == second["authorization"] == "Bearer t"
    assert (first["x-site"], second["x-site"]) == ("call", "policy")
    assert "cookie" not in first and second["cookie"] == "route=a1"  # as a session keeps it
