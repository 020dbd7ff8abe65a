"""Translation end to end: golden pairs, independent schema checks, refusals, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from lxml import etree

import aswbridge
from aswbridge import _xml, canonical, profiles, samples
from aswbridge.errors import ConfigurationError, MessageError, ValidationFailed

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "examples" / "messages"
STEMS = sorted(p.stem for p in (MESSAGES / "asw").glob("*.xml"))
SUFFIX = {"asw": ".xml", "unipass": ".xml", "ubl": ".xml", "canonical": ".json"}
FORMATS = ["asw", "unipass", "ubl", "canonical"]
PAIRS = [(s, t) for s in FORMATS for t in FORMATS if s != t]


def c14n(data: bytes) -> bytes:
    """Exclusive C14N, ignoring the indentation of pretty-printed golden files."""
    root = _xml.parse(data)
    for element in root.iter():
        if len(element) and (element.text or "").strip() == "":
            element.text = None
        if (element.tail or "").strip() == "":
            element.tail = None
    return etree.tostring(root, method="c14n", exclusive=True)


def sample(profile: str, stem: str) -> bytes:
    return (MESSAGES / profile / f"{stem}{SUFFIX[profile]}").read_bytes()


def test_every_scenario_has_a_golden_file() -> None:
    assert sorted(samples.SCENARIOS) == STEMS
    assert len(STEMS) >= 16


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}-to-{t}" for s, t in PAIRS])
@pytest.mark.parametrize("stem", STEMS)
def test_golden_pairs(stem: str, source: str, target: str) -> None:
    out = aswbridge.translate(sample(source, stem), source=source, target=target)
    if target == "canonical":
        assert canonical.loads(out) == canonical.loads(sample(target, stem))
    else:
        assert c14n(out) == c14n(sample(target, stem))


@pytest.mark.parametrize("stem", STEMS)
def test_round_trips_are_equal_in_canonical_form(stem: str) -> None:
    there = aswbridge.translate(sample("asw", stem), source="asw", target="unipass")
    back = aswbridge.translate(there, source="unipass", target="asw")
    assert aswbridge.read(back)[1] == aswbridge.read(sample("asw", stem))[1]
    there = aswbridge.translate(sample("unipass", stem), source="unipass", target="asw")
    back = aswbridge.translate(there, source="asw", target="unipass")
    assert aswbridge.read(back)[1] == aswbridge.read(sample("unipass", stem))[1]


XMLLINT = shutil.which("xmllint")


@pytest.mark.skipif(XMLLINT is None and not os.environ.get("CI"), reason="xmllint not installed")
@pytest.mark.parametrize("target", ["asw", "unipass", "ubl"])
def test_every_output_is_valid_for_xmllint(target: str, tmp_path: Path) -> None:
    assert XMLLINT is not None, "CI installs libxml2-utils"
    source = "unipass" if target == "asw" else "asw"
    files: dict[Path, list[str]] = {}  # schema -> files (UBL answers have their own)
    for stem in STEMS:
        path = tmp_path / f"{stem}.xml"
        data = aswbridge.translate(sample(source, stem), source=source, target=target)
        path.write_bytes(data)
        profile = profiles.get(target)
        schema = _xml.schema_path(profile.schema_for(_xml.parse(data)))
        files.setdefault(schema, []).append(str(path))
    assert len(files) == (2 if target == "ubl" else 1)
    for schema, paths in files.items():
        done = subprocess.run(
            [XMLLINT, "--noout", "--nonet", "--schema", str(schema), *paths],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.count(" validates") == len(paths)


def _broken(change: str) -> aswbridge.Message:
    message = samples.form_ak_id_kr()
    cert = message.document
    assert isinstance(cert, aswbridge.Certificate)
    item = cert.items[3]
    items = list(cert.items)
    if change == "hs":
        items[3] = attrs.evolve(item, hs=attrs.evolve(item.hs, code="99999999"))
    elif change == "quantity":
        items[3] = attrs.evolve(item, quantity=attrs.evolve(item.quantity, value=-5))
    elif change == "fob":
        rvc = next(i for i, it in enumerate(items) if it.origin_criterion.rvc_percent)
        items[rvc] = attrs.evolve(items[rvc], fob_value=None)
    elif change == "currency":
        fob = item.fob_value or aswbridge.model.Money(amount=1, currency="USD")
        items[3] = attrs.evolve(item, fob_value=attrs.evolve(fob, currency="XYZ"))
    elif change == "duplicate":
        items[3] = attrs.evolve(item, number=3)
    elif change == "criterion":
        items[3] = attrs.evolve(item, origin_criterion=samples.criterion("FORM_RCEP", "PE"))
    new = {
        "country": {"consignee": attrs.evolve(cert.consignee, country="XX")},
        "retroactive": {
            "transport": attrs.evolve(
                cert.transport, departure_date=cert.issue_date - timedelta(days=30)
            )
        },
        "importing": {"importing_country": "US"},
        "no-items": {"items": ()},
        "flag": {"flags": (*cert.flags, "back_to_back")},
    }.get(change, {"items": tuple(items)})
    return attrs.evolve(message, document=attrs.evolve(cert, **new))


REFUSALS: list[tuple[str, str, str | None]] = [
    ("hs", "HS_UNKNOWN", "items[3].hs.code"),
    ("country", "COUNTRY_UNKNOWN", "consignee.country"),
    ("quantity", "QUANTITY_NOT_POSITIVE", "items[3].quantity.value"),
    ("fob", "FOB_REQUIRED", None),
    ("retroactive", "RETROACTIVE_FLAG", "flags"),
    ("duplicate", "ITEM_NUMBERS", None),
    ("currency", "CURRENCY_UNKNOWN", "items[3].fob_value.currency"),
    ("criterion", "CRITERION_NOT_ALLOWED", "items[3].origin_criterion.code"),
    ("importing", "PARTY_NOT_MEMBER", "importing_country"),
    ("no-items", "NO_ITEMS", "items"),
    ("flag", "FLAG_DETAILS", None),
]


@pytest.mark.parametrize(("change", "code", "path"), REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("source", ["asw", "unipass"])
def test_done_when_refusals(source: str, change: str, code: str, path: str | None) -> None:
    data = profiles.get(source).encode(_broken(change), validate=False)
    with pytest.raises(MessageError) as refused:
        aswbridge.translate(etree.tostring(data), source=source, target="canonical")
    problems = refused.value.problems
    assert isinstance(refused.value, ValidationFailed)
    assert any(p.code == code and (path is None or p.path == path) for p in problems), [
        str(p) for p in problems
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[]", "a message must be a JSON object"),
        (b'{"kind": "poem"}', "unknown kind"),
        (b"{", "not valid JSON"),
        (b'{"kind": "receipt", "envelope": {}}', "envelope.message_id: is required"),
    ],
    ids=["array", "unknown-kind", "truncated", "missing-field"],
)
def test_canonical_json_is_read_strictly(data: bytes, reason: str) -> None:
    with pytest.raises(canonical.CanonicalError, match=reason):
        canonical.loads(data)


def test_canonical_json_names_the_bad_field() -> None:
    doc = json.loads(canonical.dumps(samples.form_ak_id_kr()))
    doc["items"][2]["quantity"]["value"] = "lots"
    with pytest.raises(canonical.CanonicalError) as refused:
        canonical.loads(json.dumps(doc))
    assert refused.value.path == "items[2].quantity.value"
    doc["items"][2]["quantity"]["value"] = "1.5"
    doc["items"][2]["colour"] = "red"
    with pytest.raises(canonical.CanonicalError, match="unknown field 'colour'"):
        canonical.loads(json.dumps(doc))
    doc["items"][2].pop("colour")
    doc["items"][2]["quantity"]["value"] = "NaN"
    with pytest.raises(canonical.CanonicalError):
        canonical.loads(json.dumps(doc))


def test_unknown_profile_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown profile"):
        aswbridge.translate(sample("asw", "one_item"), source="asw", target="edifact")


def test_wrong_source_profile_is_refused() -> None:
    with pytest.raises(MessageError, match="not a unipass message"):
        aswbridge.translate(sample("asw", "one_item"), source="unipass", target="asw")


# --- the command line ---------------------------------------------------------------


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "aswbridge", *args], input=stdin, capture_output=True, timeout=120
    )


def test_cli_translate_file_and_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    done = cli(
        "translate",
        "--from",
        "asw",
        "--to",
        "unipass",
        str(MESSAGES / "asw" / "form_ak_id_kr.xml"),
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert c14n(out.read_bytes()) == c14n(sample("unipass", "form_ak_id_kr"))
    piped = cli("translate", "--from", "unipass", "--to", "canonical", "-", stdin=out.read_bytes())
    assert piped.returncode == 0
    assert canonical.loads(piped.stdout) == canonical.loads(sample("canonical", "form_ak_id_kr"))


def test_cli_translate_refusal_lists_problems_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(etree.tostring(profiles.get("asw").encode(_broken("hs"), validate=False)))
    done = cli("translate", "--from", "asw", "--to", "unipass", str(path))
    assert done.returncode == 1
    assert b"HS_UNKNOWN items[3].hs.code: " in done.stderr
    assert done.stdout == b""
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["translate", "--to", "asw", "x.xml"],
        ["translate", "--from", "asw", "--to", "nope", "-"],
        ["validate", "--profile", "asw", "missing.xml"],
        ["frobnicate"],
    ],
    ids=["missing-from", "unknown-profile", "missing-file", "unknown-command"],
)
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    done = cli(*args, stdin=sample("asw", "one_item"))
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr


def test_cli_validate_json_and_text(tmp_path: Path) -> None:
    good = cli(
        "validate",
        "--profile",
        "unipass",
        "--format",
        "json",
        str(MESSAGES / "unipass" / "form_rcep_kr_th.xml"),
    )
    assert good.returncode == 0
    assert json.loads(good.stdout) == []
    path = tmp_path / "bad.xml"
    path.write_bytes(
        etree.tostring(profiles.get("unipass").encode(_broken("importing"), validate=False))
    )
    bad = cli("validate", "--profile", "unipass", "--format", "json", str(path))
    assert bad.returncode == 1
    found = json.loads(bad.stdout)
    assert {"code": "PARTY_NOT_MEMBER", "path": "importing_country"}.items() <= found[0].items()
    assert set(found[0]) == {"code", "path", "message", "severity"}
    text = cli("validate", "--profile", "unipass", str(path))
    assert text.returncode == 1
    assert b"PARTY_NOT_MEMBER importing_country:" in text.stderr


@pytest.mark.parametrize("name", ["asw", "unipass", "ubl"])
def test_cli_schema_prints_an_existing_xsd(name: str) -> None:
    done = cli("schema", name)
    assert done.returncode == 0
    path = Path(done.stdout.decode().strip())
    assert path.is_file()
    assert path.read_text() == (ROOT / "aswbridge" / "wsdl" / profiles.get(name).schema).read_text()
