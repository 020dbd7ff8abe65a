"""Profiles on a standard's own document schemas (UBL), one root element per message kind.

A reference profile wraps every message in ``<root><header/><body/></root>`` of its own
XSD. A standard dialect cannot: each message kind is a document of the standard, with
its own root element, namespace and official schema, and the routing envelope travels
in the standard's extension point. Its tables therefore describe whole messages
(:class:`~aswbridge.model.Message`: ``envelope`` and ``document`` as ``Inline`` entries
placed where the standard puts them); the same engine reads and writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from pathlib import Path

import attrs
from lxml import etree

from aswbridge.errors import MappingError
from aswbridge.model import KIND_OF, Message
from aswbridge.profiles.base import Profile
from aswbridge.profiles.engine import Plan, plan_for
from aswbridge.profiles.tables import Group, Inline, Leaf, Node, Table, is_attribute, steps

__all__ = ["Root", "StandardProfile"]


@attrs.frozen(kw_only=True)
class Root:
    """The document one message kind is written as.

    Attributes:
        tag: the root element's local name.
        namespace: its namespace.
        schema: its official XSD (a file shipped in ``aswbridge/wsdl/``, or a path).
        customization: the text of the ``customization`` element that tells apart
            kinds sharing one root element (``None`` when the root is the kind's own).
    """

    tag: str
    namespace: str
    schema: str
    customization: str | None = None

    @property
    def clark(self) -> str:
        """The root element's namespaced tag."""
        return f"{{{self.namespace}}}{self.tag}"


@attrs.frozen(kw_only=True)
class StandardProfile(Profile):
    """A profile whose messages are a standard's documents (see the module docstring).

    ``documents`` maps each kind to a table of :class:`~aswbridge.model.Message`;
    ``envelope`` is the envelope's table (for the documentation); ``namespace`` is the
    namespace of this project's extension content; ``prefixes`` declares every prefix
    the tables use; ``customization`` is the prefixed tag of the element read to tell
    apart kinds that share a root.
    """

    header_tag: str = ""
    body_tag: str = ""
    prefixes: Mapping[str, str]
    roots: Mapping[str, Root]
    customization: str = ""
    signature_place: tuple[str, ...] = ()
    """Clark names from the root to the parent of the root signature (``()``: root)."""
    make_signature_place: Callable[[etree._Element], etree._Element] | None = None
    """Makes :attr:`signature_place` in a document about to be signed; returns it."""
    convention: str = ""
    """How the profile keeps what the standard has no element for (Markdown, for the
    mapping page); XML paths through its extension contain ``/<prefix>:`` of
    :attr:`namespace`."""

    def plan(self, table: Table) -> Plan:
        """The compiled codec of one of this profile's tables (prefixes resolved)."""
        return plan_for(table, self.namespace, tuple(sorted(self.prefixes.items())))

    @cached_property
    def _message_plans(self) -> dict[str, Plan]:
        return {kind: self.plan(t) for kind, t in self.documents.items()}

    @cached_property
    def _by_root(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for kind, root in self.roots.items():
            found.setdefault(root.clark, []).append(kind)
        return found

    @cached_property
    def _declarations(self) -> str:
        return "".join(f' xmlns:{p}="{ns}"' for p, ns in self.prefixes.items())

    @property
    def root(self) -> str:
        """The certificate's root element's namespaced tag."""
        return self.roots["certificate"].clark

    def signature_places(
        self,
    ) -> dict[str, tuple[tuple[str, ...], Callable[[etree._Element], etree._Element]]]:
        """Every root of this profile signs at :attr:`signature_place`."""
        if self.make_signature_place is None:
            return {}
        return {clark: (self.signature_place, self.make_signature_place) for clark in self._by_root}

    def _clark(self, tag: str) -> str:
        prefix, _, local = tag.partition(":")
        return f"{{{self.prefixes[prefix]}}}{local}"

    def detect(self, element: etree._Element) -> bool:
        """Whether ``element`` is the root of one of this profile's documents."""
        return element.tag in self._by_root

    def schema_for(self, element: etree._Element) -> str | Path:
        """The official schema of ``element``'s document."""
        kinds = self._by_root.get(str(element.tag))
        return self.roots[kinds[0]].schema if kinds else self.schema

    @cached_property
    def _places(self) -> dict[str, tuple[dict[tuple[str, ...], str], dict[str, int]]]:
        out = {}
        for kind, table in self.documents.items():
            places = dict(_places(table, "", ()))
            depth = {where: len(there) for there, where in reversed(list(places.items()))}
            out[kind] = places, depth
        return out

    def canonical_path(self, root: etree._Element, xpath: str) -> str:
        """The canonical path of the element at ``xpath`` (a schema error's place), best
        effort: the deepest field whose XML place holds it ("" if none)."""
        try:  # libxml2 writes the path with the document's prefixes: ours
            found = root.getroottree().xpath(xpath, namespaces=dict(self.prefixes)) if xpath else []
        except etree.XPathError:
            return ""
        if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
            return ""
        chain = [found[0], *found[0].iterancestors()][::-1][1:]  # below the root
        try:
            places, depth = self._places[self.kind_of(root)]
        except MappingError:
            return ""
        prefix_of = {ns: p for p, ns in self.prefixes.items()}
        names = tuple(
            f"{prefix_of.get(etree.QName(e).namespace or '', '?')}:{etree.QName(e).localname}"
            for e in chain
        )
        where = next(
            (places[names[:n]] for n in range(len(names), 0, -1) if names[:n] in places), ""
        )
        parts = where.split("[]")
        out = []
        for k, part in enumerate(parts[:-1]):  # each repeated field: the element's position
            element = chain[depth["[]".join(parts[: k + 1]) + "[]"] - 1]
            position = sum(1 for _ in element.itersiblings(element.tag, preceding=True))
            out.append(f"{part}[{position}]")
        return "".join([*out, parts[-1]])

    def kind_of(self, element: etree._Element) -> str:
        """The message kind of a document of this profile.

        Raises:
            MappingError: the root is not one of this profile's, or its customization
                identifier names none of the kinds sharing that root.
        """
        kinds = self._by_root.get(str(element.tag), [])
        if len(kinds) == 1:
            return kinds[0]
        local = self.customization.partition(":")[2]
        text = (element.findtext(self._clark(self.customization)) or "").strip()
        for kind in kinds:
            if self.roots[kind].customization == text:
                return kind
        if not kinds:
            raise MappingError(f"not a {self.name} document: {element.tag}")
        raise MappingError(
            f"{local} {text!r} names no {self.name} message kind", path="envelope.document_type"
        )

    def decode(self, element: etree._Element) -> Message:
        """Decode a schema-valid document into a canonical :class:`Message`."""
        message = self._message_plans[self.kind_of(element)].decode(element)
        assert isinstance(message, Message)
        return message

    def encode_bytes(self, message: Message) -> bytes:
        """Encode a message as its standard document, UTF-8 (not yet validated)."""
        kind = KIND_OF.get(type(message.document))
        plan = self._message_plans.get(kind or "")
        if kind is None or plan is None:
            raise MappingError(f"profile {self.name} has no {kind} message")
        root = self.roots[kind]
        out = [f'<{root.tag} xmlns="{root.namespace}"{self._declarations}>']
        plan.encode(message, out, "")
        out.append(f"</{root.tag}>")
        return "".join(out).encode("utf-8")


def _places(table: Table, path: str, xml: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(XML tags below the root, canonical path) of every field ``table`` reads."""
    info = table.fields()
    for entry in table.entries:
        if isinstance(entry, Group):
            yield from _places(entry.table, path, (*xml, entry.tag))
        elif isinstance(entry, Inline):
            top = table.cls is Message and entry.field == "document"
            yield from _places(entry.table, "" if top else f"{path}{entry.field}.", xml)
        elif isinstance(entry, Leaf | Node) and not entry.derived and not is_attribute(entry):
            where = f"{path}{entry.field}{'[]' if info[entry.field].many else ''}"
            there = (*xml, *steps(entry.tag))
            yield there, where
            if isinstance(entry, Node):
                yield from _places(entry.table, f"{where}.", there)
