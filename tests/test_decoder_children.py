"""The decoder reads children from a list: the same nodes, values and errors as iterating.

Comments and processing instructions are children too: inside a value they must not cut
it short, and between fields (or inside a nested object, a group or a repeated item)
they must be skipped, as must elements the table does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from aswbridge import _xml, profiles, samples
from aswbridge.errors import MappingError
from aswbridge.model import Message

DS = "http://www.w3.org/2000/09/xmldsig#"


def _tree(profile: str, message: Message) -> etree._Element:
    return _xml.parse(profiles.get(profile).encode_bytes(message))


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0 and el.text]


def _split_values(root: etree._Element) -> None:
    """Cut every value in two around a comment, and one in three with a PI as well."""
    for n, leaf in enumerate(_leaves(root)):
        text = leaf.text or ""
        if len(text) < 2:
            continue
        half = len(text) // 2
        leaf.text = text[:half]
        comment = etree.Comment("")
        comment.tail = text[half:]
        leaf.append(comment)
        if n % 3 == 0 and len(text) >= 3:
            comment.tail = text[half:-1]
            pi = etree.ProcessingInstruction("keep", "me")
            pi.tail = text[-1]
            leaf.append(pi)


def _sprinkle(root: etree._Element) -> None:
    """A comment, a PI and an unknown element amid the children of every container.

    (Not first: the body's first child names the document's kind.)
    """
    for container in [el for el in root.iter() if isinstance(el.tag, str) and len(el)]:
        at = max(1, len(container) // 2)
        container.insert(at, etree.Comment(" note "))
        container.insert(at, etree.ProcessingInstruction("app", "x"))
        unknown = etree.Element(f"{{{DS}}}Object")
        etree.SubElement(unknown, f"{{{DS}}}Value").text = "ignored"
        container.insert(at, unknown)


BUILDERS: dict[str, Callable[[], Message]] = {
    "one_item": samples.one_item,
    "form_ak_id_kr": samples.form_ak_id_kr,
}


@pytest.mark.parametrize("profile", ["asw", "unipass"])
@pytest.mark.parametrize("build", list(BUILDERS.values()), ids=list(BUILDERS))
@pytest.mark.parametrize(
    "change", [_split_values, _sprinkle], ids=["values-cut-by-comments", "unknown-nodes"]
)
def test_comments_pis_and_unknown_elements_leave_the_message_unchanged(
    profile: str, build: Callable[[], Message], change: Callable[[etree._Element], None]
) -> None:
    message = build()
    root = _tree(profile, message)
    change(root)
    assert profiles.get(profile).decode(root) == message


def _first(root: etree._Element, local: str) -> etree._Element:
    found = next((el for el in root.iter() if etree.QName(el).localname == local), None)
    assert found is not None, local
    return found


CASES: dict[str, tuple[str, str, Callable[[etree._Element], Any]]] = {
    "asw-unknown-form-code": (
        "asw",
        "unknown code 'ZZ'",
        lambda r: setattr(_first(r, "FormTypeCode"), "text", "ZZ"),
    ),
    "asw-missing-hs-code": (
        "asw",
        "missing",
        lambda r: _first(r, "Classification").remove(_first(r, "ClassificationCode")),
    ),
    "asw-bad-quantity": (
        "asw",
        "cannot build",
        lambda r: setattr(_first(r, "Value"), "text", "many"),
    ),
    "unipass-unknown-form-code": (
        "unipass",
        "unknown code 'ZZ'",
        lambda r: setattr(_first(r, "FtaCoTpcd"), "text", "ZZ"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_unknown_codes_missing_and_bad_fields_are_mapping_errors(
    case: tuple[str, str, Callable[[etree._Element], Any]],
) -> None:
    profile, words, damage = case
    root = _tree(profile, samples.form_ak_id_kr())
    damage(root)
    with pytest.raises(MappingError, match=words):
        profiles.get(profile).decode(root)


@pytest.mark.parametrize("profile", ["asw", "unipass"])
def test_a_repeated_field_keeps_every_occurrence_in_order(profile: str) -> None:
    message = samples.form_ak_id_kr()
    decoded = profiles.get(profile).decode(_tree(profile, message))
    assert decoded.document == message.document
    items = getattr(decoded.document, "items", ())
    assert [item.number for item in items] == list(range(1, len(items) + 1))
