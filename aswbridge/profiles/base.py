"""A profile: one side's message set, described by mapping tables and a schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any, cast

import attrs
from lxml import etree

from aswbridge import _xml
from aswbridge.errors import (
    MAX_PROBLEMS,
    MalformedXml,
    MappingError,
    Problem,
    SchemaError,
    first_problems,
)
from aswbridge.model import KIND_OF, Message
from aswbridge.profiles.engine import Plan, plan_for
from aswbridge.profiles.tables import Group, Inline, Leaf, Node, Table


@attrs.frozen(kw_only=True)
class Profile:
    """One side's message set: tables, namespace, element names and XSD file.

    A message is ``<root><header>envelope</header><body>document</body>[ds:Signature]
    </root>``; the document's table says how the body's content is spelled.
    """

    name: str
    title: str
    namespace: str
    root_tag: str
    header_tag: str
    body_tag: str
    schema: str | Path
    """The XSD: a file name shipped in ``aswbridge/wsdl/``, or a path to the profile's own."""
    envelope: Table
    documents: Mapping[str, Table]
    reference: bool = True

    @cached_property
    def _plans(self) -> tuple[Plan, dict[str, Plan], dict[str, str]]:
        envelope = plan_for(self.envelope, self.namespace)
        docs = {kind: plan_for(t, self.namespace) for kind, t in self.documents.items()}
        first = {}
        for kind, table in self.documents.items():
            entry = table.entries[0]
            tag = entry.tag if isinstance(entry, Group | Node | Leaf) else ""
            first[f"{{{self.namespace}}}{tag}"] = kind
        return envelope, docs, first

    def plan(self, table: Table) -> Plan:
        """The compiled codec of one of this profile's tables."""
        return plan_for(table, self.namespace)

    @property
    def root(self) -> str:
        """The root element's namespaced tag."""
        return f"{{{self.namespace}}}{self.root_tag}"

    def signature_places(
        self,
    ) -> dict[str, tuple[tuple[str, ...], Callable[[etree._Element], etree._Element]]]:
        """Root elements whose root signature does not sit directly under the root: for
        each, the Clark names of the place below the root, and a function making that
        place in a document about to be signed (returning the signature's parent)."""
        return {}

    def signature_parts(self) -> tuple[str, str, str] | None:
        """Where a certificate's signatures sit: (root, content, declaration) tags.

        The content is the certificate's group carrying an ``Id`` (boxes 1-11, which the
        exporter signs); the declaration is the node of the exporter's declaration inside
        it. ``None`` when the tables have no such group.
        """
        table = self.documents.get("certificate")
        for entry in table.entries if table is not None else ():
            if isinstance(entry, Group) and entry.id_attribute:
                for inner in entry.table.entries:
                    if isinstance(inner, Node) and inner.field == "declaration":
                        ns = f"{{{self.namespace}}}"
                        return self.root, ns + entry.tag, ns + inner.tag
        return None

    def detect(self, element: etree._Element) -> bool:
        """Whether ``element`` is a message of this profile."""
        return element.tag == self.root

    # --- schema ---------------------------------------------------------------------

    @property
    def xml_schema(self) -> etree.XMLSchema:
        """The compiled XSD (compiled once per process)."""
        return _xml.load_schema(self.schema)

    def schema_for(self, element: etree._Element) -> str | Path:
        """The XSD that ``element`` must be valid against (as :attr:`schema` is given)."""
        return self.schema

    def validate(self, element: etree._Element) -> None:
        """Raise :class:`SchemaError` unless ``element`` is valid against the XSD."""
        schema = _xml.load_schema(self.schema_for(element))
        if schema.validate(element):
            return
        log = schema.error_log
        problems = first_problems(
            (
                Problem(
                    code="SCHEMA_INVALID",
                    path=self.canonical_path(element, err.path or ""),
                    message=f"line {err.line}: {err.message}",
                )
                for err in islice(cast(Iterable[Any], log), MAX_PROBLEMS)
            ),
            more=max(0, len(cast(Any, log)) - MAX_PROBLEMS),
        )
        raise SchemaError(
            f"not a valid {self.name} message: {problems[0].message}", problems=problems
        )

    def canonical_path(self, root: etree._Element, xpath: str) -> str:
        """The canonical model path of the element at ``xpath``, best effort ("" if none)."""
        try:
            found = root.getroottree().xpath(xpath) if xpath else []
        except etree.XPathError:
            return ""
        if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
            return ""
        chain = [found[0], *found[0].iterancestors()][::-1]  # root first
        if len(chain) < 2:
            return ""
        section = etree.QName(chain[1]).localname
        if section == self.header_tag:
            table: Table | None = self.envelope
            out = ["envelope"]
        elif section == self.body_tag and len(chain) > 2:
            kind = self._plans[2].get(str(chain[2].tag))
            table, out = (self.documents[kind] if kind else None), []
        else:
            return ""
        for node in chain[2:]:
            entry = _find(table, etree.QName(node).localname) if table is not None else None
            if entry is None:
                break
            names, table, many = entry
            out.extend(names)
            if many:
                index = sum(1 for _ in node.itersiblings(node.tag, preceding=True))
                out[-1] += f"[{index}]"
        return ".".join(out)

    # --- codec ------------------------------------------------------------------------

    def decode(self, element: etree._Element) -> Message:
        """Decode a schema-valid message element into a canonical :class:`Message`."""
        envelope_plan, doc_plans, first = self._plans
        header = element.find(f"{{{self.namespace}}}{self.header_tag}")
        body = element.find(f"{{{self.namespace}}}{self.body_tag}")
        if header is None or body is None or len(body) == 0:
            raise MappingError(f"not a {self.name} message: header or body missing")
        kind = first.get(str(body[0].tag))
        if kind is None:
            raise MappingError(f"unknown document element {body[0].tag}")
        envelope = envelope_plan.decode(header)
        return Message(envelope=envelope, document=doc_plans[kind].decode(body))

    def encode_bytes(self, message: Message) -> bytes:
        """Encode a message as UTF-8 XML bytes (not yet validated)."""
        envelope_plan, doc_plans, _ = self._plans
        kind = KIND_OF.get(type(message.document))
        if kind not in doc_plans:
            raise MappingError(f"profile {self.name} has no {kind} message")
        out = [f'<{self.root_tag} xmlns="{self.namespace}"><{self.header_tag}>']
        envelope_plan.encode(message.envelope, out, "envelope.")
        out.append(f"</{self.header_tag}><{self.body_tag}>")
        doc_plans[kind].encode(message.document, out, "")
        out.append(f"</{self.body_tag}></{self.root_tag}>")
        return "".join(out).encode("utf-8")

    def encode(self, message: Message, *, validate: bool = True) -> etree._Element:
        """Encode a message as an element, schema-validated unless ``validate=False``."""
        return self.encode_checked(message, validate=validate)[1]

    def encode_checked(
        self, message: Message, *, validate: bool = True
    ) -> tuple[bytes, etree._Element]:
        """Encode a message; return its bytes and the parsed, schema-validated element."""
        data = self.encode_bytes(message)
        try:
            element = _xml.parse_own(data)
        except MalformedXml as exc:  # e.g. a control character in a text field
            raise MappingError(f"cannot be written as XML: {exc.message}") from None
        if validate:
            try:
                self.validate(element)
            except SchemaError as exc:
                raise MappingError(
                    f"the message cannot be expressed in {self.name}: {exc.message}",
                    path=exc.problems[0].path,
                ) from None
        return data, element


def _find(table: Table, tag: str) -> tuple[list[str], Table | None, bool] | None:
    """Find the entry for ``tag`` in ``table``: (path names, sub-table, is-many)."""
    info = table.fields()
    for entry in table.entries:
        if isinstance(entry, Leaf | Node) and entry.tag == tag:
            sub = entry.table if isinstance(entry, Node) else None
            return [entry.field], sub, info[entry.field].many
        if isinstance(entry, Group) and entry.tag == tag:
            return [], entry.table, False
        if isinstance(entry, Inline):
            found = _find(entry.table, tag)
            if found is not None:
                return [entry.field, *found[0]], found[1], found[2]
    return None
