"""The codec's slot-by-slot construction builds exactly what the attrs ``__init__`` builds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from lxml import etree

from aswbridge import model, profiles, samples
from aswbridge.errors import MappingError
from aswbridge.profiles.engine import Plan, _slot_setters
from aswbridge.profiles.tables import Leaf, Table

NS = "urn:aswbridge:test:perf"


@attrs.frozen(kw_only=True)
class Plain:
    name: str
    amount: Decimal = attrs.field(converter=Decimal)


@attrs.frozen(kw_only=True)
class Checked:
    name: str = attrs.field(validator=attrs.validators.min_len(2))


@attrs.frozen(kw_only=True)
class PostInit:
    name: str

    def __attrs_post_init__(self) -> None:
        if self.name == "bad":
            raise ValueError("post-init refused it")


@attrs.define(kw_only=True, slots=False)
class NoSlots:
    name: str


@attrs.frozen(kw_only=True)
class SelfConverted:
    name: str = attrs.field(
        converter=attrs.Converter(lambda value, _self: value.upper(), takes_self=True)
    )


def _element(**children: str) -> etree._Element:
    root = etree.Element(f"{{{NS}}}Root")
    for tag, text in children.items():
        etree.SubElement(root, f"{{{NS}}}{tag}").text = text
    return root


def _names(cls: type[Any]) -> dict[str, str]:
    return {f.name: f.name for f in attrs.fields(cls)}


@pytest.mark.parametrize(
    "cls",
    [model.Item, model.Certificate, model.Quantity, model.Envelope, Plain],
    ids=lambda c: c.__name__,
)
def test_model_classes_take_the_shortcut(cls: type[Any]) -> None:
    setters = _slot_setters(cls, _names(cls))
    assert setters is not None
    assert [name for name, _, _ in setters] == [f.name for f in attrs.fields(cls)]


@pytest.mark.parametrize(
    "cls", [Checked, PostInit, NoSlots, SelfConverted, model.Message], ids=lambda c: c.__name__
)
def test_classes_with_more_than_slots_keep_their_init(cls: type[Any]) -> None:
    args = _names(cls) if cls is not model.Message else {"envelope": "e"}  # a field left out
    assert _slot_setters(cls, args) is None


def test_converter_runs_and_object_equals_the_attrs_built_one() -> None:
    plan = Plan(Table(Plain, [Leaf("name", "Name"), Leaf("amount", "Amount")]), NS)
    got = plan.decode(_element(Name="fob", Amount="12.50"))
    assert got == Plain(name="fob", amount=Decimal("12.50"))
    assert type(got.amount) is Decimal and hash(got) == hash(Plain(name="fob", amount="12.50"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.name = "other"  # type: ignore[misc]


def test_validator_and_post_init_still_run() -> None:
    checked = Plan(Table(Checked, [Leaf("name", "Name")]), NS)
    with pytest.raises(MappingError, match="cannot build Checked"):
        checked.decode(_element(Name="x"))
    post = Plan(Table(PostInit, [Leaf("name", "Name")]), NS)
    with pytest.raises(MappingError, match="post-init refused it"):
        post.decode(_element(Name="bad"))
    assert post.decode(_element(Name="good")) == PostInit(name="good")


@pytest.mark.parametrize("profile", ["asw", "unipass"])
@pytest.mark.parametrize(
    "build",
    [samples.one_item, samples.form_ak_id_kr, samples.many_items, samples.receipt],
    ids=lambda b: b.__name__,
)
def test_decoded_messages_equal_the_samples_field_for_field(profile: str, build: Any) -> None:
    prof = profiles.get(profile)
    message = build()
    decoded = prof.decode(prof.encode(message))
    assert decoded == message
    assert repr(decoded) == repr(message)  # same types too (tuples, Decimals, dates)


def _first_item_evolved(**changes: Any) -> model.Message:
    message = samples.one_item()
    cert = message.document
    assert isinstance(cert, model.Certificate)
    item = attrs.evolve(cert.items[0], **changes)
    return attrs.evolve(message, document=attrs.evolve(cert, items=(item, *cert.items[1:])))


@pytest.mark.parametrize("profile", ["asw", "unipass"])
def test_text_of_an_inlined_item_is_escaped(profile: str) -> None:
    prof = profiles.get(profile)
    message = _first_item_evolved(description="Nuts & bolts <M8>\r\nbox")
    data = prof.encode_bytes(message)
    assert b"Nuts &amp; bolts &lt;M8&gt;&#13;\nbox" in data
    assert prof.decode(prof.encode(message)) == message


@pytest.mark.parametrize(
    ("value", "written"),
    [("1E+3", b">1000<"), ("0.0000001", b">0.0000001<"), ("4200.50", b">4200.50<")],
    ids=["exponent", "tiny", "plain"],
)
def test_decimals_are_written_without_exponent(value: str, written: bytes) -> None:
    message = _first_item_evolved(quantity=model.Quantity(value=Decimal(value), unit="KGM"))
    assert written in profiles.get("unipass").encode_bytes(message)


def test_no_spelling_in_a_repeated_nested_object_names_its_path() -> None:
    message = samples.response_refusing_item()
    response = message.document
    assert isinstance(response, model.Response)
    decision = attrs.evolve(response.decisions[-1], preference="maybe")
    bad = attrs.evolve(
        message,
        document=attrs.evolve(response, decisions=(*response.decisions[:-1], decision)),
    )
    with pytest.raises(MappingError) as caught:
        profiles.get("unipass").encode_bytes(bad)
    assert caught.value.problems[0].path == f"decisions[{len(response.decisions) - 1}].preference"
