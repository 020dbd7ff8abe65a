"""The relay's load series: chaos, memory ceiling, backlog recovery, store growth, soak.

Every part is its own process (relays, mock NSW and mock UNI-PASS, PostgreSQL); what is
checked is what the mock partners saw, by message id.

* ``--chaos N``: N certificates each way through 3 relays on one PostgreSQL store, the mocks
  answering 10 % of requests 503, dropping 5 % of answers and holding 2 % for 1.5 s, and a
  relay killed with SIGKILL (then restarted) every 2-6 s once all have run 2 s: every
  message delivered once by id, every customs response back, nothing dead.
* ``--memory N``: N certificates through one relay (SQLite): its peak resident set.
* ``--backlog N``: UNI-PASS down while N certificates queue for it, then up: how long the
  queue takes to drain, and the most requests UNI-PASS ever had at once (never more than
  the relay's ``workers``).
* ``--growth N``: bytes per certificate (with its customs response, both inbox rows and
  the journal) in each PostgreSQL table and in a SQLite file.
* ``--hostile N``: N valid signed certificates from the NSW alone, then mixed with 2N
  attacks (entity bombs, external entities, deep nesting, oversized bodies, bytes that are
  not XML, forgeries, unsigned certificates): the valid ones' rate in both runs (the target:
  at least half the clean rate under the flood), every attack refused at its source but
  those over the size cap, which the relay will not read and so leaves waiting there.
* ``--soak S``: S seconds of steady traffic through one relay: file descriptors, sockets
  and store size at the start and the end.

Usage: ``python benchmarks/load.py [--quick] [--chaos N] [--memory N] [--backlog N]
[--growth N] [--hostile N] [--soak S] [--only NAME ...]``. Without ``--only``, everything
but the soak.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cluster import (
    MockProcess,
    Postgres,
    Relay,
    asw_certificates,
    kill_all,
    settled,
    unipass_certificates,
    wait,
    write_config,
)

from aswbridge.store import open_store


@contextlib.contextmanager
def _cleanup() -> Iterator[None]:
    try:
        yield
    finally:
        kill_all()


def _mocks(seed: int = 1) -> tuple[MockProcess, MockProcess]:
    return (
        MockProcess("nsw", "--country", "TH", "--seed", str(seed)),
        MockProcess("unipass", "--seed", str(seed + 1)),
    )


def _counts(store_url: str) -> dict[str, int]:
    store = open_store(store_url, readonly=True)
    try:
        return store.counts()
    finally:
        store.close()


def chaos(
    folder: Path,
    pg: Postgres,
    size: int,
    *,
    relays: int = 3,
    kill_every: tuple[float, float] = (2.0, 6.0),
    max_kills: int | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """``size`` certificates each way through ``relays`` relays under faults and SIGKILLs:
    every ``kill_every`` seconds (drawn), once every relay has run that long since its
    start, one relay chosen at random is killed and started again (``max_kills`` in all)."""
    store = pg.database()
    nsw, unipass = _mocks(seed)
    chance = random.Random(seed)
    try:
        for mock in (nsw, unipass):
            mock.faults(fail_rate=0.10, drop_rate=0.05, slow_rate=0.02, slow_ms=1500)
        for body in asw_certificates(size, f"chaos-th-{seed}"):
            nsw.outbound(body)
        for body in unipass_certificates(size, f"chaos-kr-{seed}"):
            unipass.outbound(body)
        config = write_config(
            folder, "chaos", store=store, nsw=nsw.url, unipass=unipass.url, lease=10
        )
        fleet = [Relay(config, folder / f"chaos-{i}.log") for i in range(relays)]
        for relay in fleet:
            relay.start()
        next_kill = time.monotonic() + chance.uniform(*kill_every)

        def strike() -> None:
            nonlocal next_kill
            for relay in fleet:
                relay.sample_rss()
            now = time.monotonic()
            kills = sum(relay.kills for relay in fleet)
            if now < next_kill or (max_kills is not None and kills >= max_kills):
                return
            if all(now - relay.started_at >= kill_every[0] for relay in fleet):
                victim = chance.choice(fleet)
                victim.kill()
                victim.start()
                next_kill = now + chance.uniform(*kill_every)

        elapsed = wait(
            lambda: settled(nsw, unipass, from_nsw=size, from_unipass=size),
            timeout=60 + size * 0.6,
            every=0.1,
            during=[strike],
        )
        wait(lambda: not (c := _counts(store))["pending"] + c["in_flight"], timeout=60)
        statuses = [relay.stop() for relay in fleet]
        at_nsw, at_unipass = nsw.stats(), unipass.stats()
        counts = _counts(store)
    finally:
        kill_all()
        nsw.close()
        unipass.close()
    return {
        "size": size,
        "seconds": elapsed,
        "certificates_per_s": 2 * size / elapsed,
        "kills": sum(relay.kills for relay in fleet),
        "exit_statuses": statuses,
        "at_unipass": at_unipass["by_kind"],
        "at_nsw": at_nsw["by_kind"],
        "distinct": at_unipass["distinct"] + at_nsw["distinct"],
        "resends_recognised": at_unipass["received"]
        + at_nsw["received"]
        - at_unipass["distinct"]
        - at_nsw["distinct"],
        "faults": {k: at_unipass[k] + at_nsw[k] for k in ("failed", "dropped", "slow")},
        "store": counts,
        "peak_rss_mb": max(relay.peak_rss_mb for relay in fleet),
    }


def memory(folder: Path, size: int) -> dict[str, Any]:
    """``size`` certificates through one relay on SQLite; its peak RSS, sampled."""
    nsw, unipass = _mocks(3)
    try:
        config = write_config(
            folder, "memory", store=str(folder / "memory.db"), nsw=nsw.url, unipass=unipass.url
        )
        relay = Relay(config, folder / "memory.log")
        relay.start()
        wait(lambda: nsw.stats()["requests"] > 0, timeout=60)
        relay.sample_rss()
        idle = relay.peak_rss_mb
        for body in asw_certificates(size, "memory"):
            nsw.outbound(body)
        elapsed = wait(
            lambda: settled(nsw, unipass, from_nsw=size, from_unipass=0),
            timeout=60 + size * 0.5,
            every=0.2,
            during=[relay.sample_rss],
        )
        status = relay.stop()
        delivered = unipass.stats()["by_kind"].get("certificate", 0)
    finally:
        kill_all()
        nsw.close()
        unipass.close()
    return {
        "size": size,
        "seconds": elapsed,
        "delivered": delivered,
        "exit_status": status,
        "idle_rss_mb": idle,
        "peak_rss_mb": relay.peak_rss_mb,
    }


def backlog(folder: Path, size: int, *, workers: int = 4) -> dict[str, Any]:
    """UNI-PASS down while ``size`` certificates queue for it; then up: the drain."""
    nsw, unipass = _mocks(5)
    try:
        unipass.faults(fail_rate=1.0)
        config = write_config(
            folder,
            "backlog",
            store=str(folder / "backlog.db"),
            nsw=nsw.url,
            unipass=unipass.url,
            workers=workers,
            max_backoff=2.0,
        )
        relay = Relay(config, folder / "backlog.log")
        relay.start()
        for body in asw_certificates(size, "backlog"):
            nsw.outbound(body)
        wait(lambda: nsw.stats()["pending"] == 0, timeout=60 + size * 0.2)  # all taken
        queued = _counts(str(folder / "backlog.db"))
        unipass.faults(fail_rate=0.0)
        elapsed = wait(
            lambda: settled(nsw, unipass, from_nsw=size, from_unipass=0),
            timeout=60 + size * 0.5,
            every=0.2,
        )
        status = relay.stop()
        stats = unipass.stats()
    finally:
        kill_all()
        nsw.close()
        unipass.close()
    return {
        "size": size,
        "queued_while_down": queued["pending"] + queued["in_flight"],
        "drain_seconds": elapsed,
        "drained_per_s": size / elapsed,
        "max_concurrent_at_unipass": stats["max_concurrent"],
        "workers": workers,
        "delivered": stats["by_kind"],
        "exit_status": status,
    }


def growth(folder: Path, pg: Postgres, size: int) -> dict[str, Any]:
    """Bytes per certificate (with its response and all records) per table, both stores."""
    import psycopg

    result: dict[str, Any] = {"size": size}
    for name in ("sqlite", "postgres"):
        store = pg.database() if name == "postgres" else str(folder / "growth.db")
        nsw, unipass = _mocks(9)
        try:
            config = write_config(
                folder, f"growth-{name}", store=store, nsw=nsw.url, unipass=unipass.url
            )
            relay = Relay(config, folder / f"growth-{name}.log")
            relay.start()
            for body in asw_certificates(size, f"growth-{name}"):
                nsw.outbound(body)
            wait(
                lambda n=nsw, u=unipass: settled(n, u, from_nsw=size, from_unipass=0),
                timeout=60 + size * 0.5,
                every=0.2,
            )
            relay.stop()
        finally:
            kill_all()
            nsw.close()
            unipass.close()
        if name == "postgres":
            with psycopg.connect(store) as conn:
                rows = conn.execute(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'aswbridge' AND c.relkind = 'r'"
                ).fetchall()
            result[name] = {
                table: size_ / size for table, size_ in rows if table != "schema_version"
            }
        else:
            conn = sqlite3.connect(store)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try:
                rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
                tables = {"outbox", "inbox", "journal"}
                per = {t: 0.0 for t in tables}
                for obj, size_ in rows:  # indexes counted with their table
                    owner = next((t for t in tables if t in obj), None)
                    if owner is not None:
                        per[owner] += size_ / size
                result[name] = per
            except sqlite3.OperationalError:  # no dbstat in this SQLite build
                result[name] = {"file": Path(store).stat().st_size / size}
            conn.close()
    return result


def _hostile_bodies(signed: list[bytes], count: int) -> list[bytes]:
    """``count`` attacks, cycling through entity bombs, external entities, deep nesting,
    a body past the size limit, bytes that are not XML, forgeries (a signed certificate
    changed after signing) and unsigned certificates."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">'
            % ((chr(98 + i).encode(),) + (chr(97 + i).encode(),) * 10)
            for i in range(8)
        )
        + b"]><l>&i;</l>"
    )
    attacks = [
        bomb,
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<a>" * 5000 + b"</a>" * 5000,
        b"<x>" + b" " * (9 * 1024 * 1024) + b"</x>",
        b"\x00\xff not xml at all",
    ]
    out = []
    for i in range(count):
        kind = i % 7
        if kind < len(attacks):
            out.append(attacks[kind])
        elif kind == 5:  # a forgery: the signed bytes changed after signing
            out.append(
                signed[i % len(signed)].replace(b"<", b"<!-- x --><", 1).replace(b"KR", b"KP", 1)
            )
        else:
            out.append(asw_certificates(1, f"unsigned-{i}")[0])
    return out


def hostile(folder: Path, valid: int, attacks: int) -> dict[str, Any]:
    """Valid signed certificates alone, then mixed with ``attacks`` hostile messages from the
    same NSW: the valid certificates' rate both ways, and every attack refused at its source.
    The mocks run in this process (the attacks are put straight into the NSW's mailbox)."""
    from aswbridge.pipeline import SigningKey, write
    from aswbridge.samples.builder import certificate
    from aswbridge.security import pki
    from aswbridge.testing.mocks import MockNsw, MockUnipass

    test_pki = pki.create(folder / "pki", countries=("TH", "KR"), bridge_country="TH")
    key, cert, chain = test_pki.signer("TH")
    th = SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))
    key, cert, chain = test_pki.signer("KR")
    kr = SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))
    bridge_key, bridge_cert = test_pki.bridge
    trust = (
        f'\n[trust]\nanchors = ["{test_pki.path}/TH", "{test_pki.path}/KR"]\n'
        f'sign_key = "{bridge_key}"\nsign_cert = "{bridge_cert}"\n'
    )
    result: dict[str, Any] = {"valid": valid, "attacks": attacks}
    for run, count in (("clean", 0), ("flood", attacks)):
        signed = [
            write(
                certificate(
                    exporter_country="TH", importing_country="KR", name=f"hostile-{run}-{i}"
                ),
                profile="asw",
                signing=th,
            )
            for i in range(valid)
        ]
        with MockNsw(country="TH") as nsw, MockUnipass(signing=kr) as unipass, _cleanup():
            config = write_config(
                folder,
                f"hostile-{run}",
                store=str(folder / f"{run}.db"),
                nsw=nsw.url,
                unipass=unipass.url,
                extra=trust,
            )
            relay = Relay(config, folder / f"hostile-{run}.log")
            relay.start()
            wait(lambda n=nsw: n.stats()["requests"] > 0, timeout=120)
            bodies = _hostile_bodies(signed, count)
            for i, body in enumerate(signed):  # one attack between valid certificates, or more
                nsw.outbound(body)
                for attack in bodies[i * count // valid : (i + 1) * count // valid]:
                    nsw.mailbox.queue(
                        message_id=f"attack-{run}-{id(attack)}-{i}",
                        kind="certificate",
                        sender="TH",
                        receiver="KR",
                        body=attack,
                    )
            seconds = wait(
                lambda n=nsw, u=unipass: (
                    n.stats()["by_kind"].get("response", 0) >= valid
                    and u.stats()["by_kind"].get("certificate", 0) >= valid
                ),
                timeout=120 + valid * 2,
                every=0.02,
            )
            oversized = sum(1 for body in bodies if len(body) > 8 * 1024 * 1024)
            wait(lambda n=nsw, o=oversized: n.stats()["pending"] <= o, timeout=120)
            status = relay.stop()
            stats = nsw.stats()
            result[run] = {
                "certificates_per_s": valid / seconds,
                "delivered": unipass.stats()["by_kind"],
                "refused_at_source": stats["rejected"],
                "left_waiting_over_the_size_cap": stats["pending"],
                "exit_status": status,
                "peak_rss_mb": relay.peak_rss_mb,
            }
    result["ratio"] = result["flood"]["certificates_per_s"] / result["clean"]["certificates_per_s"]
    return result


def soak(folder: Path, seconds: float, *, rate: float = 5.0) -> dict[str, Any]:
    """``rate`` certificates/s for ``seconds`` through one relay: its descriptors, sockets
    and store size at the start and the end."""
    nsw, unipass = _mocks(13)
    samples: list[tuple[float, int, int, int]] = []
    try:
        db = folder / "soak.db"
        config = write_config(folder, "soak", store=str(db), nsw=nsw.url, unipass=unipass.url)
        relay = Relay(config, folder / "soak.log")
        relay.start()
        wait(lambda: nsw.stats()["requests"] > 0, timeout=60)
        assert relay.process is not None
        pid = relay.process.pid
        start, sent = time.monotonic(), 0
        bodies = iter(asw_certificates(int(seconds * rate) + 1, "soak"))
        while (now := time.monotonic()) - start < seconds:
            while sent < (now - start) * rate:
                nsw.outbound(next(bodies))
                sent += 1
            if not samples or now - start - samples[-1][0] >= max(5.0, seconds / 20):
                fds = len(os.listdir(f"/proc/{pid}/fd"))
                sockets = sum(
                    1
                    for fd in os.listdir(f"/proc/{pid}/fd")
                    if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
                )
                size = sum(p.stat().st_size for p in folder.glob("soak.db*"))
                samples.append((now - start, fds, sockets, size))
            time.sleep(0.05)
        wait(lambda: settled(nsw, unipass, from_nsw=sent, from_unipass=0), timeout=120)
        relay.stop()
    finally:
        kill_all()
        nsw.close()
        unipass.close()
    return {
        "seconds": seconds,
        "certificates": sent,
        "samples (seconds, descriptors, sockets, store bytes)": samples,
        "descriptors": (samples[0][1], max(s[1] for s in samples), samples[-1][1]),
        "sockets": (samples[0][2], max(s[2] for s in samples), samples[-1][2]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--chaos", type=int, help="certificates each way (1000)")
    parser.add_argument("--memory", type=int, help="certificates through one relay (10000)")
    parser.add_argument("--backlog", type=int, help="certificates queued while down (5000)")
    parser.add_argument("--growth", type=int, help="certificates for the store's growth (500)")
    parser.add_argument("--hostile", type=int, help="valid certificates in the flood (100)")
    parser.add_argument("--soak", type=float, help="seconds of steady traffic (off)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        choices=["chaos", "memory", "backlog", "growth", "hostile", "soak"],
    )
    args = parser.parse_args(argv)
    sizes = {"chaos": 50, "memory": 200, "backlog": 100, "growth": 100, "hostile": 20}
    if not args.quick:
        sizes = {"chaos": 1000, "memory": 10_000, "backlog": 5000, "growth": 500, "hostile": 100}
    for name in sizes:
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    chosen = args.only or [*sizes, *(["soak"] if args.soak else [])]
    print(f"cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="aswbridge-load-") as tmp, Postgres() as pg:
        folder = Path(tmp)
        for name in chosen:
            if name == "chaos":
                report = chaos(folder, pg, sizes["chaos"])
            elif name == "memory":
                report = memory(folder, sizes["memory"])
            elif name == "backlog":
                report = backlog(folder, sizes["backlog"])
            elif name == "growth":
                report = growth(folder, pg, sizes["growth"])
            elif name == "hostile":
                report = hostile(folder, sizes["hostile"], 2 * sizes["hostile"])
            else:
                report = soak(folder, args.soak or 60.0)
            print(f"{name}: {report}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
