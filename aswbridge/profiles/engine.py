"""The table-driven codec: XML element ⇄ model object, for any profile's tables.

Each table is compiled once into two small Python functions (as attrs does for
``__init__``): a decoder that makes a single pass over an element's children, and
an encoder that builds escaped XML text. The profile re-parses and schema-validates
what the encoder wrote, so a bug here cannot produce an invalid message unnoticed.

Text is read as the concatenation of every text node of a leaf element, never just
``.text``: a comment inside a value (``8471<!---->30``) must not truncate it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from aswbridge.errors import MappingError
from aswbridge.profiles.tables import Group, Inline, Leaf, Node, Table


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_PARSERS: dict[type[Any], Callable[[str], Any]] = {
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


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())  # type: ignore[arg-type]


def _no_spelling(value: Any, path: str) -> None:
    raise MappingError(f"no spelling for {value!r}", path=path)


def _unknown_code(tag: str, value: str, field: str) -> None:
    raise MappingError(f"{tag}: unknown code {value!r}", path=field)


def _build(cls: type[Any], kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise MappingError(f"cannot build {cls.__name__}: {exc}") from None


class _Source:
    """Accumulates the generated source and the constants it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {
            "_text": _text, "_build": _build, "_no_spelling": _no_spelling,
            "_unknown_code": _unknown_code,
        }

    def const(self, value: Any) -> str:
        name = f"_k{len(self.env)}"
        self.env[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def function(self, name: str, label: str) -> Any:
        exec(compile("\n".join(self.lines), f"<aswbridge {label}>", "exec"), self.env)
        return self.env[name]


class Plan:
    """A compiled table: ``decode(element)`` and ``encode(obj, out, path)``."""

    def __init__(self, table: Table, ns: str) -> None:
        self.table = table
        self.ns = ns
        enc = _Source()
        enc.emit(0, "def encode(obj, out, path=''):")
        enc.emit(1, "append = out.append")
        self._encoder(enc, table, 1, "obj")
        self.encode: Callable[[Any, list[str], str], None] = enc.function(
            "encode", f"encoder {table.cls.__name__}")
        """Append the XML text of an object's fields (not its own element) to ``out``."""
        dec = _Source()
        dec.emit(0, "def decode(element):")
        dec.emit(1, "kw = {}")
        inline, many = self._locals(table)
        for name in inline:
            dec.emit(1, f"i_{name} = None")
        for owner, name in many:
            dec.emit(1, f"m_{owner}_{name} = []")
        self._decoder(dec, table, 1, "element", 0, owner=None)
        for owner, name in many:
            target = "kw" if owner == "" else f"i_{owner}"
            dec.emit(1, f"if m_{owner}_{name}:")
            if owner:
                dec.emit(2, f"if i_{owner} is None: i_{owner} = {{}}")
            dec.emit(2, f"{target}[{name!r}] = m_{owner}_{name}")
        for name, sub in inline.items():
            dec.emit(1, f"if i_{name} is not None:")
            dec.emit(2, f"kw[{name!r}] = _build({dec.const(sub.cls)}, i_{name})")
        dec.emit(1, f"return _build({dec.const(table.cls)}, kw)")
        self.decode: Callable[[etree._Element], Any] = dec.function(
            "decode", f"decoder {table.cls.__name__}")
        """Build the model object from an element holding the table's children."""

    def _tag(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    @staticmethod
    def _locals(table: Table) -> tuple[dict[str, Table], list[tuple[str, str]]]:
        """Inline tables by field, and (owner, field) of every repeated field."""
        inline: dict[str, Table] = {}
        many: list[tuple[str, str]] = []

        def walk(t: Table, owner: str) -> None:
            info = t.fields()
            for entry in t.entries:
                if isinstance(entry, Group):
                    walk(entry.table, owner)
                elif isinstance(entry, Inline):
                    inline[entry.field] = entry.table
                    walk(entry.table, entry.field)
                elif info[entry.field].many:
                    many.append((owner, entry.field))

        walk(table, "")
        return inline, many

    # --- decoder ----------------------------------------------------------------------

    def _decoder(self, src: _Source, table: Table, ind: int, var: str, depth: int,
                 owner: str | None) -> None:
        child = f"c{depth}"
        src.emit(ind, f"for {child} in {var}:")
        src.emit(ind + 1, f"t = {child}.tag")
        first = [True]
        self._branches(src, table, ind + 1, child, depth, owner, first)

    def _branches(self, src: _Source, table: Table, ind: int, child: str, depth: int,
                  owner: str | None, first: list[bool]) -> None:
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Inline):
                self._branches(src, entry.table, ind, child, depth, entry.field, first)
                continue
            keyword = "if" if first[0] else "elif"
            first[0] = False
            src.emit(ind, f"{keyword} t == {self._tag(entry.tag)!r}:")
            if isinstance(entry, Group):
                self._decoder(src, entry.table, ind + 1, child, depth + 1, owner)
                continue
            fi = info[entry.field]
            if isinstance(entry, Node):
                sub = plan_for(entry.table, self.ns)
                src.emit(ind + 1, f"v = {src.const(sub)}.decode({child})")
            else:
                src.emit(ind + 1, f"v = {child}.text if not len({child}) else _text({child})")
                src.emit(ind + 1, "if v is None: v = ''")
                if entry.codes is not None:
                    reverse = src.const({v: k for k, v in entry.codes.items()})
                    src.emit(ind + 1, f"w = {reverse}.get(v)")
                    src.emit(ind + 1, f"if w is None: _unknown_code(t, v, {entry.field!r})")
                    src.emit(ind + 1, "v = w")
                if fi.base is not str:
                    src.emit(ind + 1, f"v = {src.const(_PARSERS[fi.base])}(v)")
            if fi.many:
                src.emit(ind + 1, f"m_{owner or ''}_{entry.field}.append(v)")
            elif owner is None:
                src.emit(ind + 1, f"kw[{entry.field!r}] = v")
            else:
                src.emit(ind + 1, f"if i_{owner} is None: i_{owner} = {{}}")
                src.emit(ind + 1, f"i_{owner}[{entry.field!r}] = v")

    # --- encoder ----------------------------------------------------------------------

    def _encoder(self, src: _Source, table: Table, ind: int, obj: str) -> None:
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Group):
                attr = f' {entry.id_attribute}="{entry.tag}"' if entry.id_attribute else ""
                src.emit(ind, f"append({f'<{entry.tag}{attr}>'!r})")
                self._encoder(src, entry.table, ind, obj)
                src.emit(ind, f"append({f'</{entry.tag}>'!r})")
                continue
            if isinstance(entry, Inline):
                var = f"o_{entry.field}"
                src.emit(ind, f"{var} = {obj}.{entry.field}")
                src.emit(ind, f"if {var} is not None:")
                self._encoder(src, entry.table, ind + 1, var)
                continue
            fi = info[entry.field]
            open_, close = f"<{entry.tag}>", f"</{entry.tag}>"
            src.emit(ind, f"v = {obj}.{entry.field}")
            src.emit(ind, "if v is not None:")
            body = ind + 1
            if fi.many:
                src.emit(ind + 1, "for i, v in enumerate(v):")
                body += 1
            where = (f"f'{{path}}{entry.field}[{{i}}]'" if fi.many
                     else f"path + {entry.field!r}")
            if isinstance(entry, Leaf):
                if entry.codes is not None:
                    src.emit(body, f"s = {src.const(entry.codes)}.get(v)")
                    src.emit(body, f"if s is None: _no_spelling(v, {where})")
                else:
                    src.emit(body, f"s = {src.const(_FORMATTERS[fi.base])}(v)")
                src.emit(body, f"append({open_!r} + s + {close!r})")
            else:
                sub = src.const(plan_for(entry.table, self.ns))
                sub_path = (f"f'{{path}}{entry.field}[{{i}}].'" if fi.many
                            else f"path + {entry.field + '.'!r}")
                src.emit(body, f"append({open_!r})")
                src.emit(body, f"{sub}.encode(v, out, {sub_path})")
                src.emit(body, f"append({close!r})")


_PLANS: dict[tuple[int, str], Plan] = {}


def plan_for(table: Table, ns: str) -> Plan:
    """The compiled plan of ``table`` in namespace ``ns`` (compiled once)."""
    key = (id(table), ns)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = Plan(table, ns)
    return plan
