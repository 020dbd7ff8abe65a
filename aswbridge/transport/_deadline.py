"""A total wall-clock deadline for HTTP calls made through ``requests``.

A read timeout bounds only the gap between two bytes: a server that drips one byte
at a time holds a call for ever. Here every connection a call uses registers itself
with the call's watch; one daemon thread fires the watches whose deadline has
passed by shutting their socket down, which makes the blocked read fail at once.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

__all__ = ["DeadlineAdapter", "deadline"]


class _Watch:
    """One call under a deadline: the connection it uses and whether time ran out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conn: Any = None
        self.fired = False
        self.done = False

    def fire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            sock = getattr(self.conn, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that fires the watches whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, at: float, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._seq), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="aswbridge-http-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()  # only an earlier deadline changes the thread's wait

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(timeout=30.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                at, _, watch = self._heap[0]
                delay = at - time.monotonic()
                if delay > 0:
                    self._cond.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
            watch.fire()


_WATCHDOG = _Watchdog()
_current = threading.local()


def _register(conn: Any) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        with watch.lock:
            watch.conn = conn
            fired = watch.fired
        if fired:
            watch.fire()


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _Pool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _TlsPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections can be shut down by the deadline watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}


@contextmanager
def deadline(seconds: float) -> Iterator[_Watch]:
    """Run the body under a deadline; ``watch.fired`` tells whether it passed."""
    watch = _Watch()
    _current.watch = watch
    _WATCHDOG.add(time.monotonic() + seconds, watch)
    try:
        yield watch
    finally:
        with watch.lock:
            watch.done = True
        _current.watch = None
