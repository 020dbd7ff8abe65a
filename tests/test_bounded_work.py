"""Bounded work: every cap on what an input may cost is a named, typed refusal.

Each attack is replayed at a size that still goes over its cap; the assertions are the
refusal code and, where Python holds the data, the traced memory peak.
"""

from __future__ import annotations

import re
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from aswbridge import _lexical, _xml, canonical, pipeline, profiles, samples
from aswbridge.errors import (
    MAX_PROBLEMS,
    MAX_TEXT,
    LimitExceeded,
    MappingError,
    SchemaError,
    XmlLimitExceeded,
    clip,
    partner_text,
)
from aswbridge.store.base import Outgoing
from aswbridge.store.sqlite import SqliteStore
from aswbridge.transport.base import RemoteRejected, ResponseRefused, RetryableTransportError
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.unipass import UnipassSide

ASW = pipeline.write(samples.one_item(), profile="asw")
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _with_attributes(n: int) -> bytes:
    attributes = "".join(f' a{i}=""' for i in range(n))
    return ASW.replace(b"<MessageHeader>", f"<MessageHeader{attributes}>".encode(), 1)


def _with_siblings(n: int) -> bytes:
    at = ASW.index(b"<GoodsItem>")
    return ASW[:at] + b"<GoodsItem/>" * n + ASW[at:]


def _with_namespaces(n: int, encoding: str = "utf-8") -> bytes:
    declarations = "".join(f' xmlns:p{i}="urn:p{i}"' for i in range(n))
    text = f'<?xml version="1.0" encoding="{encoding}"?><r{declarations}><c/></r>'
    return text.encode(encoding)


SHAPES: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "attributes-on-one-element",
        lambda: _with_attributes(_xml.MAX_ATTRIBUTES + 1),
        "TOO_MANY_ATTRIBUTES",
    ),
    (
        "attributes-in-the-document",
        lambda: (
            b"<r>"
            + (b"<g>" + b'<e a="" b="" c="" d="" f=""/>' * 1000 + b"</g>")
            * (_xml.MAX_DOCUMENT_ATTRIBUTES // 5000 + 1)
            + b"</r>"
        ),
        "TOO_MANY_ATTRIBUTES",
    ),
    (
        "siblings",
        lambda: (
            b"<r><g>"
            + b"<e/>" * (_xml.MAX_CHILDREN + 1)
            + b"</g>"
            + (b"<h>" + b"<e/>" * 999 + b"</h>") * 10
            + b"</r>"
        ),
        "TOO_MANY_CHILDREN",
    ),
    (
        "elements",
        lambda: (
            b"<r>"
            + b"<e><e/><e/><e/><e/><e/><e/><e/><e/><e/></e>" * (_xml.MAX_ELEMENTS // 10 + 1)
            + b"</r>"
        ),
        "TOO_MANY_ELEMENTS",
    ),
    ("namespaces", lambda: _with_namespaces(_xml.MAX_NAMESPACES), "TOO_MANY_NAMESPACES"),
    (
        "namespaces-utf-16",
        lambda: _with_namespaces(_xml.MAX_NAMESPACES, "utf-16"),
        "TOO_MANY_NAMESPACES",
    ),
]


@pytest.mark.parametrize(("build", "code"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_a_document_over_a_shape_cap_is_refused_before_any_schema(
    build: Callable[[], bytes], code: str
) -> None:
    data = build()
    with pytest.raises(XmlLimitExceeded) as refused:
        pipeline.read(data)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "data",
    [
        _with_attributes(_xml.MAX_ATTRIBUTES),
        _with_siblings(_xml.MAX_CHILDREN - 20),
        _with_namespaces(_xml.MAX_NAMESPACES - 2),
    ],
    ids=["attributes", "siblings", "namespaces"],
)
def test_a_document_at_the_caps_is_parsed(data: bytes) -> None:
    assert len(_xml.parse(data)) >= 1


def test_the_8_mb_attribute_file_is_refused_in_one_problem() -> None:
    """The attack: one element with every attribute that fits in the byte cap."""
    data = _with_attributes(600_000)
    assert len(data) < _xml.DEFAULT_MAX_BYTES
    with pytest.raises(XmlLimitExceeded) as refused:
        pipeline.read(data)
    assert refused.value.code == "TOO_MANY_ATTRIBUTES"
    assert len(refused.value.problems) == 1


def test_schema_problems_are_the_first_ones_and_a_count() -> None:
    tags = sorted(set(re.findall(rb"<([A-Za-z]+)>", ASW)))
    data = ASW
    for tag in tags:  # eight attributes no schema allows on every element
        data = data.replace(
            b"<%s>" % tag, b"<%s%s>" % (tag, b"".join(b' x%d=""' % i for i in range(8)))
        )
    tracemalloc.start()
    try:
        with pytest.raises(SchemaError) as refused:
            pipeline.read(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    problems = refused.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    last = problems[-1]
    assert last.code == "PROBLEMS_TRUNCATED"
    more = int(last.message.split()[0])
    assert more == 8 * data.count(b' x0=""') - MAX_PROBLEMS
    assert peak < 30_000_000


def test_an_amount_with_too_many_digits_in_xml_is_refused_by_its_cap() -> None:
    assert _lexical.xml_decimal(" 8820.50 ") == _lexical.xml_decimal("8820.50")
    for text in ("9" * 32, "0." + "1" * 30, "-" + "1" * 31, "." + "0" * 31):  # at the cap
        assert _lexical.xml_decimal(text) == Decimal(text)
    for text in ("1" * 33, "0." + "0" * 40 + "1", "9" * 5_000_000):
        with pytest.raises(LimitExceeded) as refused:
            _lexical.xml_decimal(text)
        assert refused.value.code == "NUMBER_TOO_LONG"
    for text in ("1e999999999", "٨٨", "8_820", "NaN"):
        with pytest.raises(ValueError, match="is not an xs:decimal"):
            _lexical.xml_decimal(text)


def test_the_decoder_keeps_the_cap_code() -> None:
    """A profile whose schema admits long numbers still cannot decode one."""
    asw = profiles.get("asw")
    root = _xml.parse(ASW)
    value = next(e for e in root.iter() if etree.QName(e).localname == "Value")
    value.text = "1" * 40 + ".5"
    with pytest.raises(LimitExceeded) as refused:
        asw.decode(root)
    assert refused.value.code == "NUMBER_TOO_LONG"
    assert not isinstance(refused.value, MappingError)


def test_partner_text_is_clipped_with_a_marker() -> None:
    text = clip("x" * 7_000_000)
    assert len(text) < MAX_TEXT + 60
    assert text.endswith(f"[{7_000_000 - MAX_TEXT} more characters cut]")
    assert clip("short") == "short"


def test_a_partners_text_is_escaped_only_as_far_as_it_is_kept() -> None:
    """Megabytes of control characters cost what the kept head costs, not 4× the text."""
    text = "\n" * 4_000_000
    tracemalloc.start()
    try:
        kept = partner_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kept.startswith("\\x0a" * 100) and "\n" not in kept
    assert kept.endswith(f"[{len(text) - MAX_TEXT + 3 * MAX_TEXT} more characters cut]")
    assert peak < 1_000_000


def test_a_7_mb_partner_fault_is_clipped_in_every_journal_entry(tmp_path: Path) -> None:
    now = datetime(2026, 10, 5, tzinfo=UTC)
    with SqliteStore(tmp_path / "relay.db", now=lambda: now) as store:
        store.enqueue(Outgoing(message_id="m-1", dest="unipass", kind="certificate", body=b"<x/>"))
        for attempt in range(3):
            store.claim(limit=1, lease_s=60)
            store.fail(
                "m-1",
                code="SOAP_SERVER_FAULT",
                error="fault " + "x" * 7_000_000,
                next_attempt_at=now + timedelta(seconds=attempt) if attempt < 2 else None,
            )
        journal = store.journal(message_id="m-1")
        dead = store.dead_letters()
    details = [e.detail for e in journal if "SOAP_SERVER_FAULT" in e.detail]
    assert len(details) == 3
    assert all(len(d) < MAX_TEXT + 200 and "more characters cut]" in d for d in details)
    assert len(dead[0].last_error or "") < MAX_TEXT + 60


# --- partner answers, over loopback HTTP -----------------------------------------------


@pytest.fixture
def partner() -> Iterator[Callable[[int, str, bytes], str]]:
    """A loopback server that answers every request with the status, type and body set."""
    answer: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(answer["status"])
            self.send_header("Content-Type", answer["type"])
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def set_answer(status: int, content_type: str, body: bytes) -> str:
        answer.update(status=status, type=content_type, body=body)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield set_answer
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_deeply_nested_mailbox_listing_is_refused(
    partner: Callable[[int, str, bytes], str],
) -> None:
    url = partner(200, "application/json", b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    side = NswHttpSide(url=url)
    try:
        with pytest.raises(ResponseRefused) as refused:
            side.pending()
    finally:
        side.close()
    assert refused.value.cause_code == "JSON_TOO_DEEP"


def test_a_mailbox_error_text_is_clipped(partner: Callable[[int, str, bytes], str]) -> None:
    body = b'{"code": "BAD", "message": "' + b"x" * 1_000_000 + b'"}'
    side = NswHttpSide(url=partner(400, "application/json", body))
    try:
        with pytest.raises(RemoteRejected) as refused:
            side.pending()
    finally:
        side.close()
    assert len(refused.value.remote_text) < MAX_TEXT + 60
    assert len(refused.value.message) < MAX_TEXT + 200


def _soap(body: str) -> bytes:
    return (f'<env:Envelope xmlns:env="{SOAP}"><env:Body>{body}</env:Body></env:Envelope>').encode()


def test_a_unipass_answer_with_600k_attributes_is_refused(
    partner: Callable[[int, str, bytes], str],
) -> None:
    attributes = "".join(f' a{i}=""' for i in range(600_000))
    url = partner(200, "text/xml", _soap(f"<PendingHeaders{attributes}/>"))
    side = UnipassSide(url=url)
    try:
        with pytest.raises(ResponseRefused) as refused:
            side.pending()
    finally:
        side.close()
    assert refused.value.cause_code == "TOO_MANY_ATTRIBUTES"


def test_a_7_mb_soap_fault_text_is_clipped(partner: Callable[[int, str, bytes], str]) -> None:
    fault = (
        f"<env:Fault><faultcode>env:Server</faultcode><faultstring>{'x' * 7_000_000}"
        "</faultstring></env:Fault>"
    )
    side = UnipassSide(url=partner(500, "text/xml", _soap(fault)))
    try:
        with pytest.raises(RetryableTransportError) as refused:
            side.pending()
    finally:
        side.close()
    assert len(refused.value.message) < MAX_TEXT + 200
    assert refused.value.message.endswith("more characters cut]")


def test_a_canonical_list_longer_than_an_xml_element_may_be_is_refused() -> None:
    """1,001 items in canonical JSON: refused at the list, before any model is built."""
    data = canonical.dumps(samples.certificate(items=1001))
    with pytest.raises(LimitExceeded) as refused:
        canonical.loads(data)
    assert refused.value.code == "TOO_MANY_ENTRIES"
    assert refused.value.path == "items"  # canonical paths start at the document
    assert canonical.loads(canonical.dumps(samples.certificate(items=1000)))


@pytest.mark.parametrize("target", ["asw", "unipass", "ubl"])
def test_an_encoders_output_is_held_to_the_shape_caps(target: str) -> None:
    """A model built in code, larger than any XML read within the caps, is refused by
    them when written, before a schema spends its error paths on it."""
    message = samples.certificate(items=1500)
    with pytest.raises(XmlLimitExceeded) as refused:
        profiles.get(target).encode(message)
    assert refused.value.code == "TOO_MANY_CHILDREN"
