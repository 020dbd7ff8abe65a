"""The multi-node store: PostgreSQL through psycopg 3 (the ``[postgres]`` extra).

The same tables, states, journal and guarantees as the SQLite store. Claims lock the rows
they take with ``FOR UPDATE SKIP LOCKED``, so several relays (on several hosts) can share
one database without ever leasing the same message twice; within one relay, each thread
takes its own connection from a small pool. Every call commits before it returns;
PostgreSQL's default ``synchronous_commit = on`` makes each commit durable, and the store
refuses to run if it is off.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aswbridge.errors import ConfigurationError, StoreError
from aswbridge.store._rows import ts
from aswbridge.store._schema import POSTGRES, migrate
from aswbridge.store._sqlstore import SqlStore
from aswbridge.store.base import lessee, utcnow

log = logging.getLogger("aswbridge.store")

#: Idle connections kept open (the relay's busiest moment uses about twice its workers).
_IDLE_MAX = 16

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _lock_key(schema: str) -> int:
    """The advisory lock key that serialises creating and migrating one schema."""
    return int.from_bytes(
        hashlib.sha256(f"aswbridge:{schema}".encode()).digest()[:8], "big", signed=True
    )


class PostgresStore(SqlStore):
    """The :class:`~aswbridge.store.base.Store` on a PostgreSQL database.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        schema: the schema holding the tables (created if missing).
        now: the clock, returning an aware datetime (injected by tests).
        owner: who takes the leases, for the journal (default: host name and process id).
    """

    marker = "%s"
    lock_rows = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "aswbridge",
        now: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigurationError(
                "the PostgreSQL store needs psycopg: pip install 'aswbridge[postgres]'"
            ) from exc
        if not _IDENTIFIER.match(schema):
            raise ConfigurationError(f"store schema must be a plain identifier, not {schema!r}")
        self._now = now
        self.owner = owner or lessee()
        self._dsn, self._schema = dsn, schema
        self._pool_lock = threading.Lock()
        conn = self._connect()
        try:
            self._create(conn, schema)
        except StoreError:
            conn.close()
            raise
        self._idle: list[Any] = [conn]

    def _connect(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        try:
            conn: Any = psycopg.connect(self._dsn, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store: {exc}") from exc
        if conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "off":
            conn.close()
            raise StoreError("synchronous_commit is off: commits would not be durable")
        conn.execute(f"SET search_path TO {self._schema}")
        return conn

    def _create(self, conn: Any, schema: str) -> None:
        with conn.transaction():
            # one relay creates or migrates the schema; the others wait here, then find it
            # current (CREATE ... IF NOT EXISTS alone races on the catalogue)
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(schema),))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self.schema_version = migrate(
                conn.execute,
                has_table=lambda name: (
                    conn.execute("SELECT to_regclass(%s) AS t", (f"{schema}.{name}",)).fetchone()[
                        "t"
                    ]
                    is not None
                ),
                dialect=POSTGRES,
                at=ts(self._now()),
            )

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection of the pool, this thread's alone until the block ends.

        The relay's threads each take their own, so their transactions run side by side
        (and their commits reach the disk together) instead of queueing on one. A
        connection the server closed (a restart, a failover) is dropped: the call that
        met it fails, the next one connects again.
        """
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            if conn.broken or conn.closed:
                log.warning("the PostgreSQL store's connection was lost; reconnecting")
                conn.close()
            else:
                with self._pool_lock:
                    keep = len(self._idle) < _IDLE_MAX
                    if keep:
                        self._idle.append(conn)
                if not keep:
                    conn.close()

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._connection() as conn, conn.transaction():
            yield conn

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._connection() as conn:
            return list(self._x(conn, sql, params).fetchall())

    def close(self) -> None:
        """Close every connection of the pool."""
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
