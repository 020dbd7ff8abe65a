"""Translation benchmark: messages/s of asw → unipass for 1-, 20- and 200-item certificates.

Three pipelines are measured in the same process, on the same input bytes:

* **baseline** – the libraries' floor: hardened parse and XSD validation of the input,
  XSD validation and serialisation of an (already built) output tree;
* **xslt** – what an integrator would write instead of aswbridge: parse, validate, an
  XSLT 1.0 renaming stylesheet (libxslt through lxml, generated from the two profiles'
  tables by ``benchmarks/xslt/generate.py``), validate the output, serialise;
* **aswbridge** – ``aswbridge.translate(data, source="asw", target="unipass")``: parse,
  validate, decode into the canonical model, business rules, encode, validate, serialise.

A fourth row, **ubl**, is ``aswbridge.translate`` from the same input to the ``ubl``
profile (OASIS UBL 2.4, validated against the official schema), in the same repeats,
against the same baseline; it has its own gate: its output is valid UBL that decodes to
the input's message.

Times are CPU time of this process (a shared machine's preemption is not counted), the
median of interleaved repeats; the ratios are the medians of the per-repeat ratios.

Before any timing, a correctness gate checks that the stylesheet's output is valid
against the UNI-PASS XSD and equal, after exclusive C14N, to aswbridge's. Then a soak
translates 10,000 distinct 20-item messages (after a warm-up of 100) and reports the RSS
growth; it runs before the timings so that nothing else has inflated the process yet.

The last three lines printed are, for 20 items::

    ratio vs baseline: X.XX
    ratio vs xslt: X.XX
    rss growth over 10000 messages: X.X MB

Usage: ``python benchmarks/translate.py [--quick] [--stages] [--profile]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import measure, paired_ratio, rss_mb, table, timings
from xslt.generate import stylesheet

import aswbridge
from aswbridge import _xml, profiles, rules, samples
from aswbridge.model import Certificate, Message

__all__ = ["Case", "GateFailed", "build_cases", "check_gates", "main", "pipelines"]

SOURCE, TARGET = "asw", "unipass"
UBL = "ubl"
SIZES = (1, 20, 200)
RATIO_SIZE = 20
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class GateFailed(AssertionError):
    """A pipeline's output is not what aswbridge produces, or not schema-valid."""


@attrs.frozen(kw_only=True)
class Case:
    """One input certificate and what aswbridge makes of it."""

    items: int
    title: str
    message: Message
    data: bytes
    today: date
    expected: bytes

    @property
    def certificate(self) -> Certificate:
        """The sample certificate itself."""
        assert isinstance(self.message.document, Certificate)
        return self.message.document


def build_cases(sizes: Sequence[int] = SIZES) -> list[Case]:
    """Realistic certificates (the named samples) encoded in the source profile."""
    builders: dict[int, tuple[str, Callable[[], Message]]] = {
        1: ("one_item (Form D, VN→PH)", samples.one_item),
        20: ("form_ak_id_kr (Form AK, ID→KR)", samples.form_ak_id_kr),
        200: ("many_items (Form AK, KR→ID)", samples.many_items),
    }
    source = profiles.get(SOURCE)
    cases = []
    for n in sizes:
        title, build = builders[n]
        message = build()
        assert isinstance(message.document, Certificate)
        if len(message.document.items) != n:
            raise GateFailed(f"sample {title} has {len(message.document.items)} items, not {n}")
        today = message.document.issue_date + timedelta(days=2)
        data = source.encode_bytes(message)
        expected = aswbridge.translate(data, source=SOURCE, target=TARGET, today=today)
        cases.append(
            Case(items=n, title=title, message=message, data=data, today=today, expected=expected)
        )
    return cases


def xslt_transform() -> etree.XSLT:
    """The generated asw → unipass stylesheet, compiled."""
    return etree.XSLT(_xml.parse(stylesheet(SOURCE, TARGET)))


def pipelines(case: Case, transform: etree.XSLT) -> dict[str, Callable[[], bytes]]:
    """The three measured pipelines on ``case``'s input, as argument-less callables."""
    parse = _xml.parse
    in_schema = profiles.get(SOURCE).xml_schema
    out_schema = profiles.get(TARGET).xml_schema
    tostring = etree.tostring
    data, today = case.data, case.today
    built = parse(case.expected)  # the baseline's output tree, built once

    def baseline() -> bytes:
        element = parse(data)
        if not in_schema.validate(element) or not out_schema.validate(built):
            raise GateFailed("baseline: invalid")
        return _DECLARATION + tostring(built, encoding="utf-8")

    def xslt() -> bytes:
        element = parse(data)
        if not in_schema.validate(element):
            raise GateFailed("xslt: invalid input")
        result = transform(element).getroot()
        if not out_schema.validate(result):
            raise GateFailed("xslt: invalid output")
        return _DECLARATION + tostring(result, encoding="utf-8")

    def translate() -> bytes:
        return aswbridge.translate(data, source=SOURCE, target=TARGET, today=today)

    return {"baseline": baseline, "xslt": xslt, "aswbridge": translate}


def ubl_pipeline(case: Case) -> Callable[[], bytes]:
    """``aswbridge.translate`` of ``case``'s input to the ``ubl`` profile."""
    data, today = case.data, case.today

    def to_ubl() -> bytes:
        return aswbridge.translate(data, source=SOURCE, target=UBL, today=today)

    return to_ubl


def check_ubl_gate(cases: Sequence[Case]) -> None:
    """Raise :class:`GateFailed` unless the ``ubl`` output is valid against the official
    UBL schema and carries the input's message."""
    ubl = profiles.get(UBL)
    for case in cases:
        element = _xml.parse(ubl_pipeline(case)())
        if not _xml.load_schema(ubl.schema_for(element)).validate(element):
            raise GateFailed(f"{case.title}: the ubl output is not valid UBL 2.4")
        if ubl.decode(element) != case.message:
            raise GateFailed(f"{case.title}: the ubl output does not carry the message")


def _c14n(data: bytes) -> bytes:
    return etree.tostring(_xml.parse(data), method="c14n", exclusive=True)


def check_gates(cases: Sequence[Case], transform: etree.XSLT) -> None:
    """Raise :class:`GateFailed` unless every pipeline yields aswbridge's output.

    aswbridge's output must be valid against the target XSD; the stylesheet's output
    must be too, and equal to it after exclusive C14N; so must the baseline's.
    """
    target = profiles.get(TARGET)
    for case in cases:
        expected = _xml.parse(case.expected)
        if not target.xml_schema.validate(expected):
            raise GateFailed(f"{case.title}: aswbridge's output is not schema-valid")
        reference = etree.tostring(expected, method="c14n", exclusive=True)
        for name, run in pipelines(case, transform).items():
            got = _c14n(run())
            if got != reference:
                raise GateFailed(
                    f"{case.title}: the {name} pipeline differs from aswbridge "
                    f"after exclusive C14N ({len(got)} vs {len(reference)} bytes)"
                )


def soak(case: Case, *, count: int, warmup: int = 100) -> tuple[float, float]:
    """RSS (MB) after ``warmup`` and after ``count`` more translations of distinct messages.

    Each message gets its own message id, so a per-message cache would show as growth.
    """
    data, today = case.data, case.today
    old = str(case.message.envelope.message_id).encode("ascii")
    if data.count(old) != 1:
        raise GateFailed("soak: the message id must occur once in the input")

    def run(first: int, n: int) -> None:
        for i in range(first, first + n):
            fresh = data.replace(old, str(uuid.UUID(int=i)).encode("ascii"))
            aswbridge.translate(fresh, source=SOURCE, target=TARGET, today=today)

    run(1, warmup)
    before = rss_mb()
    run(1 + warmup, count)
    return before, rss_mb()


def stages(case: Case) -> dict[str, Callable[[], Any]]:
    """aswbridge's pipeline split into its stages, each timed on its own input.

    ``translate()`` itself is included so that it is measured in the same repeats.
    """
    source, target = profiles.get(SOURCE), profiles.get(TARGET)
    element = _xml.parse(case.data)
    message = source.decode(element)
    encoded = target.encode_bytes(message)
    out = _xml.parse_own(encoded)
    data, today = case.data, case.today
    return {
        "parse": lambda: _xml.parse(data),
        "validate input": lambda: source.validate(element),
        "decode": lambda: source.decode(element),
        "rules": lambda: rules.validate(message, today=today),
        "encode (text)": lambda: target.encode_bytes(message),
        "parse output": lambda: _xml.parse_own(encoded),
        "validate output": lambda: target.validate(out),
        "translate()": lambda: aswbridge.translate(data, source=SOURCE, target=TARGET, today=today),
    }


def profile(case: Case, *, count: int, top: int = 25) -> str:
    """cProfile's ``top`` functions by own time over ``count`` translations of ``case``."""
    import cProfile
    import io
    import pstats

    data, today = case.data, case.today
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        aswbridge.translate(data, source=SOURCE, target=TARGET, today=today)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table; the ratio and RSS lines come last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also time aswbridge's stages one by one (default in a full run)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"also print cProfile's busiest functions of translate() at N={RATIO_SIZE}",
    )
    parser.add_argument("--repeats", type=int, help="repeats per measurement (median taken)")
    parser.add_argument("--min-time", type=float, help="seconds per repeat, at least")
    parser.add_argument("--soak", type=int, help="messages in the RSS soak")
    args = parser.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 7)
    min_time = args.min_time or (0.1 if args.quick else 0.25)
    soak_count = args.soak if args.soak is not None else (1_000 if args.quick else 10_000)
    show_stages = args.stages or not args.quick

    cases = build_cases()
    transform = xslt_transform()
    check_gates(cases, transform)
    check_ubl_gate(cases)
    print(
        f"correctness gate passed: xslt and baseline outputs equal aswbridge's after "
        f"exclusive C14N and valid against {profiles.get(TARGET).schema}"
    )
    for case in cases:
        print(
            f"  N={case.items:<3} {case.title}: {len(case.data):,} bytes in, "
            f"{len(case.expected):,} bytes out"
        )

    by_size = {case.items: case for case in cases}
    soak_before, soak_after = soak(by_size[RATIO_SIZE], count=soak_count)

    funcs = {
        (case.items, name): func
        for case in cases
        for name, func in pipelines(case, transform).items()
    }
    funcs.update({(case.items, UBL): ubl_pipeline(case) for case in cases})
    runs = timings(funcs, repeats=repeats, min_time=min_time)
    times = {key: statistics.median(values) for key, values in runs.items()}
    rows = []
    for case in cases:
        base = runs[(case.items, "baseline")]
        for name in ("baseline", "xslt", "aswbridge", UBL):
            t = times[(case.items, name)]
            ratio = paired_ratio(runs[(case.items, name)], base)
            rows.append([f"N={case.items} {name}", _us(t), f"{1 / t:,.0f}", f"{ratio:.2f}"])
    print(
        f"\nasw → unipass (ubl: asw → ubl, official UBL 2.4 schema), CPU time per message, "
        f"median of {repeats} interleaved repeats (≥ {min_time} s each), one core:"
    )
    print(table(["pipeline", "µs/message", "messages/s", "× baseline"], rows))

    if show_stages:
        stage_funcs = {
            (case.items, name): func for case in cases for name, func in stages(case).items()
        }
        stage_times = measure(stage_funcs, repeats=repeats, min_time=min_time / 2)
        names = [name for name in stages(cases[0]) if name != "translate()"]
        stage_rows = [[name, *(_us(stage_times[(c.items, name)]) for c in cases)] for name in names]
        sums = [sum(stage_times[(c.items, name)] for name in names) for c in cases]
        stage_rows.append(["sum of stages", *map(_us, sums)])
        stage_rows.append(
            ["translate()", *(_us(stage_times[(c.items, "translate()")]) for c in cases)]
        )
        print("\naswbridge stage by stage, µs/message (CPU time, same repeats):")
        print(table(["stage", *(f"N={c.items}" for c in cases)], stage_rows))
        for c in cases:
            mapping = stage_times[(c.items, "decode")] + stage_times[(c.items, "encode (text)")]
            base, xslt = times[(c.items, "baseline")], times[(c.items, "xslt")]
            print(
                f"N={c.items}: decode + encode {_us(mapping)} µs = {mapping / base:.2f}× baseline;"
                f" the XSLT transform (xslt − baseline) ≈ {_us(xslt - base)} µs"
                f" = {(xslt - base) / base:.2f}× baseline"
            )

    if args.profile:
        print(f"\ncProfile of translate() at N={RATIO_SIZE} (inflates small calls):")
        print(profile(by_size[RATIO_SIZE], count=500 if args.quick else 2_000), end="")

    mid = RATIO_SIZE
    print(
        f"\nrss before soak: {soak_before:.1f} MB, after: {soak_after:.1f} MB "
        f"({soak_count:,} distinct {mid}-item messages after a warm-up of 100)"
    )
    ours = runs[(mid, "aswbridge")]
    print(f"ratio vs baseline: {paired_ratio(ours, runs[(mid, 'baseline')]):.2f}")
    print(f"ratio vs xslt: {paired_ratio(ours, runs[(mid, 'xslt')]):.2f}")
    print(f"rss growth over {soak_count} messages: {soak_after - soak_before:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
