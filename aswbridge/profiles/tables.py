"""Mapping tables: how a profile spells each model class in XML, as plain data.

A :class:`Table` lists, in schema order, the XML children of one element and the
model field each one carries. Entries are of four sorts:

* :class:`Leaf` – a simple value (text), optionally spelled through a code table;
* :class:`Node` – a nested model object (or a tuple of them) in a child element;
* :class:`Inline` – a nested model object whose fields sit directly in the parent
  element (UNI-PASS flattens sender, quantity and amounts this way);
* :class:`Group` – a child element holding more fields of the *same* object (ASW
  groups the certificate's boxes 1–11 under ``CertificateOfOrigin``).

The tables are the single source for decoding, encoding, the generated reference
XSDs and the generated mapping documentation.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any

import attrs


@attrs.frozen
class Leaf:
    """A simple value. ``xsd`` names the reference schema's simple type."""

    field: str
    tag: str
    xsd: str = ""
    codes: Mapping[str, str] | None = None
    doc: str = ""


@attrs.frozen
class Node:
    """A nested model object (or a tuple of them) in its own element."""

    field: str
    tag: str
    table: Table


@attrs.frozen
class Inline:
    """A nested model object whose fields are written into the parent element."""

    field: str
    table: Table


@attrs.frozen
class Group:
    """A child element that carries further fields of the same object."""

    tag: str
    table: Table
    id_attribute: str | None = None


Entry = Leaf | Node | Inline | Group


def _entries(value: Iterable[Entry]) -> tuple[Entry, ...]:
    return tuple(value)


@attrs.frozen
class Table:
    """The XML shape of one model class in one profile."""

    cls: type[Any]
    entries: tuple[Entry, ...] = attrs.field(converter=_entries)

    def fields(self) -> dict[str, FieldInfo]:
        """Type facts of the model class, by field name (cached on the class)."""
        return field_info(self.cls)


@attrs.frozen
class FieldInfo:
    """What the engine needs to know about a model field's type."""

    base: type[Any]
    optional: bool
    many: bool


_FIELD_CACHE: dict[type[Any], dict[str, FieldInfo]] = {}


def field_info(cls: type[Any]) -> dict[str, FieldInfo]:
    """Resolve the annotations of an attrs class into :class:`FieldInfo` records."""
    cached = _FIELD_CACHE.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    info: dict[str, FieldInfo] = {}
    for field in attrs.fields(cls):
        tp = hints[field.name]
        optional = many = False
        if isinstance(tp, UnionType) or typing.get_origin(tp) is typing.Union:
            args = [a for a in typing.get_args(tp) if a is not NoneType]
            optional = len(args) < len(typing.get_args(tp))
            tp = args[0]
        if typing.get_origin(tp) is tuple:
            many = True
            tp = typing.get_args(tp)[0]
        info[field.name] = FieldInfo(base=tp, optional=optional, many=many)
    _FIELD_CACHE[cls] = info
    return info


SCALARS: tuple[type[Any], ...] = (str, int, Decimal, date, datetime)
