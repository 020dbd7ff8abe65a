"""The table-driven codec: XML element ⇄ model object, for any profile's tables.

Tables are compiled once into plans keyed by the namespaced tag, so decoding is a
single pass over each element's children and encoding is string building with
escaping (the result is re-parsed and schema-validated by the profile).

Text is read as the concatenation of all text nodes of a leaf element, never just
``.text``: a comment inside a value (``8471<!---->30``) must not truncate it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from aswbridge.errors import MappingError
from aswbridge.profiles.tables import Group, Inline, Leaf, Table

_LEAF, _NODE, _GROUP = 0, 1, 2


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_PARSERS: dict[type[Any], Callable[[str], Any]] = {
    str: str,
    int: int,
    Decimal: Decimal,
    date: date.fromisoformat,
    datetime: _parse_datetime,
}


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_FORMATTERS: dict[type[Any], Callable[[Any], str]] = {
    str: _escape,
    int: str,
    Decimal: lambda v: format(v, "f"),
    date: date.isoformat,
    datetime: _format_datetime,
}


class Plan:
    """A compiled table: decode actions by tag, and a generated encode function."""

    def __init__(self, table: Table, ns: str) -> None:
        self.cls = table.cls
        self.ns = ns
        self.actions: dict[str, tuple[int, Any, Any, Any, bool, str | None]] = {}
        self.inline: dict[str, Plan] = {}
        self._lines: list[str] = []
        self._env: dict[str, Any] = {"MappingError": MappingError, "_no_spelling": _no_spelling}
        self._compile(table, owner=None, indent="    ", src="obj")
        source = "def encode(obj, out, path=''):\n    append = out.append\n" + "\n".join(
            self._lines or ["    pass"])
        exec(compile(source, f"<aswbridge encoder {table.cls.__name__}>", "exec"), self._env)
        self.encode: Callable[[Any, list[str], str], None] = self._env["encode"]
        """Append the XML text of an object's fields (not its own element) to ``out``."""

    def _name(self, value: Any) -> str:
        name = f"_v{len(self._env)}"
        self._env[name] = value
        return name

    def _compile(self, table: Table, owner: str | None, indent: str, src: str) -> None:
        info = table.fields()
        emit = self._lines.append
        for entry in table.entries:
            if isinstance(entry, Group):
                sub = Plan.__new__(Plan)
                sub.cls, sub.ns, sub.actions, sub.inline = self.cls, self.ns, {}, {}
                sub._lines, sub._env = self._lines, self._env
                attr = f' {entry.id_attribute}="{entry.tag}"' if entry.id_attribute else ""
                emit(f"{indent}append({f'<{entry.tag}{attr}>'!r})")
                sub._compile(entry.table, owner=owner, indent=indent, src=src)
                emit(f"{indent}append({f'</{entry.tag}>'!r})")
                self.actions[self._tag(entry.tag)] = (_GROUP, None, sub, None, False, owner)
                self.inline.update(sub.inline)
                continue
            if isinstance(entry, Inline):
                if owner is not None:
                    raise TypeError("inline tables cannot nest")
                self.inline[entry.field] = plan_for(entry.table, self.ns)
                var = f"_i_{entry.field}"
                emit(f"{indent}{var} = {src}.{entry.field}")
                emit(f"{indent}if {var} is not None:")
                self._compile(entry.table, owner=entry.field, indent=indent + "    ", src=var)
                continue
            fi = info[entry.field]
            open_, close = f"<{entry.tag}>", f"</{entry.tag}>"
            emit(f"{indent}v = {src}.{entry.field}")
            emit(f"{indent}if v is not None:")
            body = indent + ("        " if fi.many else "    ")
            if fi.many:
                emit(f"{indent}    for i, v in enumerate(v):")
            where = f"f'{{path}}{entry.field}[{{i}}]'" if fi.many else f"path + {entry.field!r}"
            if isinstance(entry, Leaf):
                reverse = {v: k for k, v in entry.codes.items()} if entry.codes else None
                parse = None if fi.base is str else _PARSERS[fi.base]
                self.actions[self._tag(entry.tag)] = (
                    _LEAF, entry.field, parse, reverse, fi.many, owner)
                if entry.codes is not None:
                    codes = self._name(entry.codes)
                    emit(f"{body}t = {codes}.get(v)")
                    emit(f"{body}if t is None: _no_spelling(v, {where})")
                else:
                    emit(f"{body}t = {self._name(_FORMATTERS[fi.base])}(v)")
                emit(f"{body}append({open_!r} + t + {close!r})")
            else:
                sub_plan = plan_for(entry.table, self.ns)
                self.actions[self._tag(entry.tag)] = (
                    _NODE, entry.field, sub_plan, None, fi.many, owner)
                sub_path = f"f'{{path}}{entry.field}[{{i}}].'" if fi.many else (
                    f"path + {entry.field + '.'!r}")
                emit(f"{body}append({open_!r})")
                emit(f"{body}{self._name(sub_plan)}.encode(v, out, {sub_path})")
                emit(f"{body}append({close!r})")

    def _tag(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def decode(self, element: etree._Element) -> Any:
        """Build the model object from ``element``."""
        kwargs: dict[str, Any] = {}
        if self.inline:
            inlined: dict[str, dict[str, Any]] = {}
            self._collect(element, kwargs, inlined)
            for name, sub_kwargs in inlined.items():
                kwargs[name] = self.inline[name]._build(sub_kwargs)
        else:
            self._collect(element, kwargs, {})
        try:
            return self.cls(**kwargs)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise MappingError(f"cannot build {self.cls.__name__}: {exc}") from None

    def _collect(self, element: etree._Element, kwargs: dict[str, Any],
                 inlined: dict[str, dict[str, Any]]) -> None:
        actions = self.actions
        for child in element:
            action = actions.get(child.tag)
            if action is None:  # comments, processing instructions, ds:Signature
                continue
            kind, field, arg, reverse, many, owner = action
            if owner is None:
                target = kwargs
            else:
                target = inlined.get(owner)  # type: ignore[assignment]
                if target is None:
                    target = inlined[owner] = {}
            if kind == _LEAF:
                value = child.text if not len(child) else "".join(child.itertext())  # type: ignore[arg-type]
                if value is None:
                    value = ""
                if reverse is not None:
                    try:
                        value = reverse[value]
                    except KeyError:
                        raise MappingError(f"{child.tag}: unknown code {value!r}",
                                           path=str(field)) from None
                if arg is not None:
                    value = arg(value)
            elif kind == _NODE:
                value = arg.decode(child)
            else:
                arg._collect(child, target, inlined)
                continue
            if many:
                values = target.get(field)
                if values is None:
                    target[field] = [value]
                else:
                    values.append(value)
            else:
                target[field] = value

    def _build(self, kwargs: dict[str, Any]) -> Any:
        try:
            return self.cls(**kwargs)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise MappingError(f"cannot build {self.cls.__name__}: {exc}") from None


def _no_spelling(value: Any, path: str) -> None:
    raise MappingError(f"no spelling for {value!r}", path=path)


_PLANS: dict[tuple[int, str], Plan] = {}


def plan_for(table: Table, ns: str) -> Plan:
    """The compiled plan of ``table`` in namespace ``ns`` (compiled once)."""
    key = (id(table), ns)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = Plan(table, ns)
    return plan
