"""The relay's thread pools, kept from pass to pass while it runs.

Each thread keeps its own XML parser and compiled schemas (:mod:`aswbridge._xml`), and a
new thread compiles them again: pools made afresh for every pass would pay that for every
pass. While :meth:`~aswbridge.relay.bridge.Bridge.run_forever` runs, the bridge keeps its
pools (:meth:`Pools.kept`); a pass run alone (``run_once``) makes its own and ends them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


class Pools:
    """Named thread pools: kept inside :meth:`kept`, made for each use outside it."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[int, ThreadPoolExecutor]] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Keep every pool used until the block ends; then end them, their work done."""
        with self._lock:
            self._kept = {}
        try:
            yield
        finally:
            with self._lock:
                kept, self._kept = self._kept or {}, None
            for _, pool in kept.values():
                pool.shutdown(wait=True)

    @contextmanager
    def pool(self, name: str, size: int) -> Iterator[ThreadPoolExecutor]:
        """The pool ``name`` of ``size`` threads (started as work needs them). One user
        at a time per name: a kept pool whose size changes is replaced."""
        with self._lock:
            kept = self._kept
            found = None if kept is None else kept.get(name)
            if kept is not None and (found is None or found[0] != size):
                if found is not None:
                    found[1].shutdown(wait=False)  # its last work finishes on its own
                found = kept[name] = (size, ThreadPoolExecutor(size, thread_name_prefix=name))
        if found is not None:
            yield found[1]
            return
        with ThreadPoolExecutor(size, thread_name_prefix=name) as pool:
            yield pool
