"""Relay benchmark: certificates per second end to end, against the pure pipeline.

Measured in one run, on the same kind of certificate (3-item FORM_AK, Thailand to Korea):

* **pipeline** – what one relay hop computes per message, with no I/O: translate
  ``asw`` → ``unipass`` verifying the issuing authority's signature against a test trust
  store and signing the output with the bridge's key, then verifying that output
  (translate + sign + verify), in this process;
* **relay** – the relay process (``aswbridge run``, SQLite store, ``allow_unsigned``, output
  signed) between the NSW mock and the UNI-PASS mock on loopback: N certificates queued at
  the NSW, the time until UNI-PASS has all N and the NSW has all N customs responses back
  (two translations and two deliveries per certificate, with the store's commits), once
  with no faults and once with 10 % of requests answered 503. The relay is started and
  idle before the certificates are queued, so its start-up is not counted. The mocks run
  in this process, the relay in its own.

The relay cannot verify signatures here (the mocks' customs responses are unsigned), so
its hops do translate + sign; the pipeline figure includes verification and is the stricter
baseline.

The last line printed is::

    ratio vs pipeline: X.XX (no faults), X.XX (10% 503)

Usage: ``python benchmarks/relay.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aswbridge.pipeline import SigningKey, translate, write
from aswbridge.samples.builder import certificate
from aswbridge.security import TrustStore, Verifier, pki
from aswbridge.testing.mocks import Faults, MockNsw, MockUnipass

CONFIG = """
[bridge]
country = "TH"
store = "relay.db"
allow_unsigned = true
poll_interval = 0.02
batch = 100
workers = 4

[nsw]
url = "{nsw}"

[unipass]
url = "{unipass}"

[retry]
initial = 0.05
maximum = 0.5
jitter = 0.05
max_attempts = 100

[trust]
sign_key = "{key}"
sign_cert = "{cert}"
"""


def certificates(count: int, run: str) -> list[bytes]:
    """``count`` distinct unsigned ASW certificates."""
    return [
        write(
            certificate(exporter_country="TH", importing_country="KR", name=f"{run}-{i}"),
            profile="asw",
        )
        for i in range(count)
    ]


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


def relay_rate(folder: Path, test_pki: pki.Pki, count: int, faults: Faults, run: str) -> float:
    """Certificates/s through the relay process, responses back included."""
    bodies = certificates(count, run)
    key, cert = test_pki.bridge
    with MockNsw(country="TH", faults=faults) as nsw, MockUnipass(faults=faults) as unipass:
        config = folder / f"{run}.toml"
        config.write_text(
            CONFIG.format(nsw=nsw.url, unipass=unipass.url, key=key, cert=cert).replace(
                "relay.db", f"{run}.db"
            )
        )
        relay = subprocess.Popen(
            [sys.executable, "-m", "aswbridge", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while nsw.stats()["requests"] == 0 or unipass.stats()["requests"] == 0:
                if relay.poll() is not None:
                    raise SystemExit(f"the relay exited with {relay.returncode}")
                time.sleep(0.01)
            start = time.perf_counter()
            for body in bodies:
                nsw.outbound(body)
            while True:
                at_unipass, at_nsw = unipass.stats()["by_kind"], nsw.stats()["by_kind"]
                if at_unipass.get("certificate", 0) >= count and at_nsw.get("response", 0) >= count:
                    break
                time.sleep(0.005)
            elapsed = time.perf_counter() - start
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=60)
        assert unipass.stats()["distinct"] == count and nsw.stats()["distinct"] == count
    return count / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer certificates")
    args = parser.parse_args(argv)
    count = 60 if args.quick else 300
    with tempfile.TemporaryDirectory(prefix="aswbridge-bench-") as tmp:
        folder = Path(tmp)
        test_pki = pki.create(folder / "pki", countries=["TH", "KR"])
        pipeline = pipeline_rate(test_pki, count)
        print(f"cpus: {os.cpu_count()}, certificates per run: {count}")
        print(f"pipeline (translate + sign + verify): {pipeline:8.1f} certificates/s")
        clean = relay_rate(folder, test_pki, count, Faults(), "clean")
        print(f"relay, no faults:                     {clean:8.1f} certificates/s (responses back)")
        chaos = relay_rate(folder, test_pki, count, Faults(fail_rate=0.1, seed=1), "faults")
        print(f"relay, 10% 503:                       {chaos:8.1f} certificates/s (responses back)")
    print(
        f"ratio vs pipeline: {clean / pipeline:.2f} (no faults), {chaos / pipeline:.2f} (10% 503)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
