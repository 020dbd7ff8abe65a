"""``aswbridge demo``: the story of the bridge, played on the sample messages."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the demo sub-command."""
    p = sub.add_parser("demo", help="play the end-to-end demo on loopback")
    p.add_argument("--out", default="demo-output", help="folder for every exchanged message")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Translate every sample both ways and show the checks that refuse bad input."""
    from aswbridge import _xml, canonical, profiles, samples, translate
    from aswbridge.errors import AswBridgeError

    out = Path(args.out)
    for name in ("asw", "unipass", "canonical"):
        (out / name).mkdir(parents=True, exist_ok=True)
    asw, unipass = profiles.get("asw"), profiles.get("unipass")
    print(f"{'sample':28} {'kind':22} {'items':>5}  asw→unipass  unipass→asw  round trip")
    for name, build in samples.SCENARIOS.items():
        message = build()
        source = asw.encode_bytes(message)
        started = time.perf_counter()
        there = translate(source, source="asw", target="unipass")
        middle = time.perf_counter()
        back = translate(there, source="unipass", target="asw")
        ended = time.perf_counter()
        same = asw.decode(_xml.parse(back)) == message
        items = len(getattr(message.document, "items", ()) or ())
        print(f"{name:28} {message.kind:22} {items:>5}  {1e3 * (middle - started):8.2f} ms"
              f"  {1e3 * (ended - middle):8.2f} ms  {'equal' if same else 'DIFFERENT'}")
        (out / "asw" / f"{name}.xml").write_bytes(source)
        (out / "unipass" / f"{name}.xml").write_bytes(there)
        (out / "canonical" / f"{name}.json").write_bytes(canonical.dumps(message))
        if not same:
            return 1
    print("\nrefused, as they must be:")
    bad = samples.form_ak_id_kr()
    broken = unipass.encode_bytes(bad).replace(b"<ImpCntyCd>KR<", b"<ImpCntyCd>US<", 1)
    for label, data, source_name in (
        ("importing country outside AKFTA", broken, "unipass"),
        ("billion laughs", b'<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', "asw"),
    ):
        try:
            translate(data, source=source_name, target="asw")
        except AswBridgeError as exc:
            first = exc.problems[0]
            where = f" {first.path}" if first.path else ""
            print(f"  {label:34} {first.code}{where}: {first.message[:70]}")
        else:  # pragma: no cover - the demo itself would be wrong
            print(f"  {label}: NOT refused")
            return 1
    print(f"\nevery message is in {out}/ (asw, unipass, canonical)")
    return 0
