"""Relay benchmark: certificates per second end to end, for 1, 2 and 3 relays, against the
pure pipeline measured in the same run.

Measured on the same kind of certificate (3-item FORM_AK, Thailand to Korea):

* **pipeline** – what one relay hop computes per message, with no I/O: translate
  ``asw`` → ``unipass`` verifying the issuing authority's signature against a test trust
  store and signing the output with the bridge's key, then verifying that output
  (translate + sign + verify), in this process;
* **relay** – relay processes (``aswbridge run``, output signed by the bridge's key) between
  the mock NSW and the mock UNI-PASS, each in its own process on loopback: N certificates
  queued at the NSW, the time until UNI-PASS has all N and the NSW has all N customs
  responses back (two translations, two signatures and two deliveries per certificate,
  with the store's commits). One relay on a SQLite store; 1, 2 and 3 relays on one
  PostgreSQL store. The relays are started and idle before the certificates are queued, so
  their start-up is not counted.

The relays cannot verify signatures here (the mocks' customs responses are unsigned), so
their hops translate and sign; the pipeline figure includes verification and is the
stricter baseline. On a machine with fewer cores than processes (relays, two mocks,
PostgreSQL), more relays share the same cores: the figures say what the store and the
relays' coordination cost, not how far more hosts would scale.

The last line printed is::

    ratio vs pipeline: sqlite X.XX, postgresql 1 relay X.XX, 2 relays X.XX, 3 relays X.XX

One bridge serving 1 and 5 partners, and 5 with one of them down, is ``benchmarks/mesh.py``
(with its own pipeline baseline: those hops translate unsigned).

Usage: ``python benchmarks/relay.py [--quick] [--count N]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cluster import MockProcess, Postgres, Relay, asw_certificates, settled, wait, write_config

from aswbridge.pipeline import SigningKey, translate, write
from aswbridge.samples.builder import certificate
from aswbridge.security import TrustStore, Verifier, pki

TRUST = """
[trust]
sign_key = "{key}"
sign_cert = "{cert}"
"""


def pipeline_rate(test_pki: pki.Pki, count: int) -> float:
    """Certificates/s of translate (verify input, sign output) + verify output."""
    key, cert, chain = test_pki.load("TH")
    issuer = SigningKey(key=key, cert=cert, chain=tuple(chain))
    bodies = [
        write(
            certificate(exporter_country="TH", importing_country="KR", name=f"pipe-{i}"),
            profile="asw",
            signing=issuer,
        )
        for i in range(count)
    ]
    trust_th = TrustStore.from_paths([test_pki.country("TH")])
    trust_bridge = TrustStore.from_paths([test_pki.path / "bridge" / "root-ca.pem"])
    bridge_key, bridge_cert = test_pki.bridge
    signing = SigningKey.from_files(key=str(bridge_key), cert=str(bridge_cert))
    verifier = Verifier()

    def hop(body: bytes) -> None:
        out = translate(body, source="asw", target="unipass", trust=trust_th, signing=signing)
        verifier.verify(out, trust=trust_bridge)

    for body in bodies[:5]:
        hop(body)  # warm-up: schemas, code lists
    start = time.perf_counter()
    for body in bodies:
        hop(body)
    return count / (time.perf_counter() - start)


def relay_rate(
    folder: Path, test_pki: pki.Pki, *, store: str, relays: int, count: int, run: str
) -> float:
    """Certificates/s through ``relays`` relay processes sharing ``store``, answers back."""
    bodies = asw_certificates(count, run)
    key, cert = test_pki.bridge
    nsw = MockProcess("nsw", "--country", "TH")
    unipass = MockProcess("unipass")
    fleet: list[Relay] = []
    try:
        config = write_config(
            folder,
            run,
            store=store,
            nsw=nsw.url,
            unipass=unipass.url,
            extra=TRUST.format(key=key, cert=cert),
        )
        fleet = [Relay(config, folder / f"{run}-{i}.log") for i in range(relays)]
        for relay in fleet:
            relay.start()
        wait(lambda: nsw.stats()["requests"] >= 2 * relays, timeout=120)  # all polling
        start = time.perf_counter()
        for body in bodies:
            nsw.outbound(body)
        wait(
            lambda: settled(nsw, unipass, from_nsw=count, from_unipass=0),
            timeout=60 + count,
            every=0.01,
        )
        elapsed = time.perf_counter() - start
        if [relay.stop() for relay in fleet] != [0] * relays:
            raise SystemExit(f"a relay of {run} did not stop cleanly")
        assert unipass.stats()["distinct"] == count and nsw.stats()["distinct"] == count
    finally:
        for relay in fleet:
            if relay.alive:
                relay.kill()
        nsw.close()
        unipass.close()
    return count / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 certificates per run")
    parser.add_argument("--count", type=int, help="certificates per run (300)")
    args = parser.parse_args(argv)
    count = args.count or (60 if args.quick else 300)
    with tempfile.TemporaryDirectory(prefix="aswbridge-bench-") as tmp, Postgres() as pg:
        folder = Path(tmp)
        test_pki = pki.create(folder / "pki", countries=["TH", "KR"])
        pipeline = pipeline_rate(test_pki, count)
        print(f"cpus: {os.cpu_count()}, certificates per run: {count}")
        print(f"pipeline (translate + sign + verify), in process: {pipeline:7.1f} certificates/s")
        runs = [("sqlite", 1, str(folder / "relay.db"))]
        runs += [("postgresql", n, pg.database()) for n in (1, 2, 3)]
        ratios = []
        for name, relays, store in runs:
            rate = relay_rate(
                folder, test_pki, store=store, relays=relays, count=count, run=f"{name}-{relays}"
            )
            ratios.append(rate / pipeline)
            print(
                f"relay, {name:10} {relays} relay{'s' if relays > 1 else ' '}:"
                f"           {rate:7.1f} certificates/s, {rate / pipeline:.2f}x the pipeline",
                flush=True,
            )
    print(
        f"ratio vs pipeline: sqlite {ratios[0]:.2f}, postgresql 1 relay {ratios[1]:.2f},"
        f" 2 relays {ratios[2]:.2f}, 3 relays {ratios[3]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
