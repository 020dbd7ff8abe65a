"""HTTP plumbing shared by the HTTP transports: session policy, deadline, error mapping.

* The :class:`requests.Session` never reads the environment (``trust_env=False``):
  ``REQUESTS_CA_BUNDLE`` and proxy variables cannot silently replace the configured
  CA bundle or route traffic elsewhere.
* Every call has a connect timeout, a read timeout (between two bytes) and a total
  wall-clock deadline. A server that drips one byte at a time defeats the read
  timeout; the deadline does not: a watchdog shuts the socket down when it passes.
* Answers are read up to a byte cap, never further.
* Faults of ``requests`` and ``urllib3`` become the transport errors of
  :mod:`aswbridge.transport.base`: a fault before the request left is retryable, a
  fault after it left is an unknown outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import attrs
import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from aswbridge._settings import Range
from aswbridge._xml import DEFAULT_MAX_BYTES
from aswbridge.errors import MAX_REMOTE_CODE, ConfigurationError, partner_text
from aswbridge.logs import redact
from aswbridge.transport._deadline import DeadlineAdapter, deadline
from aswbridge.transport.base import (
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
)

__all__ = ["HttpAnswer", "HttpClient", "HttpPolicy"]

_SECONDS = Range(0, 86_400, low_open=True)


@attrs.frozen(kw_only=True)
class HttpPolicy:
    """How a transport talks HTTP to its partner.

    Attributes:
        connect_timeout: seconds to open the connection (TCP and TLS).
        read_timeout: seconds to wait for the next bytes of the answer.
        deadline: seconds for the whole call, however the server paces its bytes.
        ca_bundle: PEM file of the CAs that may sign the partner's server
            certificate; ``None`` uses the bundle that ships with ``requests``.
        client_cert: PEM client certificate for mutual TLS (optional).
        client_key: PEM private key of ``client_cert`` (if not in the same file).
        max_answer_bytes: answers longer than this are refused unread.
        headers: extra HTTP headers sent on every call (for example authorisation).
    """

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 60.0
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    max_answer_bytes: int = DEFAULT_MAX_BYTES
    headers: Mapping[str, str] = attrs.field(
        factory=dict,
        repr=lambda h: repr(dict.fromkeys(h, "***")),  # values may be secrets
    )

    def __attrs_post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "deadline"):
            _SECONDS.validate(name, getattr(self, name))
        Range(1, math.inf, integer=True).validate("max_answer_bytes", self.max_answer_bytes)
        if self.client_key and not self.client_cert:
            raise ConfigurationError("client_key given without client_cert")


@attrs.frozen(kw_only=True)
class HttpAnswer:
    """A complete HTTP answer (status, headers with lower-case names, body)."""

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")

    @property
    def content(self) -> bytes:
        """The body (the name zeep and requests use)."""
        return self.body


# --- the client -----------------------------------------------------------------------


def make_session(policy: HttpPolicy) -> requests.Session:
    """A session that ignores the environment and applies the policy's TLS settings."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {}
    session.verify = policy.ca_bundle if policy.ca_bundle else True
    if policy.client_cert:
        session.cert = (
            (policy.client_cert, policy.client_key) if policy.client_key else policy.client_cert
        )
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(policy.headers)
    return session


class HttpClient:
    """Send one request under the policy and return the whole answer, or raise a
    transport error. Thread-safe."""

    def __init__(self, *, policy: HttpPolicy) -> None:
        self.policy = policy
        self._session = make_session(policy)

    def request(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """Send the request; the answer is complete, whatever its status."""
        policy, session = self.policy, self._session
        with deadline(policy.deadline) as watch:
            try:
                # prepared here rather than by Session.request, which merges the session's
                # settings (none of them per call) into new objects on every call
                request = requests.PreparedRequest()
                request.prepare(
                    method=method,
                    url=url,
                    headers=self._headers(headers),
                    data=data,
                    params=dict(params) if params else None,
                    cookies=session.cookies,
                )
                response = session.send(
                    request,
                    timeout=(policy.connect_timeout, policy.read_timeout),
                    stream=True,
                    allow_redirects=False,
                    verify=session.verify,
                    cert=session.cert,
                    proxies=session.proxies,
                )
                try:
                    body = self._read(response)
                finally:
                    response.close()
            except requests.RequestException as exc:
                raise _classify(exc, fired=watch.fired, url=redact(url)) from None
            except OSError as exc:  # a socket shut down under a low-level read
                raise _classify(exc, fired=watch.fired, url=redact(url)) from None
        if watch.fired:
            raise OutcomeUnknown(
                f"{redact(url)}: no complete answer within the deadline",
                code="DEADLINE_EXCEEDED",
            )
        return HttpAnswer(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
        )

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str | bytes]:
        """The session's headers (the policy's among them), then this call's."""
        merged = CaseInsensitiveDict(self._session.headers)
        merged.update(extra or {})
        return {k: v for k, v in merged.items() if v is not None}

    def _read(self, response: requests.Response) -> bytes:
        cap = self.policy.max_answer_bytes
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > cap:
            raise ResponseRefused(
                f"answer of {length} bytes is over the cap of {cap}", cause_code="INPUT_TOO_LARGE"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > cap:
                raise ResponseRefused(
                    f"answer is over the cap of {cap} bytes", cause_code="INPUT_TOO_LARGE"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                yield from _chain(arg)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            yield from _chain(reason)
        current = current.__cause__ or current.__context__


def _reason(exc: BaseException) -> str:
    """The innermost cause's text, without urllib3's pool and retry wrapping."""
    text = str(exc)
    for cause in _chain(exc):
        if not isinstance(cause, requests.RequestException | urllib3.exceptions.HTTPError):
            text = str(cause) or type(cause).__name__
    return text


def _classify(exc: BaseException, *, fired: bool, url: str) -> Exception:
    """Map a requests/urllib3/socket fault to a transport error."""
    if fired:
        return OutcomeUnknown(
            f"{url}: no complete answer within the deadline", code="DEADLINE_EXCEEDED"
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return RetryableTransportError(f"{url}: connect timeout", code="CONNECT_TIMEOUT")
    if isinstance(exc, requests.exceptions.SSLError):
        # Fail closed: a TLS failure is a configuration problem, not a passing fault.
        return RemoteRejected(
            f"{url}: TLS failure: {_reason(exc)}",
            remote_code="TLS_FAILED",
            remote_text=_reason(exc),
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return OutcomeUnknown(f"{url}: read timeout", code="READ_TIMEOUT")
    if isinstance(exc, ResponseRefused):
        return exc
    causes = list(_chain(exc))
    if any(
        isinstance(
            c,
            urllib3.exceptions.NewConnectionError
            | ConnectionRefusedError
            | urllib3.exceptions.NameResolutionError,
        )
        for c in causes
    ):
        return RetryableTransportError(
            f"{url}: cannot connect: {_reason(exc)}", code="CONNECTION_FAILED"
        )
    if isinstance(
        exc,
        requests.exceptions.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError
        | OSError,
    ):
        return OutcomeUnknown(f"{url}: connection lost: {_reason(exc)}", code="CONNECTION_LOST")
    return RetryableTransportError(f"{url}: {_reason(exc)}", code="TRANSPORT_RETRYABLE")


def status_error(
    answer: HttpAnswer, *, url: str, remote_code: str = "", text: str = ""
) -> Exception:
    """The transport error for a non-2xx answer; ``remote_code`` and ``text`` are what
    the partner said about it (its own code and words).

    5xx, 408, 425 and 429 are passing faults. 401 and 403 say our credentials (token,
    client certificate) are refused: every message to that partner would fail alike, so
    they are kept and retried with backoff (the partner is paused, the queue is kept)
    until an operator fixes the credentials, rather than dead-lettered one by one. A 3xx
    (the partner moved) is never followed, since the new place is not the configured
    one and would receive our messages and credentials: it is kept and retried with
    backoff likewise, its ``Location`` named in the error, until an operator configures
    the new URL. Other 4xx answers refuse this message: never retried.

    A retried fault's ``code`` is always ours, ``HTTP_<status>``: the partner's code is
    kept apart in ``remote_code`` and shown in the message, never taken as ours.
    """
    status, url, said = answer.status, redact(url), partner_text(text)
    if remote_code:
        said = f"{partner_text(remote_code, MAX_REMOTE_CODE)}: {said}"
    retry_after = _retry_after(answer.headers.get("retry-after"))
    if not 300 <= status <= 599:  # http.client takes any three digits: 600 says nothing
        return OutcomeUnknown(
            f"{url}: HTTP {status} is not an answer HTTP defines", code="BAD_ANSWER"
        )
    if 300 <= status < 400:
        location = redact(partner_text(answer.headers.get("location", ""), 200))
        return RetryableTransportError(
            f"{url}: HTTP {status} redirect to {location or '(no Location)'} not followed;"
            " configure the partner's new URL",
            code=f"HTTP_{status}",
            status=status,
            retry_after=retry_after,
            remote_code=remote_code,
        )
    if status >= 500 or status in (401, 403, 408, 425, 429):
        return RetryableTransportError(
            f"{url}: HTTP {status} {said}".rstrip(),
            code=f"HTTP_{status}",
            status=status,
            retry_after=retry_after,
            remote_code=remote_code,
        )
    return RemoteRejected(
        f"{url}: HTTP {status} {partner_text(text)}".rstrip(),
        remote_code=remote_code or f"HTTP_{status}",
        remote_text=text,
        status=status,
    )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, 300.0))
