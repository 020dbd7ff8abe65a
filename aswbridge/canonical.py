"""The canonical JSON form of a message: a public, lossless contract.

A message is one JSON object: ``kind``, ``envelope``, and the document's fields at
the top level, under the snake_case paths of the model (docs/concepts.md). Each value
has one lexical form, written and read:

* decimals are JSON strings ``-?[0-9]+(\\.[0-9]+)?`` (ASCII digits, no exponent, no
  ``_``, no spaces), at most 32 digits: ``"1200.50"``. A JSON number is read exactly
  when it has that form (``1200.50``), refused otherwise (``1.2e3``);
* integers are JSON integers;
* dates are ``YYYY-MM-DD``; date-times ``YYYY-MM-DDThh:mm:ss[.ffffff]`` then ``Z``
  or ``±hh:mm``;
* strings are Unicode text (a lone surrogate ``\\ud800`` is refused);
* absent optional values are left out.

Reading is strict: an unknown key, a key given twice, a missing field or a value of
the wrong type or form is a :class:`~aswbridge.errors.MessageError` naming the path
and the reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs

from aswbridge._lexical import (
    bounded_decimal,
    canonical_date,
    canonical_datetime,
    canonical_decimal,
    load_json,
)
from aswbridge._xml import DEFAULT_MAX_BYTES, MAX_CHILDREN
from aswbridge.errors import CanonicalError, InputTooLarge, LimitExceeded, MessageError
from aswbridge.model import DOCUMENT_OF, Envelope, Message
from aswbridge.profiles.tables import SCALARS, field_info

__all__ = ["CanonicalError", "dumps", "from_dict", "loads", "to_dict"]


# --- model -> JSON ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        text = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if attrs.has(type(value)):
        return _object(value)
    raise TypeError(f"cannot write {type(value).__name__} as canonical JSON")


def _object(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        if value is None or value == ():
            continue
        out[field.name] = _plain(value)
    return out


def to_dict(message: Message) -> dict[str, Any]:
    """The canonical JSON object of ``message``."""
    return {
        "kind": message.kind,
        "envelope": _object(message.envelope),
        **_object(message.document),
    }


def dumps(message: Message) -> bytes:
    """The canonical JSON text of ``message`` (UTF-8, indented, stable key order)."""
    return json.dumps(to_dict(message), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


# --- JSON -> model ------------------------------------------------------------------


class _Number:
    """A JSON number as written, so that an amount is read exactly or refused with a reason."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text[:40]


_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def _scalar(tp: type[Any], value: Any, path: str) -> Any:
    try:
        if tp is str:
            if type(value) is not str:
                raise TypeError
            if _SURROGATE.search(value):
                raise CanonicalError("a lone surrogate is not text", path=path)
            return value
        if tp is int:
            if not isinstance(value, _Number | int) or isinstance(value, bool):
                raise TypeError
            if isinstance(value, _Number):
                if _INTEGER.fullmatch(value.text) is None:
                    raise TypeError
                return int(value.text)
            return value
        if tp is Decimal:
            if isinstance(value, str):
                return canonical_decimal(value, path)
            if isinstance(value, _Number):
                if "e" in value.text or "E" in value.text:
                    raise CanonicalError(
                        f"{value.text[:40]} has an exponent: write the amount "
                        "as a string, -?[0-9]+(.[0-9]+)?",
                        path=path,
                    )
                return canonical_decimal(value.text, path)
            if isinstance(value, Decimal) and value.is_finite():  # from_dict with model values
                return bounded_decimal(value, path)
            raise TypeError
        if tp is datetime:
            if not isinstance(value, str):
                raise TypeError
            return canonical_datetime(value)
        if tp is date:
            if not isinstance(value, str):
                raise TypeError
            return canonical_date(value)
    except ValueError as exc:
        if isinstance(exc, MessageError):
            raise
        raise CanonicalError(str(exc), path=path) from None
    except TypeError:
        raise CanonicalError(f"expected {_EXPECTED[tp]}, got {value!r}"[:200], path=path) from None
    raise TypeError(tp)  # pragma: no cover - the model has no other scalar types


_EXPECTED = {
    str: "a string",
    int: "an integer",
    Decimal: 'a decimal string such as "1200.50"',
    datetime: 'a date-time string such as "2026-10-05T09:30:00Z"',
    date: 'a date string such as "2026-10-05"',
}


def _build(cls: type[Any], data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise CanonicalError("expected an object", path=path)
    info = field_info(cls)
    unknown = sorted(set(data) - set(info))
    if unknown:
        raise CanonicalError(f"unknown field {unknown[0]!r}", path=path)
    kwargs: dict[str, Any] = {}
    for name, fi in info.items():
        where = f"{path}.{name}" if path else name
        if name not in data or data[name] is None:
            if not fi.optional and attrs.fields_dict(cls)[name].default is attrs.NOTHING:
                raise CanonicalError("is required", path=where)
            continue
        value = data[name]
        if fi.many:
            if not isinstance(value, list):
                raise CanonicalError("expected a list", path=where)
            if len(value) > MAX_CHILDREN:  # as many as an XML element may hold
                raise LimitExceeded(
                    f"{len(value)} entries, over the cap of {MAX_CHILDREN}",
                    code="TOO_MANY_ENTRIES",
                    path=where,
                )
            kwargs[name] = tuple(_value(fi.base, v, f"{where}[{i}]") for i, v in enumerate(value))
        else:
            kwargs[name] = _value(fi.base, value, where)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise CanonicalError(str(exc), path=path) from None


def _value(tp: type[Any], value: Any, path: str) -> Any:
    return _scalar(tp, value, path) if tp in SCALARS else _build(tp, value, path)


def from_dict(data: Any) -> Message:
    """Build a :class:`Message` from its canonical JSON object."""
    if not isinstance(data, dict):
        raise CanonicalError("a message must be a JSON object")
    body = dict(data)
    kind = body.pop("kind", None)
    cls = DOCUMENT_OF.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise CanonicalError(
            f"unknown kind {kind!r}; expected one of {sorted(DOCUMENT_OF)}", path="kind"
        )
    envelope = _build(Envelope, body.pop("envelope", None), "envelope")
    return Message(envelope=envelope, document=_build(cls, body, ""))


def loads(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Message:
    """Read a message from canonical JSON text.

    Refused: text over ``max_bytes``, a key given twice in one object, nesting deeper
    than 32 levels (``JSON_TOO_DEEP``), and numbers that are not exactly what a field holds.
    """
    if len(data) > max_bytes:
        raise InputTooLarge(f"input is {len(data)} bytes, over the cap of {max_bytes}")
    return from_dict(load_json(data, numbers=_Number, invalid=CanonicalError))
