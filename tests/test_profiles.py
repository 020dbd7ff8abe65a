"""The reference profiles: codec round trips, schemas and docs generated from the tables."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from lxml import etree

from aswbridge import canonical, profiles
from aswbridge.errors import MappingError, SchemaError
from aswbridge.model import Message
from aswbridge.profiles import docs, xsd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ["asw", "unipass"]  # XSDs generated from the tables
NAMES = [*REFERENCE, "ubl"]
CERTIFICATES = strategies.envelope.flatmap(
    lambda env: strategies.certificate.map(lambda c: Message(envelope=env, document=c))
)


@pytest.mark.parametrize("name", REFERENCE)
def test_shipped_xsd_matches_the_tables(name: str) -> None:
    profile = profiles.get(name)
    assert (ROOT / "aswbridge" / "wsdl" / profile.schema).read_text() == xsd.generate(profile)


@pytest.mark.parametrize("name", NAMES)
def test_mapping_docs_match_the_tables(name: str) -> None:
    profile = profiles.get(name)
    assert (ROOT / "docs" / "profiles" / f"{name}.md").read_text() == docs.markdown(profile)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=strategies.messages)
def test_any_message_round_trips_through_the_profile(name: str, message: Message) -> None:
    profile = profiles.get(name)
    element = profile.encode(message)  # schema-validated
    assert profile.decode(element) == message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=strategies.messages)
def test_any_message_round_trips_through_canonical_json(message: Message) -> None:
    assert canonical.loads(canonical.dumps(message)) == message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=strategies.messages)
def test_asw_unipass_asw_is_lossless(message: Message) -> None:
    asw, unipass = profiles.get("asw"), profiles.get("unipass")
    there = unipass.decode(unipass.encode(asw.decode(asw.encode(message))))
    assert asw.decode(asw.encode(there)) == message


@pytest.mark.parametrize("home", ["asw", "unipass"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=strategies.messages)
def test_a_trip_through_ubl_and_back_is_exact(home: str, message: Message) -> None:
    """``asw → ubl → asw`` and ``unipass → ubl → unipass``: the same bytes come back."""
    side, ubl = profiles.get(home), profiles.get("ubl")
    data = side.encode_bytes(message)
    there = ubl.encode(side.decode(side.encode(message)))  # both schema-validated
    assert side.encode_bytes(ubl.decode(there)) == data


@settings(max_examples=5, deadline=None)
@given(message=strategies.messages)
def test_comment_inside_a_value_is_not_truncated(message: Message) -> None:
    profile = profiles.get("asw")
    data = profile.encode_bytes(message).replace(b"<MessageID>", b"<MessageID><!-- x -->", 1)
    assert profile.decode(etree.fromstring(data)).envelope.message_id == message.envelope.message_id


@settings(max_examples=5, deadline=None)
@given(message=CERTIFICATES)
def test_unknown_code_is_a_mapping_error_naming_the_field(message: Message) -> None:
    broken = attrs.evolve(message, document=attrs.evolve(message.document, form="FORM_X"))
    with pytest.raises(MappingError) as refused:
        profiles.get("unipass").encode(broken)
    assert refused.value.path == "form"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "text", ["\x01", "a\x0bb", "\ufffe"], ids=["soh", "vertical-tab", "non-char"]
)
@settings(max_examples=3, deadline=None)
@given(message=CERTIFICATES)
def test_text_xml_cannot_carry_is_a_mapping_error(name: str, text: str, message: Message) -> None:
    """A character XML 1.0 forbids, even escaped, refuses the message as a mapping error."""
    document = message.document
    broken = attrs.evolve(
        message,
        document=attrs.evolve(document, exporter=attrs.evolve(document.exporter, name=text)),
    )
    with pytest.raises(MappingError, match="cannot be written as XML"):
        profiles.get(name).encode(broken)


@settings(max_examples=5, deadline=None)
@given(message=CERTIFICATES)
def test_schema_errors_carry_canonical_paths(message: Message) -> None:
    profile = profiles.get("asw")
    data = profile.encode_bytes(message)
    start = data.index(b"<ClassificationCode>") + len(b"<ClassificationCode>")
    bad = data[:start] + b"84X" + data[data.index(b"</ClassificationCode>") :]
    with pytest.raises(SchemaError) as refused:
        profile.validate(etree.fromstring(bad))
    assert refused.value.problems[0].path == "items[0].hs.code"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=5, deadline=None)
@given(message=strategies.messages)
def test_wrong_namespace_is_refused(name: str, message: Message) -> None:
    profile = profiles.get(name)
    data = profile.encode_bytes(message)
    root_namespace = etree.QName(etree.fromstring(data)).namespace or ""
    data = data.replace(root_namespace.encode(), b"urn:other", 1)
    with pytest.raises(SchemaError):
        profile.validate(etree.fromstring(data))


def test_schema_criteria_are_those_some_form_allows() -> None:
    from aswbridge.agreements import FORM_RULES

    allowed = {c for rules in FORM_RULES.values() for c in rules.criteria | rules.combinable}
    assert set(xsd.CRITERIA) == allowed
