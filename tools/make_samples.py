"""Write the sample messages of :mod:`aswbridge.samples` under ``examples/messages/``.

For every scenario in :data:`aswbridge.samples.SCENARIOS`::

    examples/messages/asw/<name>.xml         ASW reference profile (pretty-printed)
    examples/messages/unipass/<name>.xml     UNI-PASS reference profile (pretty-printed)
    examples/messages/ubl/<name>.xml         OASIS UBL 2.4 (pretty-printed)
    examples/messages/canonical/<name>.json  canonical JSON

and ``examples/messages/README.md``, the index. The files are unsigned: signing needs
a key, and a test PKI is generated at run time (``aswbridge pki init``).

Usage::

    python tools/make_samples.py            # (re)write the files
    python tools/make_samples.py --check    # exit 1 if any file is missing or stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from aswbridge import _xml, canonical, profiles
from aswbridge.model import Certificate, Message
from aswbridge.samples import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "examples" / "messages"
PROFILES = ("asw", "unipass", "ubl")


def xml_bytes(message: Message, profile: str) -> bytes:
    """The message in ``profile``, indented for reading (whitespace between elements only)."""
    compact = profiles.get(profile).encode_bytes(message)
    element = _xml.parse(compact)
    return etree.tostring(element, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _summary(name: str, message: Message) -> str:
    doc = message.document
    env = message.envelope
    route = f"{env.sender.system} → {env.receiver.system}"
    if isinstance(doc, Certificate):
        what = f"{doc.form} {doc.function}, {len(doc.items)} item(s)"
        if doc.flags:
            what += ", " + ", ".join(doc.flags)
    else:
        what = message.kind.replace("_", " ")
    first_line = (SCENARIOS[name].__doc__ or "").strip().splitlines()[0]
    first_line = re.sub(r":\w+:`([^`]+)`|``([^`]+)``", lambda m: f"`{m[1] or m[2]}`", first_line)
    return f"| `{name}` | {what} | {route} | {first_line} |"


def readme(messages: dict[str, Message]) -> bytes:
    """The index of the sample files."""
    lines = [
        "# Sample messages",
        "",
        "Realistic e-CO messages built by `aswbridge.samples` and written by",
        "`tools/make_samples.py` (do not edit by hand: change the builders and re-run it).",
        "Each sample exists four times, carrying the same canonical message:",
        "`asw/<name>.xml` (ASW reference profile), `unipass/<name>.xml` (UNI-PASS",
        "reference profile), `ubl/<name>.xml` (OASIS UBL 2.4 `CertificateOfOrigin` or",
        "`ApplicationResponse`, valid against the official schema) and",
        "`canonical/<name>.json` (canonical JSON).",
        "",
        "HS codes are real HS 2022 subheadings (8-digit AHTN lines on Forms D and AK);",
        "countries, currencies, units, packages and ports (UN/LOCODE) are real codes;",
        "the traders are invented. The files are unsigned.",
        "",
        "| name | content | from → to | situation |",
        "|---|---|---|---|",
        *(_summary(name, message) for name, message in messages.items()),
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def outputs() -> Iterator[tuple[Path, bytes]]:
    """Every sample file as (path relative to the output folder, content)."""
    messages = {name: build() for name, build in SCENARIOS.items()}
    for name, message in messages.items():
        for profile in PROFILES:
            yield Path(profile) / f"{name}.xml", xml_bytes(message, profile)
        yield Path("canonical") / f"{name}.json", canonical.dumps(message)
    yield Path("README.md"), readme(messages)


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the sample files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = []
    for relative, content in outputs():
        path = args.out / relative
        current = path.read_bytes() if path.exists() else None
        if current == content:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    verb = "stale" if args.check else "written"
    for relative in stale:
        print(f"{verb}: {relative}")
    if args.check and stale:
        print("run: python tools/make_samples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
