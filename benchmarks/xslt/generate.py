"""Generate an XSLT 1.0 stylesheet translating one profile into another, from their tables.

The stylesheet is what an integrator would write by hand to rename one message set into
the other: it walks the *target* profile's tables in schema order and, for each entry,
pulls the same model field from where the *source* profile's tables put it. Both
structural differences are handled:

* a :class:`Group` (ASW's ``CertificateOfOrigin`` holding boxes 1–11) adds an element
  around fields of the same object, on either side;
* an :class:`Inline` (UNI-PASS writes sender, packages, HS, criterion, quantity and FOB
  straight into their parent) removes one, on either side;

and code spellings are rewritten through the two code tables (source spelling →
canonical code → target spelling), an unknown spelling stopping the transformation.

It checks no business rule and builds no model: it is the yardstick the translation
benchmark measures ``aswbridge.translate`` against. Because it is derived from the
tables it stays correct when they change; the benchmark's correctness gate (schema-valid
output, equal after exclusive C14N to ``aswbridge.translate``) guards it.

Usage: ``python benchmarks/xslt/generate.py asw unipass > asw-to-unipass.xsl``
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from xml.sax.saxutils import quoteattr

from aswbridge import profiles
from aswbridge.profiles import Profile
from aswbridge.profiles.tables import Entry, Group, Inline, Leaf, Node, Table

__all__ = ["stylesheet"]

_XSL = "http://www.w3.org/1999/XSL/Transform"


def stylesheet(source: str, target: str) -> bytes:
    """The XSLT 1.0 stylesheet translating profile ``source`` into profile ``target``."""
    src, tgt = profiles.get(source), profiles.get(target)
    return _Writer(src, tgt).render().encode("utf-8")


class _Writer:
    def __init__(self, src: Profile, tgt: Profile) -> None:
        self.src, self.tgt = src, tgt
        self.lines: list[str] = []

    def out(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def render(self) -> str:
        src, tgt = self.src, self.tgt
        self.out(0, '<?xml version="1.0" encoding="UTF-8"?>')
        self.out(
            0,
            f"<!-- {src.name} -> {tgt.name}: generated from the profiles' mapping tables"
            " by benchmarks/xslt/generate.py; do not edit. -->",
        )
        self.out(
            0,
            f'<xsl:stylesheet version="1.0" xmlns:xsl="{_XSL}"'
            f" xmlns:s={quoteattr(src.namespace)} xmlns={quoteattr(tgt.namespace)}"
            ' exclude-result-prefixes="s">',
        )
        self.out(1, '<xsl:output method="xml" encoding="UTF-8"/>')
        self.out(1, '<xsl:template match="/">')
        self.out(2, f'<xsl:for-each select="s:{src.root_tag}">')
        self.out(3, f"<{tgt.root_tag}>")
        self.out(4, f"<{tgt.header_tag}>")
        self.out(5, f'<xsl:for-each select="s:{src.header_tag}">')
        self.emit(tgt.envelope, src.envelope, 6)
        self.out(5, "</xsl:for-each>")
        self.out(4, f"</{tgt.header_tag}>")
        self.out(4, f"<{tgt.body_tag}>")
        self.out(5, f'<xsl:for-each select="s:{src.body_tag}">')
        self.out(6, "<xsl:choose>")
        for kind, table in tgt.documents.items():
            source_table = src.documents.get(kind)
            if source_table is None:
                continue
            first = source_table.entries[0]
            if isinstance(first, Inline):
                raise TypeError(f"{src.name} {kind}: a document cannot start with an inline")
            self.out(7, f'<xsl:when test="*[1][self::s:{first.tag}]">')
            self.emit(table, source_table, 8)
            self.out(7, "</xsl:when>")
        self.out(7, "<xsl:otherwise>")
        self.out(8, '<xsl:message terminate="yes">unknown document element</xsl:message>')
        self.out(7, "</xsl:otherwise>")
        self.out(6, "</xsl:choose>")
        self.out(5, "</xsl:for-each>")
        self.out(4, f"</{tgt.body_tag}>")
        self.out(3, f"</{tgt.root_tag}>")
        self.out(2, "</xsl:for-each>")
        self.out(1, "</xsl:template>")
        self.out(0, "</xsl:stylesheet>")
        return "\n".join(self.lines) + "\n"

    def emit(self, tgt: Table, src: Table, depth: int) -> None:
        """Write ``tgt``'s entries; the context node holds ``src``'s entries."""
        for entry in tgt.entries:
            if isinstance(entry, Group):
                attr = f" {entry.id_attribute}={quoteattr(entry.tag)}" if entry.id_attribute else ""
                self.out(depth, f"<{entry.tag}{attr}>")
                self.emit(entry.table, src, depth + 1)
                self.out(depth, f"</{entry.tag}>")
                continue
            found = _locate(src, entry.field)
            if found is None:  # the source profile does not carry this field
                continue
            prefix, there = found
            if isinstance(entry, Leaf):
                if not isinstance(there, Leaf):
                    raise TypeError(f"{entry.field}: a leaf in one profile, not in the other")
                self.out(depth, f'<xsl:for-each select="{prefix}s:{there.tag}">')
                self.out(depth + 1, f"<{entry.tag}>")
                self.value(there.codes, entry.codes, depth + 2)
                self.out(depth + 1, f"</{entry.tag}>")
                self.out(depth, "</xsl:for-each>")
                continue
            if isinstance(there, Leaf):
                raise TypeError(f"{entry.field}: a leaf in one profile, an object in the other")
            open_, close = (
                (f"<{entry.tag}>", f"</{entry.tag}>") if isinstance(entry, Node) else ("", "")
            )
            if isinstance(there, Node):
                self.out(depth, f'<xsl:for-each select="{prefix}s:{there.tag}">')
            else:  # the source writes the object's fields into the context element
                self.out(depth, f'<xsl:for-each select="{prefix.rstrip("/") or "."}">')
                test = " or ".join(f"s:{tag}" for tag in _tags(there.table))
                self.out(depth, f'<xsl:if test="{test}">')
            if open_:
                self.out(depth + 1, open_)
            self.emit(entry.table, there.table, depth + 2)
            if close:
                self.out(depth + 1, close)
            if isinstance(there, Inline):
                self.out(depth, "</xsl:if>")
            self.out(depth, "</xsl:for-each>")

    def value(
        self, src_codes: Mapping[str, str] | None, tgt_codes: Mapping[str, str] | None, depth: int
    ) -> None:
        """The context element's text, spelled through the two code tables."""
        if src_codes is None and tgt_codes is None:
            self.out(depth, '<xsl:value-of select="."/>')
            return
        self.out(depth, "<xsl:choose>")
        canonical = list(tgt_codes or src_codes or {})
        for code in canonical:
            spelled_in = src_codes.get(code) if src_codes is not None else code
            spelled_out = tgt_codes.get(code) if tgt_codes is not None else code
            if spelled_in is None or spelled_out is None:
                continue
            if "'" in spelled_in:
                raise ValueError(f"code spelling {spelled_in!r} cannot be an XPath literal")
            self.out(
                depth + 1, f"<xsl:when test=\".='{spelled_in}'\">{_text(spelled_out)}</xsl:when>"
            )
        self.out(
            depth + 1,
            '<xsl:otherwise><xsl:message terminate="yes">no spelling for '
            '<xsl:value-of select="."/></xsl:message></xsl:otherwise>',
        )
        self.out(depth, "</xsl:choose>")


def _locate(table: Table, field: str) -> tuple[str, Entry] | None:
    """Where ``table`` keeps ``field``: the path of group elements and the entry."""
    for entry in table.entries:
        if isinstance(entry, Group):
            found = _locate(entry.table, field)
            if found is not None:
                return f"s:{entry.tag}/{found[0]}", found[1]
        elif entry.field == field:
            return "", entry
    return None


def _tags(table: Table) -> list[str]:
    """The element names an inlined object may leave in its parent."""
    tags: list[str] = []
    for entry in table.entries:
        if isinstance(entry, Leaf | Node | Group):
            tags.append(entry.tag)
        else:
            tags.extend(_tags(entry.table))
    return tags


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: generate.py SOURCE_PROFILE TARGET_PROFILE")
    sys.stdout.buffer.write(stylesheet(sys.argv[1], sys.argv[2]))
