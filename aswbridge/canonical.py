"""The canonical JSON form of a message: a public, lossless contract.

A message is one JSON object: ``kind``, ``envelope``, and the document's fields at
the top level, under the snake_case paths of the model (docs/concepts.md). Decimals are
written as JSON strings so that no digit is lost (``"1200.50"``), dates as ISO 8601
strings, absent optional values are left out.

Reading is strict: an unknown key, a missing field or a value of the wrong type is a
:class:`~aswbridge.errors.MessageError` naming the path and the reason.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from aswbridge._xml import DEFAULT_MAX_BYTES
from aswbridge.errors import InputTooLarge, MessageError
from aswbridge.model import DOCUMENT_OF, Envelope, Message
from aswbridge.profiles.tables import SCALARS, field_info

__all__ = ["CanonicalError", "dumps", "from_dict", "loads", "to_dict"]

class CanonicalError(MessageError):
    """The canonical JSON is malformed or does not fit the model."""

    code = "CANONICAL_INVALID"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path

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
    return {"kind": message.kind, "envelope": _object(message.envelope),
            **_object(message.document)}

def dumps(message: Message) -> bytes:
    """The canonical JSON text of ``message`` (UTF-8, indented, stable key order)."""
    return json.dumps(to_dict(message), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"

# --- JSON -> model ------------------------------------------------------------------

def _scalar(tp: type[Any], value: Any, path: str) -> Any:
    try:
        if tp is str:
            if not isinstance(value, str):
                raise TypeError
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError
            return int(value)
        if tp is Decimal:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise TypeError
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError
            return number
        if tp is datetime:
            if not isinstance(value, str):
                raise TypeError
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise CanonicalError("a date-time needs a time zone", path=path)
            return moment
        if tp is date:
            if not isinstance(value, str) or len(value) != 10:
                raise TypeError
            return date.fromisoformat(value)
    except (TypeError, ValueError, InvalidOperation):
        raise CanonicalError(f"expected {tp.__name__}, got {value!r}"[:200], path=path) from None
    raise TypeError(tp)  # pragma: no cover - the model has no other scalar types

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
        raise CanonicalError(f"unknown kind {kind!r}; expected one of {sorted(DOCUMENT_OF)}",
                             path="kind")
    envelope = _build(Envelope, body.pop("envelope", None), "envelope")
    return Message(envelope=envelope, document=_build(cls, body, ""))

def loads(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Message:
    """Read a message from canonical JSON text."""
    if len(data) > max_bytes:
        raise InputTooLarge(f"input is {len(data)} bytes, over the cap of {max_bytes}")
    try:
        parsed = json.loads(data, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise CanonicalError(f"not valid JSON: {exc}") from None
    return from_dict(parsed)

def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")

