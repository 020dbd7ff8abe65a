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

from aswbridge._lexical import xml_decimal
from aswbridge.errors import LimitExceeded, MappingError
from aswbridge.profiles.tables import (
    Fixed,
    Group,
    Inline,
    Leaf,
    Node,
    Table,
    is_attribute,
    steps,
)

if TYPE_CHECKING:
    from aswbridge.profiles.base import Profile


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_PARSERS: dict[type[Any], Callable[[str], Any]] = {
    int: int,
    Decimal: xml_decimal,
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


def _escape_attribute(text: str) -> str:
    text = _escape(text)
    for char, ref in (('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;")):
        if char in text:
            text = text.replace(char, ref)
    return text


def _wrap(tag: str) -> tuple[str, str]:
    """The opening and closing tags of a tag path (``a/b`` → ``<a><b>``, ``</b></a>``)."""
    names = steps(tag)
    return "".join(f"<{n}>" for n in names), "".join(f"</{n}>" for n in reversed(names))


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
            "_text": _text,
            "_build": _build,
            "_no_spelling": _no_spelling,
            "_unknown_code": _unknown_code,
            "_escape": _escape,
            "_Decimal": Decimal,
            "_attr": _escape_attribute,
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
    """A compiled table: ``decode(element)`` and ``encode(obj, out, path)``.

    ``prefixes`` maps the prefixes used in the table's tags to namespaces (the encoder
    writes the prefixed names as they are: the caller declares them on the root).
    """

    def __init__(self, table: Table, ns: str, prefixes: tuple[tuple[str, str], ...] = ()) -> None:
        self.ns = ns
        self.prefixes = prefixes
        enc = _Source()
        enc.emit(0, "def encode(obj, out, path=''):")
        enc.emit(1, "append = out.append")
        self._encoder(enc, table, 1, "obj")
        self.encode: Callable[[Any, list[str], str], None] = enc.function(
            "encode", f"encoder {table.cls.__name__}"
        )
        self.encoder_source = enc.text
        """Append the XML text of an object's fields (not its own element) to ``out``."""
        dec = _Source()
        dec.env["_MISSING"] = _MISSING
        dec.env["_new"] = object.__new__
        dec.emit(0, "def decode(element):")
        dec.emit(1, "try:")
        result = _DecoderWriter(dec, ns, dict(prefixes)).object(table, 2, "element", "o_", 0)
        dec.emit(2, f"return {result}")
        dec.emit(1, "except LimitExceeded:")  # a cap keeps its own code
        dec.emit(2, "raise")
        dec.emit(1, "except (TypeError, ValueError, ArithmeticError) as exc:")
        dec.emit(2, f"raise MappingError(f'cannot build {table.cls.__name__}: {{exc}}') from None")
        dec.env["MappingError"] = MappingError
        dec.env["LimitExceeded"] = LimitExceeded
        self.decode: Callable[[etree._Element], Any] = dec.function(
            "decode", f"decoder {table.cls.__name__}"
        )
        self.decoder_source = dec.text
        """Build the model object from an element holding the table's children."""

    # --- encoder ----------------------------------------------------------------------

    def _encoder(
        self, src: _Source, table: Table, ind: int, obj: str, where: str = "{path}", depth: int = 0
    ) -> None:
        """Emit the code appending ``obj``'s fields; ``where`` is the f-string body of
        the canonical path prefix, evaluated only to report a value with no spelling.

        Nested objects are written inline: a call and a path string per item saved.
        """
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Fixed):
                open_, close = _wrap(entry.tag)
                src.emit(ind, f"append({open_ + _escape(entry.value) + close!r})")
                continue
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
                lines = len(src.lines)
                self._encoder(src, entry.table, ind + 1, var, where, depth)
                if len(src.lines) == lines:  # nothing of this object is written here
                    src.emit(ind + 1, "pass")
                continue
            if is_attribute(entry) and entry.tag != ".":
                continue  # written into the element's start tag by the parent
            fi = info[entry.field]
            open_, close = _wrap(entry.tag) if entry.tag != "." else ("", "")
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
                _spell(src, body, entry, fi.base, here)
                src.emit(body, f"append({open_!r} + s + {close!r})" if open_ else "append(s)")
                continue
            if fi.many:
                src.emit(ind + 1, f"for {index}, {item} in enumerate(v):")
                body += 1
            else:
                src.emit(body, f"{item} = v")
            attributes = [
                e
                for e in entry.table.entries
                if isinstance(e, Leaf) and is_attribute(e) and e.tag != "."
            ]
            if attributes:
                src.emit(body, f"append({open_[:-1]!r})")
                sub_info = entry.table.fields()
                for attribute in attributes:
                    if sub_info[attribute.field].many:
                        raise TypeError(f"{attribute.tag}: an attribute holds one value")
                    src.emit(body, f"v = {item}.{attribute.field}")
                    src.emit(body, "if v is not None:")
                    _spell(
                        src,
                        body + 1,
                        attribute,
                        sub_info[attribute.field].base,
                        f"{here}.{attribute.field}",
                    )
                    start = f' {attribute.tag[1:]}="'
                    src.emit(body + 1, f"append({start!r} + _attr(s) + '\"')")
                src.emit(body, "append('>')")
            else:
                src.emit(body, f"append({open_!r})")
            self._encoder(src, entry.table, body, item, here + ".", depth + 1)
            src.emit(body, f"append({close!r})")


def _spell(src: _Source, ind: int, entry: Leaf, base: type[Any], here: str) -> None:
    """Emit the code setting ``s`` to the XML text of the value ``v`` of ``entry``."""
    if entry.codes is not None:
        src.emit(ind, f"s = {src.const(entry.codes)}.get(v)")
        src.emit(ind, f"if s is None: _no_spelling(v, f{here!r})")
    elif base is str:  # _escape inline: most texts need no escaping
        src.emit(ind, "s = _escape(v) if ('&' in v or '<' in v or '>' in v or '\\r' in v) else v")
    elif base is Decimal:  # str() is format(v, 'f') unless it has an exponent
        fmt = src.const(_FORMATTERS[Decimal])
        src.emit(ind, f"s = str(v) if type(v) is _Decimal else {fmt}(v)")
        src.emit(ind, f"if 'E' in s or 'e' in s: s = {fmt}(v)")
    elif base is datetime and entry.xsd == "Date":  # a timestamp written as its day
        src.emit(ind, f"s = {src.const(_FORMATTERS[datetime])}(v)[:10]")
    else:
        src.emit(ind, f"s = {src.const(_FORMATTERS[base])}(v)")


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
        if converter is not None and (isinstance(converter, _CONVERTER) or not callable(converter)):
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
    raise MappingError. Inline objects (possibly split over several places, possibly
    nested) are "owners" named by their dotted field path; each is built, innermost
    first, when any of its values was seen.
    """

    def __init__(self, src: _Source, ns: str, prefixes: dict[str, str]) -> None:
        self.src = src
        self.ns = ns
        self.prefixes = prefixes

    def qname(self, tag: str) -> str:
        """The Clark name of a table tag (``name`` or ``prefix:name``)."""
        prefix, _, local = tag.rpartition(":")
        if not prefix:
            return f"{{{self.ns}}}{local}"
        if prefix not in self.prefixes:
            raise TypeError(f"{tag}: prefix {prefix!r} is not declared")
        return f"{{{self.prefixes[prefix]}}}{local}"

    def object(self, table: Table, ind: int, var: str, prefix: str, depth: int) -> str:
        """Emit code decoding ``var`` with ``table``; return the local holding the object."""
        src = self.src
        owned, classes = self._fields(table)  # owner path ("" = the object) -> fields
        for owner, fields in owned.items():
            for name, fi in fields.items():
                initial = self._initial(classes[owner], name, fi)
                src.emit(ind, f"{self._var(prefix, owner, name)} = {initial}")
            if owner:
                src.emit(ind, f"{self._owner(prefix, owner)}__seen = False")
        self._attributes(table, ind, var, prefix)
        self._loop(table, ind, var, prefix, depth, owner="")

        def args_of(owner: str) -> dict[str, str]:
            args = {name: self._var(prefix, owner, name) for name in owned[owner]}
            for inner in owned:
                parent, _, name = inner.rpartition(".")
                if inner and parent == owner:
                    args[name] = self._owner(prefix, inner)
            return args

        for owner in sorted((o for o in owned if o), key=lambda o: -o.count(".")):
            target = self._owner(prefix, owner)
            src.emit(ind, f"if {target}__seen:")
            self._build(
                classes[owner], owned[owner], ind + 1, prefix, owner, target, args_of(owner)
            )
            src.emit(ind, "else:")
            src.emit(ind + 1, f"{target} = None")
        result = f"{prefix}obj"
        missing = [
            self._var(prefix, "", n)
            for n, fi in owned[""].items()
            if self._required(table.cls, n, fi)
        ]
        for name in missing:
            src.emit(
                ind, f"if {name} is _MISSING: raise TypeError('missing {name[len(prefix) :]}')"
            )
        self._construct(ind, result, table.cls, args_of(""))
        return result

    def _build(
        self,
        cls: type[Any],
        fields: dict[str, Any],
        ind: int,
        prefix: str,
        owner: str,
        target: str,
        args: dict[str, str],
    ) -> None:
        for name, fi in fields.items():
            if self._required(cls, name, fi):
                var = self._var(prefix, owner, name)
                self.src.emit(
                    ind, f"if {var} is _MISSING: raise TypeError('missing {owner}.{name}')"
                )
        self._construct(ind, target, cls, args)

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
    def _owner(prefix: str, owner: str) -> str:
        return f"{prefix}{owner.replace('.', '__')}"

    @classmethod
    def _var(cls, prefix: str, owner: str, name: str) -> str:
        return f"{cls._owner(prefix, owner)}__{name}" if owner else f"{prefix}{name}"

    @staticmethod
    def _required(cls: type[Any], name: str, fi: Any) -> bool:
        return not fi.many and attrs.fields_dict(cls)[name].default is attrs.NOTHING

    def _initial(self, cls: type[Any], name: str, fi: Any) -> str:
        if fi.many:
            return "[]"
        default = attrs.fields_dict(cls)[name].default
        if default is attrs.NOTHING:
            return "_MISSING"
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{cls.__name__}.{name}: factory defaults are not supported")
        return self.src.const(default)

    @staticmethod
    def _fields(table: Table) -> tuple[dict[str, dict[str, Any]], dict[str, type[Any]]]:
        out: dict[str, dict[str, Any]] = {"": {}}
        classes: dict[str, type[Any]] = {"": table.cls}

        def walk(t: Table, owner: str) -> None:
            info = t.fields()
            for entry in t.entries:
                if isinstance(entry, Group):
                    walk(entry.table, owner)
                elif isinstance(entry, Inline):
                    inner = f"{owner}.{entry.field}" if owner else entry.field
                    out.setdefault(inner, {})
                    classes.setdefault(inner, entry.table.cls)
                    walk(entry.table, inner)
                elif isinstance(entry, Leaf | Node) and not entry.derived:
                    out[owner][entry.field] = info[entry.field]

        walk(table, "")
        return out, classes

    def _loop(self, table: Table, ind: int, var: str, prefix: str, depth: int, owner: str) -> None:
        child = f"c{depth}"
        # ``element[:]`` is the list lxml builds in C (elements, comments, processing
        # instructions, entity references: the nodes iteration yields); it is ~10 % of a
        # decode cheaper than the child iterator, which sets up a tag matcher.
        self.src.emit(ind, f"for {child} in {var}[:]:")
        self.src.emit(ind + 1, "t = " + child + ".tag")
        self._branches(table, ind + 1, child, prefix, depth, owner, set())

    def _attributes(self, table: Table, ind: int, var: str, prefix: str) -> None:
        """Emit the code reading the leaves of ``table`` kept in ``var``'s attributes/text."""
        info = table.fields()
        for entry in table.entries:
            if not isinstance(entry, Leaf) or not is_attribute(entry) or entry.derived:
                continue
            self.src.emit(ind, f"t = {var}.tag")
            if entry.tag == ".":
                self.src.emit(ind, f"v = _text({var}) if len({var}) else ({var}.text or '')")
                self._value(entry, info[entry.field], ind, prefix, "", "v")
            else:
                self.src.emit(ind, f"v = {var}.get({entry.tag[1:]!r})")
                self.src.emit(ind, "if v is not None:")
                self._value(entry, info[entry.field], ind + 1, prefix, "", "v")

    def _value(self, entry: Leaf, fi: Any, ind: int, prefix: str, owner: str, value: str) -> None:
        """Emit the code converting the text ``value`` of a leaf and storing it."""
        src = self.src
        base = fi.base
        if entry.codes is not None or base is not str:
            if value != "v":
                src.emit(ind, f"v = {value}")
            value = "v"
        if entry.codes is not None:
            reverse = src.const({v: k for k, v in entry.codes.items()})
            src.emit(
                ind, f"v = {reverse}[v] if v in {reverse} else _unknown_code(t, v, {entry.field!r})"
            )
        if base is not str:
            src.emit(ind, f"v = {src.const(_PARSERS[base])}(v)")
        self._store(entry, fi, ind, prefix, owner, value)

    def _store(
        self, entry: Leaf | Node, fi: Any, ind: int, prefix: str, owner: str, value: str
    ) -> None:
        src = self.src
        target = self._var(prefix, owner, entry.field)
        if fi.many:
            src.emit(ind, f"{target}.append({value})")
        else:
            src.emit(ind, f"{target} = {value}")
        path = owner.split(".") if owner else []
        for i in range(len(path), 0, -1):
            src.emit(ind, f"{self._owner(prefix, '.'.join(path[:i]))}__seen = True")

    def _branches(
        self,
        table: Table,
        ind: int,
        child: str,
        prefix: str,
        depth: int,
        owner: str,
        seen: set[str],
    ) -> None:
        src = self.src
        info = table.fields()
        for entry in table.entries:
            if isinstance(entry, Inline):
                inner = f"{owner}.{entry.field}" if owner else entry.field
                self._branches(entry.table, ind, child, prefix, depth, inner, seen)
                continue
            if (
                isinstance(entry, Fixed)
                or is_attribute(entry)
                or (isinstance(entry, Leaf | Node) and entry.derived)
            ):
                continue
            assert isinstance(entry, Leaf | Node | Group)
            first, *rest = steps(entry.tag)
            tag = self.qname(first)
            if tag in seen:
                raise TypeError(f"{table.cls.__name__}: two entries read <{first}> here")
            src.emit(ind, f"{'elif' if seen else 'if'} t == {tag!r}:")
            seen.add(tag)
            if isinstance(entry, Group):
                self._loop(entry.table, ind + 1, child, prefix, depth + 1, owner)
                continue
            body, node = ind + 1, child
            if rest:  # a path: descend to its last element, if all of them are there
                node = f"x{depth}"
                src.emit(body, f"{node} = {child}")
                for step in rest:
                    src.emit(
                        body, f"if {node} is not None: {node} = {node}.find({self.qname(step)!r})"
                    )
                src.emit(body, f"if {node} is not None:")
                body += 1
            if isinstance(entry, Node):
                value = self.object(entry.table, body, node, f"{prefix}{entry.field}_", depth + 1)
                self._store(entry, info[entry.field], body, prefix, owner, value)
                continue
            fi = info[entry.field]
            text = f"_text({node}) if len({node}) else ({node}.text or '')"
            if entry.codes is None and fi.base is str:
                self._store(entry, fi, body, prefix, owner, text)  # stored directly
            else:
                self._value(entry, fi, body, prefix, owner, text)


_PLANS: dict[tuple[int, str, tuple[tuple[str, str], ...]], Plan] = {}


def plan_for(table: Table, ns: str, prefixes: tuple[tuple[str, str], ...] = ()) -> Plan:
    """The compiled plan of ``table`` in namespace ``ns`` (compiled once)."""
    key = (id(table), ns, prefixes)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = Plan(table, ns, prefixes)
    return plan


def generated_source(profile: Profile) -> str:
    """The Python source the codec generated for every table of ``profile``."""
    tables = [("envelope", profile.envelope), *profile.documents.items()]
    parts = []
    for name, table in tables:
        plan = profile.plan(table)
        parts.append(f"# --- {profile.name}: {name} ({table.cls.__name__}) ---\n")
        parts += [plan.decoder_source, "\n", plan.encoder_source, "\n"]
    return "".join(parts)
