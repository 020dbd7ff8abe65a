"""The metrics listener: ``/metrics`` (Prometheus), ``/healthz`` and ``/readyz``.

``/healthz`` answers 200 while the process serves at all. ``/readyz`` answers 200 when the
store answers, the signing key can sign with a certificate valid now, and at least one
partner answered its last call; 503 otherwise. Both bodies are JSON naming each check.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aswbridge.errors import ConfigurationError
from aswbridge.monitor.metrics import RelayMetrics

log = logging.getLogger("aswbridge.monitor")

_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^\s:\[\]]+)):(?P<port>\d{1,5})$")


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for IPv6) as a host and a port.

    Raises:
        ConfigurationError: naming ``metrics.listen``.
    """
    match = _LISTEN.match(listen)
    if match is None or not 0 <= int(match["port"]) <= 65535:
        raise ConfigurationError(
            f"metrics.listen: expected host:port (e.g. 127.0.0.1:9464), got {listen!r}"
        )
    return match["v6"] or match["host"], int(match["port"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    metrics: RelayMetrics


class _V6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, generate_latest(self.server.metrics.registry), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._json(200, {"status": "ok"})
        elif path == "/readyz":
            checks = self.server.metrics.checks()
            ready = all(ok for ok, _ in checks.values())
            body = {
                "status": "ready" if ready else "not ready",
                "checks": {name: {"ok": ok, "detail": d} for name, (ok, d) in checks.items()},
            }
            self._json(200 if ready else 503, body)
        else:
            self._json(404, {"status": "not found", "paths": ["/metrics", "/healthz", "/readyz"]})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics: " + format, *args)


class MetricsServer:
    """Serves ``metrics`` on ``listen`` from a daemon thread until :meth:`close`.

    Raises:
        ConfigurationError: the address is malformed or cannot be bound.
    """

    def __init__(self, metrics: RelayMetrics, *, listen: str) -> None:
        host, port = parse_listen(listen)
        cls = _V6Server if ":" in host else _Server
        try:
            self._httpd = cls((host, port), _Handler)
        except OSError as exc:
            raise ConfigurationError(f"metrics.listen: cannot listen on {listen}: {exc}") from None
        self._httpd.metrics = metrics
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="aswbridge-metrics", daemon=True
        )
        self._thread.start()
        log.info("metrics, /healthz and /readyz on %s:%d", host, self.port)

    def close(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
