"""Hostile and malformed XML (threat model series H and S): refused fast, nothing read."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import aswbridge
from aswbridge import _xml
from aswbridge.errors import (
    ConfigurationError,
    DtdForbidden,
    InputTooLarge,
    MalformedXml,
    MessageError,
    SchemaError,
    XmlSecurityError,
)

CANARY = "aswbridge-canary-7f3a"


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("canary") / "secret.txt"
    path.write_text(CANARY)
    return path


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[str, list[int]]]:
    """A loopback TCP listener counting every connection made to it."""
    hits: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", hits
    stop.set()
    thread.join()
    server.close()


def _hostile(canary: Path, url: str) -> dict[str, bytes]:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    big = "A" * 100_000
    return {
        "H1-billion-laughs": f"<!DOCTYPE r [{lol}]><r>&lol9;</r>".encode(),
        "H2-quadratic": (
            f'<!DOCTYPE r [<!ENTITY a "{big}">]><r>' + "&a;" * 10_000 + "</r>"
        ).encode(),
        "H3-entity-cycle": b'<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]><r>&a;</r>',
        "H4-xxe-file": f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{canary}">]><r>&x;</r>'.encode(),
        "H5-xxe-network": f'<!DOCTYPE r [<!ENTITY x SYSTEM "{url}/x">]><r>&x;</r>'.encode(),
        "H6-parameter-entity": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{canary}">%p;]><r/>'
        ).encode(),
        "H7-external-dtd": f'<!DOCTYPE r SYSTEM "{url}/x.dtd"><r/>'.encode(),
        "H8-internal-dtd-attlist": b'<!DOCTYPE r [<!ATTLIST r Id ID #IMPLIED>]><r Id="a"/>',
        "H8-doctype-after-long-comment": (
            b"<!--" + b"x" * 8000 + b'--><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
        ),
        "H18-utf16-doctype": '<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16"),
    }


@pytest.fixture(scope="module")
def hostile(canary: Path, listener: tuple[str, list[int]]) -> dict[str, bytes]:
    return _hostile(canary, listener[0])


HOSTILE_IDS = list(_hostile(Path("/x"), "http://127.0.0.1:1"))


@pytest.mark.parametrize("case", HOSTILE_IDS)
def test_hostile_documents_are_refused_without_reading_anything(
    case: str, hostile: dict[str, bytes], listener: tuple[str, list[int]]
) -> None:
    hits = listener[1]
    started = time.perf_counter()
    with pytest.raises(XmlSecurityError) as refused:
        _xml.parse(hostile[case])
    assert time.perf_counter() - started < 2.0
    assert isinstance(refused.value, DtdForbidden | MalformedXml)
    assert refused.value.origin == "remote"
    assert CANARY not in str(refused.value)
    assert hits == []


@pytest.mark.parametrize("target", ["asw", "unipass", "ubl", "canonical"])
@pytest.mark.parametrize("case", ["H1-billion-laughs", "H4-xxe-file", "H5-xxe-network"])
def test_translate_refuses_hostile_input_at_every_entry(
    case: str, target: str, hostile: dict[str, bytes], listener: tuple[str, list[int]]
) -> None:
    with pytest.raises(XmlSecurityError):
        aswbridge.translate(hostile[case], source="asw", target=target)
    assert listener[1] == []


@pytest.mark.parametrize(
    ("case", "data", "error"),
    [
        pytest.param(
            "H13-deep-nesting",
            b"<a>" * 100_000 + b"</a>" * 100_000,
            MalformedXml,
            id="H13-deep-nesting",
        ),
        pytest.param("H13-deep-unclosed", b"<a>" * 100_000, MalformedXml, id="H13-deep-unclosed"),
        pytest.param("H17-unclosed", b"<r><a></r>", MalformedXml, id="H17-unclosed"),
        pytest.param("H17-comment", b"<r><!-- a -- b --></r>", MalformedXml, id="H17-comment"),
        pytest.param("H17-char-ref", b"<r>&#0;</r>", MalformedXml, id="H17-bad-char-ref"),
        pytest.param("H18-nul", b"<r>\x00</r>", MalformedXml, id="H18-nul-byte"),
        pytest.param(
            "H18-lying-encoding",
            b'<?xml version="1.0" encoding="UTF-16"?><r/>',
            MalformedXml,
            id="H18-encoding-mismatch",
        ),
        pytest.param("empty", b"", MalformedXml, id="empty"),
        pytest.param("text", b"not xml at all", MalformedXml, id="not-xml"),
    ],
)
def test_malformed_input_is_a_typed_error(case: str, data: bytes, error: type[Exception]) -> None:
    started = time.perf_counter()
    with pytest.raises(error):
        _xml.parse(data)
    assert time.perf_counter() - started < 2.0


def test_size_cap_is_checked_before_parsing() -> None:
    data = b"<r>" + b"A" * 11_000_000 + b"</r>"  # H14: over the default cap
    with pytest.raises(InputTooLarge):
        _xml.parse(data)
    with pytest.raises(InputTooLarge):
        _xml.parse(b"<r>" + b"A" * 2000 + b"</r>", max_bytes=1000)


def test_xinclude_is_never_processed(canary: Path) -> None:
    data = (
        f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{canary}" '
        'parse="text"/></r>'
    ).encode()
    root = _xml.parse(data)  # well-formed, so it parses ...
    assert CANARY not in "".join(root.itertext())  # ... but nothing is included
    with pytest.raises(SchemaError):  # and no profile accepts it
        aswbridge.translate(data, source="asw", target="unipass")


def test_schema_location_is_ignored(listener: tuple[str, list[int]]) -> None:
    url, hits = listener
    data = (
        f'<EFormMessage xmlns="urn:aswbridge:reference:asw:1" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="urn:aswbridge:reference:asw:1 {url}/evil.xsd"/>'
    ).encode()
    with pytest.raises(SchemaError):
        aswbridge.translate(data, source="asw", target="unipass")
    assert hits == []


def test_cli_refuses_hostile_input_with_exit_1(hostile: dict[str, bytes], tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_bytes(hostile["H1-billion-laughs"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "translate",
            "--from",
            "asw",
            "--to",
            "unipass",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "DTD_FORBIDDEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_refusal_is_a_message_error() -> None:
    for error in (DtdForbidden, InputTooLarge, MalformedXml, SchemaError):
        assert issubclass(error, MessageError)
        assert issubclass(error, ValueError)


# --- well-formed but schema-invalid (series S) ----------------------------------------

ONE_ITEM = (
    Path(__file__).resolve().parent.parent / "examples" / "messages" / "asw" / "form_ak_id_kr.xml"
).read_bytes()


def _replace_value(tag: str, value: bytes) -> bytes:
    start = ONE_ITEM.index(b"<" + tag.encode() + b">") + len(tag) + 2
    return ONE_ITEM[:start] + value + ONE_ITEM[ONE_ITEM.index(b"</" + tag.encode() + b">", start) :]


def _drop(tag: str) -> bytes:
    start = ONE_ITEM.index(b"<" + tag.encode() + b">")
    end = ONE_ITEM.index(b"</" + tag.encode() + b">", start) + len(tag) + 3
    return ONE_ITEM[:start] + ONE_ITEM[end:]


def _duplicate(tag: str) -> bytes:
    start = ONE_ITEM.index(b"<" + tag.encode() + b">")
    end = ONE_ITEM.index(b"</" + tag.encode() + b">", start) + len(tag) + 3
    return ONE_ITEM[:end] + ONE_ITEM[start:end] + ONE_ITEM[end:]


SCHEMA_CASES = {
    "S1-missing-hs-code": _drop("ClassificationCode"),
    "S1-missing-exporter": _drop("Exporter"),
    "S2-duplicate-hs-code": _duplicate("ClassificationCode"),
    "S2-duplicate-fob": _duplicate("FOBValue"),
    "S3-wrong-namespace": ONE_ITEM.replace(b"urn:aswbridge:reference:asw:1", b"urn:evil:1"),
    "S4-quantity-not-a-number": _replace_value("Value", b"ten"),
    "S4-date-format": _replace_value("IssueDate", b"31/12/2025"),
    "S5-million-digit-amount": _replace_value("Amount", b"9" * 1_000_000),
    "S5-100kB-name": _replace_value("Name", b"A" * 100_000),
    "S6-nan-amount": _replace_value("Amount", b"NaN"),
    "S6-inf-amount": _replace_value("Amount", b"INF"),
    "S6-exponent-amount": _replace_value("Amount", b"1e309"),
    "S7-unknown-criterion": _replace_value("CriterionCode", b"XYZ"),
    "S7-unknown-form": _replace_value("FormTypeCode", b"FORM-Q"),
    "S8-extra-element": ONE_ITEM.replace(b"</Exporter>", b"<Vendor>x</Vendor></Exporter>", 1),
    "S8-extra-attribute": ONE_ITEM.replace(b"<Exporter>", b'<Exporter extra="1">', 1),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_schema_invalid_documents_are_refused(case: str) -> None:
    started = time.perf_counter()
    with pytest.raises(SchemaError) as refused:
        aswbridge.translate(SCHEMA_CASES[case], source="asw", target="unipass")
    assert time.perf_counter() - started < 2.0
    assert refused.value.code == "SCHEMA_INVALID"
    assert refused.value.problems


def test_schema_error_points_at_the_field() -> None:
    with pytest.raises(SchemaError) as refused:
        aswbridge.translate(
            SCHEMA_CASES["S4-quantity-not-a-number"], source="asw", target="unipass"
        )
    assert refused.value.problems[0].path == "items[0].quantity.value"


def test_a_profile_can_bring_its_own_schema(tmp_path: Path) -> None:
    own = tmp_path / "own.xsd"
    own.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:own" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" elementFormDefault="qualified">'
        '<xs:import namespace="http://www.w3.org/2000/09/xmldsig#" '
        'schemaLocation="xmldsig-core-schema.xsd"/>'
        '<xs:element name="r"><xs:complexType><xs:sequence>'
        '<xs:element ref="ds:Signature" minOccurs="0"/></xs:sequence></xs:complexType>'
        "</xs:element></xs:schema>"
    )
    schema = _xml.load_schema(own)  # the xmldsig import resolves to the shipped copy
    assert schema.validate(_xml.parse(b'<r xmlns="urn:own"/>'))
    assert not schema.validate(_xml.parse(b'<r xmlns="urn:own"><x/></r>'))


def test_schema_imports_of_urls_are_refused(
    tmp_path: Path, listener: tuple[str, list[int]]
) -> None:
    url, hits = listener
    evil = tmp_path / "evil.xsd"
    evil.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:e">'
        f'<xs:import namespace="urn:x" schemaLocation="{url}/x.xsd"/></xs:schema>'
    )
    with pytest.raises(ConfigurationError, match="does not compile"):  # never silently dropped
        _xml.load_schema(evil)
    assert hits == []


RACE = """
import threading
from aswbridge import _xml, profiles, samples
data = {n: profiles.get(n).encode_bytes(samples.form_ak_id_kr()) for n in ("asw", "unipass")}
start, failures = threading.Barrier(8), []
def work(name):
    start.wait()  # the first compilations of the process, all at once
    try:
        _xml.load_schema("unipass-service.xsd")
        profiles.get(name).validate(_xml.parse(data[name]))
    except Exception as exc:
        failures.append(repr(exc))
threads = [threading.Thread(target=work, args=(("asw", "unipass")[i % 2],)) for i in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(failures)
"""


def test_schemas_compile_and_validate_from_many_threads_at_once() -> None:
    # libxml2 initialises shared state on its first schema compilation: without the
    # lock in load_schema, a fresh process compiling from several threads fails at times.
    for _ in range(6):
        done = subprocess.run(
            [sys.executable, "-c", RACE], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"


def test_a_schema_compiles_without_its_resolver_being_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse in another thread can reset the loader lxml gives libxml2 while a schema
    compiles; the schema's own imports, the shipped copy a missing file stands for
    included, must not depend on being asked."""
    schema = tmp_path / "own.xsd"
    schema.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:own"'
        ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#" elementFormDefault="qualified">'
        '<xs:import namespace="http://www.w3.org/2000/09/xmldsig#"'
        ' schemaLocation="xmldsig-core-schema.xsd"/>'  # not in tmp_path: the shipped copy
        '<xs:element name="Doc"><xs:complexType><xs:sequence>'
        '<xs:element ref="ds:Signature" minOccurs="0"/>'
        "</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    monkeypatch.setattr(_xml._LocalOnly, "resolve", lambda *args: None)  # never asked
    compiled = _xml.load_schema(schema)
    assert compiled.validate(_xml.parse(b'<Doc xmlns="urn:own"/>'))
