"""Mesh benchmark: certificates per second through one bridge serving 1 and 5 partners, and
5 partners with one of them down (answering every delivery with a 503).

Korea's bridge, in this process: its local side is the mock UNI-PASS, its partners mock
NSW mailboxes over loopback HTTP (each its own server thread). N certificates from Korea,
spread evenly over the partners, are queued at UNI-PASS; the time runs until every
partner that is up has all of its certificates. The bridge pulls, routes by receiver,
translates (unipass to asw, unsigned: this measures routing, the store and the
transports, not signatures) and delivers with 4 workers, on a SQLite store.

With one partner down, the figure counts the certificates of the four that are up: its
breaker opens after five failed deliveries and its certificates wait, pending, while the
others flow. The baseline, measured in the same run, is the pure pipeline: the same
translation (``unipass`` to ``asw``, unsigned) of the same kind of certificate, in this
process, with no I/O. The last two lines printed are::

    ratio: 5 partners vs 1 X.XX, one of 5 down vs all up X.XX
    ratio vs pipeline: 1 partner X.XX, 5 partners X.XX, one of 5 down X.XX

(a ratio near 1.00 for one down vs all up means the partner that is down costs the
others nothing).

Usage: ``python benchmarks/mesh.py [--quick] [--count N]``
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from aswbridge.config import parse_config
from aswbridge.pipeline import translate, write
from aswbridge.relay.factory import build_bridge
from aswbridge.samples.builder import certificate
from aswbridge.testing.mesh import MockMesh

PARTNERS = ("ID", "VN", "TH", "MY", "PH")


def mesh_rate(
    folder: Path, *, partners: int, down: int, count: int
) -> tuple[float, dict[str, int]]:
    """Certificates/s delivered to the partners that are up, and the store's counts."""
    countries = PARTNERS[:partners]
    with MockMesh.start(countries, answer=False) as mesh:
        for country in countries[:down]:
            mesh[country].change_faults(b'{"fail_rate": 1.0}')
        config = parse_config(
            {
                "bridge": {
                    "country": "KR",
                    "store": str(folder / f"kr-{partners}-{down}.db"),
                    "allow_unsigned": True,
                    "workers": 4,
                    "batch": 100,
                },
                "local": {"profile": "unipass", "url": mesh["KR"].url},
                "partners": [{"country": c, "url": mesh[c].url} for c in countries],
                "retry": {"initial": 5.0, "jitter": 0.0},
            }
        )
        bridge = build_bridge(config)
        expected = {c: 0 for c in countries[down:]}
        for n in range(count):
            country = countries[n % partners]
            mesh["KR"].send(
                certificate(
                    exporter_country="KR",
                    importing_country=country,
                    name=f"mesh-{partners}-{down}-{n}",
                )
            )
            if country in expected:
                expected[country] += 1
        start = time.perf_counter()
        while any(mesh[c].stats()["distinct"] < n for c, n in expected.items()):
            bridge.run_once()
        elapsed = time.perf_counter() - start
        counts = bridge.store.counts()
        bridge.store.close()
        return sum(expected.values()) / elapsed, counts


def pipeline_rate(count: int) -> float:
    """Certificates/s of the bridge's translation alone: unipass to asw, unsigned."""
    bodies = [
        write(
            certificate(
                exporter_country="KR",
                importing_country=PARTNERS[n % len(PARTNERS)],
                name=f"pipe-{n}",
            ),
            profile="unipass",
        )
        for n in range(count)
    ]
    for body in bodies[:5]:
        translate(body, source="unipass", target="asw")  # warm-up: schemas, code lists
    start = time.perf_counter()
    for body in bodies:
        translate(body, source="unipass", target="asw")
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Run the three cases and print their rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 certificates per run")
    parser.add_argument("--count", type=int, help="certificates per run (500)")
    args = parser.parse_args(argv)
    count = args.count or (50 if args.quick else 500)
    logging.getLogger("aswbridge").setLevel(logging.ERROR)  # the down partner's warnings
    pipeline = pipeline_rate(count)
    with tempfile.TemporaryDirectory() as folder:
        one, _ = mesh_rate(Path(folder), partners=1, down=0, count=count)
        five, _ = mesh_rate(Path(folder), partners=5, down=0, count=count)
        degraded, held = mesh_rate(Path(folder), partners=5, down=1, count=count)
    print(f"pipeline:               {pipeline:8.1f} certificates/s")
    print(f"1 partner:              {one:8.1f} certificates/s")
    print(f"5 partners:             {five:8.1f} certificates/s")
    print(
        f"5 partners, one down:   {degraded:8.1f} certificates/s to the 4 up"
        f" ({held['pending'] + held['in_flight']} waiting for the one down,"
        f" {held['dead']} dead)"
    )
    print(f"ratio: 5 partners vs 1 {five / one:.2f}, one of 5 down vs all up {degraded / five:.2f}")
    print(
        f"ratio vs pipeline: 1 partner {one / pipeline:.2f}, 5 partners {five / pipeline:.2f},"
        f" one of 5 down {degraded / pipeline:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
