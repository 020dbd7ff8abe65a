"""Mapping tables: how a profile spells each model class in XML, as plain data.

A :class:`Table` lists, in schema order, the XML children of one element and the
model field each one carries. Entries are of five sorts:

* :class:`Leaf` – a simple value (text), optionally spelled through a code table;
* :class:`Node` – a nested model object (or a tuple of them) in a child element;
* :class:`Inline` – a nested model object whose fields sit directly in the parent
  element (UNI-PASS flattens sender, quantity and amounts this way); one object may
  be split over several ``Inline`` entries of the same field, in different places;
* :class:`Group` – a child element holding more fields of the *same* object (ASW
  groups the certificate's boxes 1–11 under ``CertificateOfOrigin``);
* :class:`Fixed` – an element the schema requires with a constant value, written
  and not read.

Tags are local names in the profile's namespace, or ``prefix:name`` with a prefix the
profile declares (UBL's ``cbc:``/``cac:``). A :class:`Leaf` or :class:`Node` tag may be
a path ``a/b/c``: the value sits in ``c`` inside ``b`` inside ``a``, which are written
only when the value is present. Inside a node's table, a leaf tagged ``@name`` is an
attribute of the node's element and a leaf tagged ``.`` its text (UBL's
``<cbc:FreeOnBoardValueAmount currencyID="USD">100</...>``). A ``derived`` leaf or node
writes a value that is read from another place of the same table (a schema that wants
the same fact twice).

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
    derived: bool = False


@attrs.frozen
class Node:
    """A nested model object (or a tuple of them) in its own element."""

    field: str
    tag: str
    table: Table
    derived: bool = False


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


@attrs.frozen
class Fixed:
    """An element (or path) the schema requires, written with a constant text; not read."""

    tag: str
    value: str
    doc: str = ""


Entry = Leaf | Node | Inline | Group | Fixed


def steps(tag: str) -> list[str]:
    """The element names of a tag path (``a/b/c`` → ``[a, b, c]``)."""
    return tag.split("/")


def is_attribute(entry: Entry) -> bool:
    """Whether ``entry`` is a leaf stored in its element's attribute or text."""
    return isinstance(entry, Leaf) and (entry.tag == "." or entry.tag.startswith("@"))


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
