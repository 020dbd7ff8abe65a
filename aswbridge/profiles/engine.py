"""The table-driven codec: XML element ⇄ model object, for any profile's tables.

Each table is compiled once into two small Python functions (as attrs does for
``__init__``): a decoder that makes a single pass over an element's children, and
an encoder that builds escaped XML text. The profile re-parses and schema-validates
what the encoder wrote, so a bug here cannot produce an invalid message unnoticed.

Text is read as the concatenation of every text node of a leaf element, never just
``.text``: a comment inside a value (``8471<!---->30``) must not truncate it.

The generated source is kept (``Plan.decoder_source``, ``Plan.encoder_source``; all of a
profile's with ``python -m aswbridge.profiles.show NAME``) and registered with
:mod:`linecache`, so a traceback through generated code shows the line that failed.
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any

import attrs
from lxml import etree

from aswbridge.errors import MappingError
from aswbridge.profiles.tables import Group, Inline, Leaf, Node, Table

if TYPE_CHECKING:
    from aswbridge.profiles.base import Profile


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
            "_unknown_code": _unknown_code, "_escape": _escape, "_Decimal": Decimal,
        }

    def const(self, value: Any) -> str:
        name = f"_k{len(self.env)}"
        self.env[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def function(self, name: str, label: str) -> Any:
        """Compile the source under a file name that tracebacks and ``inspect`` can show."""
        text = "\n".join(self.lines) + "\n"
        filename = f"<aswbridge {label} #{next(_SERIAL)}>"
        # registered like a file, so a traceback through generated code shows its lines
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), self.env)
        self.text = text
        return self.env[name]


class Plan:
    """A compiled table: ``decode(element)`` and ``encode(obj, out, path)``."""

    def __init__(self, table: Table, ns: str) -> None:
        self.ns = ns
        enc = _Source()
        enc.emit(0, "def encode(obj, out, path=''):")
        enc.emit(1, "append = out.append")
        self._encoder(enc, table, 1, "obj")
        self.encode: Callable[[Any, list[str], str], None] = enc.function(
            "encode", f"encoder {table.cls.__name__}")
        self.encoder_source = enc.text
        """Append the XML text of an object's fields (not its own element) to ``out``."""
        dec = _Source()
        dec.env["_MISSING"] = _MISSING
        dec.env["_new"] = object.__new__
        dec.emit(0, "def decode(element):")
        dec.emit(1, "try:")
        result = _DecoderWriter(dec, ns).object(table, 2, "element", "o_", 0)
        dec.emit(2, f"return {result}")
        dec.emit(1, "except (TypeError, ValueError, ArithmeticError) as exc:")
        dec.emit(2, f"raise MappingError(f'cannot build {table.cls.__name__}: {{exc}}') from None")
        dec.env["MappingError"] = MappingError
        self.decode: Callable[[etree._Element], Any] = dec.function(
            "decode", f"decoder {table.cls.__name__}")
        self.decoder_source = dec.text
        """Build the model object from an element holding the table's children."""

    # --- encoder ----------------------------------------------------------------------

    def _encoder(self, src: _Source, table: Table, ind: int, obj: str,
                 where: str = "{path}", depth: int = 0) -> None:
        """Emit the code appending ``obj``'s fields; ``where`` is the f-string body of
        the canonical path prefix, evaluated only to report a value with no spelling.

        Nested objects are written inline: a call and a path string per item saved.
        """
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Group):
                attr = f' {entry.id_attribute}="{entry.tag}"' if entry.id_attribute else ""
                src.emit(ind, f"append({f'<{entry.tag}{attr}>'!r})")
                self._encoder(src, entry.table, ind, obj, where, depth)
                src.emit(ind, f"append({f'</{entry.tag}>'!r})")
                continue
            if isinstance(entry, Inline):
                var = f"o{depth}_{entry.field}"
                src.emit(ind, f"{var} = {obj}.{entry.field}")
                src.emit(ind, f"if {var} is not None:")
                self._encoder(src, entry.table, ind + 1, var, where, depth)
                continue
            fi = info[entry.field]
            open_, close = f"<{entry.tag}>", f"</{entry.tag}>"
            src.emit(ind, f"v = {obj}.{entry.field}")
            src.emit(ind, "if v is not None:")
            body = ind + 1
            index = f"i{depth}"
            item = f"o{depth}_{entry.field}"
            here = f"{where}{entry.field}[{{{index}}}]" if fi.many else f"{where}{entry.field}"
            if isinstance(entry, Leaf):
                if fi.many:
                    src.emit(ind + 1, f"for {index}, v in enumerate(v):")
                    body += 1
                if entry.codes is not None:
                    src.emit(body, f"s = {src.const(entry.codes)}.get(v)")
                    src.emit(body, f"if s is None: _no_spelling(v, f{here!r})")
                elif fi.base is str:  # _escape inline: most texts need no escaping
                    src.emit(body, "s = _escape(v) if ('&' in v or '<' in v or '>' in v "
                                   "or '\\r' in v) else v")
                elif fi.base is Decimal:  # str() is format(v, 'f') unless it has an exponent
                    fmt = src.const(_FORMATTERS[Decimal])
                    src.emit(body, f"s = str(v) if type(v) is _Decimal else {fmt}(v)")
                    src.emit(body, f"if 'E' in s or 'e' in s: s = {fmt}(v)")
                else:
                    src.emit(body, f"s = {src.const(_FORMATTERS[fi.base])}(v)")
                src.emit(body, f"append({open_!r} + s + {close!r})")
                continue
            if fi.many:
                src.emit(ind + 1, f"for {index}, {item} in enumerate(v):")
                body += 1
            else:
                src.emit(body, f"{item} = v")
            src.emit(body, f"append({open_!r})")
            self._encoder(src, entry.table, body, item, here + ".", depth + 1)
            src.emit(body, f"append({close!r})")


_MISSING = object()
_SERIAL = itertools.count(1)
#: attrs >= 24.1 wraps converters that take the instance or field in ``attrs.Converter``.
_CONVERTER: Any = getattr(attrs, "Converter", ())


def _slot_setters(
    cls: type[Any], args: dict[str, str]
) -> list[tuple[str, Callable[[Any, Any], None], Callable[[Any], Any] | None]] | None:
    """How to fill a new ``cls`` slot by slot exactly as its attrs ``__init__`` would.

    That ``__init__`` stores every field, in field order, through ``object.__setattr__``
    after its converter; storing through each slot's descriptor does the same in half
    the time. Returns (field, slot setter, converter) in field order, or ``None`` when
    the shortcut would not be exact: a class that is not a slotted attrs class with its
    generated ``__init__``, a validator, a pre- or post-init hook, a field left out of
    ``__init__`` or of ``args``, or a converter that needs more than the value.
    """
    if not attrs.has(cls) or "__slots__" not in cls.__dict__:
        return None
    if "__attrs_init__" in cls.__dict__:  # init=False: the class brings its own __init__
        return None
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return None
    fields = attrs.fields(cls)
    if {f.name for f in fields} != set(args) or len(fields) != len(args):
        return None
    out: list[tuple[str, Callable[[Any, Any], None], Callable[[Any], Any] | None]] = []
    for f in fields:
        converter = f.converter
        if f.validator is not None or not f.init or f.alias != f.name:
            return None
        if converter is not None and (
            isinstance(converter, _CONVERTER) or not callable(converter)
        ):
            return None
        slot = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if not isinstance(slot, MemberDescriptorType):
            return None
        out.append((f.name, slot.__set__, converter))
    return out


class _DecoderWriter:
    """Writes one decoder function: nested objects are decoded inline, into locals.

    Every field of an object gets a local initialised to its default (or a marker if
    it is required); one pass over the children sets them; the object is built at the
    end, slot by slot where that is exactly what its attrs ``__init__`` does (see
    :func:`_slot_setters`), else with keyword arguments. Required fields still missing
    raise MappingError.
    """

    def __init__(self, src: _Source, ns: str) -> None:
        self.src = src
        self.ns = ns

    def object(self, table: Table, ind: int, var: str, prefix: str, depth: int) -> str:
        """Emit code decoding ``var`` with ``table``; return the local holding the object."""
        src = self.src
        owned = self._fields(table)  # owner ("" = the object itself) -> {field: info}
        for owner, fields in owned.items():
            for name, fi in fields.items():
                initial = self._initial(table, owner, name, fi)
                src.emit(ind, f"{self._var(prefix, owner, name)} = {initial}")
            if owner:
                src.emit(ind, f"{prefix}{owner}__seen = False")
        self._loop(table, ind, var, prefix, depth, owner="")
        args: dict[str, str] = {}
        for owner, fields in owned.items():
            if owner:
                sub = self._inline_table(table, owner)
                src.emit(ind, f"if {prefix}{owner}__seen:")
                self._build(sub.cls, fields, ind + 1, prefix, owner, f"{prefix}{owner}")
                src.emit(ind, "else:")
                src.emit(ind + 1, f"{prefix}{owner} = None")
                args[owner] = f"{prefix}{owner}"
            else:
                for name in fields:
                    args[name] = self._var(prefix, "", name)
        result = f"{prefix}obj"
        missing = [self._var(prefix, "", n) for n, fi in owned.get("", {}).items()
                   if self._required(table.cls, n, fi)]
        for name in missing:
            src.emit(ind, f"if {name} is _MISSING: raise TypeError('missing {name[len(prefix):]}')")
        self._construct(ind, result, table.cls, args)
        return result

    def _build(self, cls: type[Any], fields: dict[str, Any], ind: int, prefix: str,
               owner: str, target: str) -> None:
        for name, fi in fields.items():
            if self._required(cls, name, fi):
                var = self._var(prefix, owner, name)
                self.src.emit(ind, f"if {var} is _MISSING: raise TypeError('missing {name}')")
        self._construct(ind, target, cls, {n: self._var(prefix, owner, n) for n in fields})

    def _construct(self, ind: int, target: str, cls: type[Any], args: dict[str, str]) -> None:
        """Emit ``target = cls(**args)``, or its equivalent slot by slot where exact."""
        src = self.src
        setters = _slot_setters(cls, args)
        if setters is None:
            call = ", ".join(f"{name}={var}" for name, var in args.items())
            src.emit(ind, f"{target} = {src.const(cls)}({call})")
            return
        src.emit(ind, f"{target} = _new({src.const(cls)})")
        for name, setter, converter in setters:
            value = args[name] if converter is None else f"{src.const(converter)}({args[name]})"
            src.emit(ind, f"{src.const(setter)}({target}, {value})")

    @staticmethod
    def _var(prefix: str, owner: str, name: str) -> str:
        return f"{prefix}{owner}__{name}" if owner else f"{prefix}{name}"

    @staticmethod
    def _required(cls: type[Any], name: str, fi: Any) -> bool:
        return not fi.many and attrs.fields_dict(cls)[name].default is attrs.NOTHING

    def _initial(self, table: Table, owner: str, name: str, fi: Any) -> str:
        if fi.many:
            return "[]"
        cls = self._inline_table(table, owner).cls if owner else table.cls
        default = attrs.fields_dict(cls)[name].default
        if default is attrs.NOTHING:
            return "_MISSING"
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{cls.__name__}.{name}: factory defaults are not supported")
        return self.src.const(default)

    def _fields(self, table: Table) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {"": {}}

        def walk(t: Table, owner: str) -> None:
            info = t.fields()
            for entry in t.entries:
                if isinstance(entry, Group):
                    walk(entry.table, owner)
                elif isinstance(entry, Inline):
                    out.setdefault(entry.field, {})
                    walk(entry.table, entry.field)
                else:
                    out.setdefault(owner, {})[entry.field] = info[entry.field]

        walk(table, "")
        return out

    @staticmethod
    def _inline_table(table: Table, owner: str) -> Table:
        for entry in table.entries:
            if isinstance(entry, Inline) and entry.field == owner:
                return entry.table
            if isinstance(entry, Group):
                try:
                    return _DecoderWriter._inline_table(entry.table, owner)
                except KeyError:
                    continue
        raise KeyError(owner)

    def _loop(self, table: Table, ind: int, var: str, prefix: str, depth: int,
              owner: str) -> None:
        child = f"c{depth}"
        # ``element[:]`` is the list lxml builds in C (elements, comments, processing
        # instructions, entity references: the nodes iteration yields); it is ~10 % of a
        # decode cheaper than the child iterator, which sets up a tag matcher.
        self.src.emit(ind, f"for {child} in {var}[:]:")
        self.src.emit(ind + 1, "t = " + child + ".tag")
        self._branches(table, ind + 1, child, prefix, depth, owner, [True])

    def _branches(self, table: Table, ind: int, child: str, prefix: str, depth: int,
                  owner: str, first: list[bool]) -> None:
        src = self.src
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Inline):
                self._branches(entry.table, ind, child, prefix, depth, entry.field, first)
                continue
            keyword = "if" if first[0] else "elif"
            first[0] = False
            src.emit(ind, f"{keyword} t == {f'{{{self.ns}}}{entry.tag}'!r}:")
            if isinstance(entry, Group):
                self._loop(entry.table, ind + 1, child, prefix, depth + 1, owner)
                continue
            fi = info[entry.field]
            if isinstance(entry, Node):
                value = self.object(entry.table, ind + 1, child,
                                    f"{prefix}{entry.field}_", depth + 1)
            else:
                value = "v"
                text = f"_text({child}) if len({child}) else ({child}.text or '')"
                if entry.codes is None and fi.base is str:
                    value = text  # stored directly, no temporary
                else:
                    src.emit(ind + 1, f"v = {text}")
                if entry.codes is not None:
                    reverse = src.const({v: k for k, v in entry.codes.items()})
                    src.emit(ind + 1, f"v = {reverse}[v] if v in {reverse} "
                                      f"else _unknown_code(t, v, {entry.field!r})")
                if fi.base is not str:
                    src.emit(ind + 1, f"v = {src.const(_PARSERS[fi.base])}(v)")
            target = self._var(prefix, owner, entry.field)
            if fi.many:
                src.emit(ind + 1, f"{target}.append({value})")
            else:
                src.emit(ind + 1, f"{target} = {value}")
            if owner:
                src.emit(ind + 1, f"{prefix}{owner}__seen = True")


_PLANS: dict[tuple[int, str], Plan] = {}


def plan_for(table: Table, ns: str) -> Plan:
    """The compiled plan of ``table`` in namespace ``ns`` (compiled once)."""
    key = (id(table), ns)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = Plan(table, ns)
    return plan


def generated_source(profile: Profile) -> str:
    """The Python source the codec generated for every table of ``profile``."""
    tables = [("envelope", profile.envelope), *profile.documents.items()]
    parts = []
    for name, table in tables:
        plan = plan_for(table, profile.namespace)
        parts.append(f"# --- {profile.name}: {name} ({table.cls.__name__}) ---\n")
        parts += [plan.decoder_source, "\n", plan.encoder_source, "\n"]
    return "".join(parts)

