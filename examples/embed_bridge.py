"""For an integrator: embed the bridge in an existing service, with its own logging and store.

No command line and no TOML. The host service builds :class:`aswbridge.relay.Bridge` from its
parts: the two sides, a store in the service's own data folder, and the pipeline with trust
and signing. It runs the relay in a background thread, stops it with an event and shuts it
down cleanly. The library only uses the standard ``logging`` module, so the host decides
where its records go: here JSON lines in the service's log file, next to its own records.

The partners are mock services on loopback: Indonesia's NSW gateway, and a UNI-PASS that
answers about one request in five with a 503 (the bridge retries). The PKI is a throwaway
TEST-ONLY one.

Run: ``.venv/bin/python examples/embed_bridge.py``
"""

import json
import logging
import signal
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import aswbridge
from aswbridge import samples
from aswbridge.logs import JsonFormatter
from aswbridge.pipeline import SigningKey
from aswbridge.relay import Bridge, pipeline_translator
from aswbridge.security import TrustStore, pki
from aswbridge.store import open_store
from aswbridge.testing.mocks import Faults, MockNsw, MockUnipass
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.retry import RetryPolicy
from aswbridge.transport.unipass import UnipassSide

log = logging.getLogger("customs_gateway")  # the host service's own logger


def signer(test_pki: pki.Pki, country: str) -> SigningKey:
    """The issuing authority's key of ``country`` in the test PKI (TEST ONLY)."""
    key, cert, chain = test_pki.signer(country)
    return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))


def main(data: Path) -> None:
    # The host's logging: JSON lines into its own file; aswbridge's records go there too.
    handler = logging.FileHandler(data / "service.log")
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.getLogger("aswbridge").setLevel(logging.INFO)
    log.setLevel(logging.INFO)

    test_pki = pki.create(data / "pki", countries=("ID", "KR"))  # TEST ONLY
    with (
        MockNsw(country="ID", signing=signer(test_pki, "ID")) as nsw,
        MockUnipass(signing=signer(test_pki, "KR"), faults=Faults(fail_rate=0.2, seed=7)) as kcs,
    ):
        key, cert = test_pki.bridge
        (data / "state").mkdir()
        bridge = Bridge(
            nsw=NswHttpSide(url=nsw.url),
            unipass=UnipassSide(url=kcs.url),
            store=open_store(str(data / "state" / "eco-bridge.db")),  # the host's own location
            translate=pipeline_translator(
                trust=TrustStore.from_paths([test_pki.country("ID"), test_pki.country("KR")]),
                signing=SigningKey.from_files(key=str(key), cert=str(cert)),
            ),
            country="ID",
            policy=RetryPolicy(initial=0.05, maximum=0.2, jitter=0.0, max_attempts=10),
            workers=2,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # the host's shutdown sets it too
        relay = threading.Thread(
            target=bridge.run_forever, args=(stop,), kwargs={"poll_interval": 0.05}, name="relay"
        )
        relay.start()
        log.info("customs gateway started", extra={"store": "state/eco-bridge.db"})
        try:
            # Indonesia's NSW issues a signed Form AK for Korea (injected into the mock).
            certificate = aswbridge.write(
                samples.form_ak_id_kr(), profile="asw", signing=signer(test_pki, "ID")
            )
            outbound = f"{nsw.root_url}/_mock/outbound"
            no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback
            no_proxy.open(urllib.request.Request(outbound, data=certificate), timeout=5).close()

            # The host carries on with its own work; here it waits for Korea's decision.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and nsw.stats()["by_kind"].get("response") != 1:
                time.sleep(0.05)
            decision_back = nsw.stats()["by_kind"].get("response") == 1
        finally:
            stop.set()  # clean shutdown: in-flight work finishes, then run_forever returns
            relay.join(timeout=30)
        for side in bridge.sides.values():
            side.close()
        counts = bridge.store.counts()
        bridge.store.close()
        log.info("customs gateway stopped", extra={"outbox": counts})

    print(f"relay thread stopped: {not relay.is_alive()}; store: {counts}")
    print(f"UNI-PASS answered {kcs.stats()['failed']} requests with 503 (ridden out)")
    lines = (data / "service.log").read_text().splitlines()
    for record in map(json.loads, lines):  # one JSON object per line, the host's and ours
        print(f"log: {record['level']:7} {record['logger']:15} {record['message'][:70]}")
    print(f"last line as written: {lines[-1][:160]}")
    if not (decision_back and not relay.is_alive() and counts.get("done") == 2):
        raise SystemExit("FAILED: the decision did not come back, or the relay did not stop")
    print("OK: certificate to UNI-PASS and decision back through the embedded relay")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="aswbridge-embed-") as folder:
        main(Path(folder))
