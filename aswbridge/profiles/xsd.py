"""Write a reference profile's XSD from its mapping tables.

The reference XSDs shipped in ``aswbridge/wsdl/`` are produced by this module (run
``python -m aswbridge.profiles.xsd PROFILE``) and a test checks that they still match
the tables. An official schema, once available, replaces the file and the tables;
it is not generated.
"""

from __future__ import annotations

import sys
from xml.sax.saxutils import quoteattr

from aswbridge.agreements import (
    ALL_CRITERIA,
    ALL_QUALIFIERS,
    HS_EDITIONS_KNOWN,
    TARIFF_DIFFERENTIALS,
)
from aswbridge.profiles.base import Profile
from aswbridge.profiles.tables import (
    Fixed,
    Group,
    Inline,
    Leaf,
    Node,
    Table,
    field_info,
    is_attribute,
)

DS = "http://www.w3.org/2000/09/xmldsig#"
#: The criteria some form allows (:data:`aswbridge.agreements.ALL_CRITERIA`).
CRITERIA = ALL_CRITERIA


def _enumeration(values: tuple[str, ...]) -> str:
    return "".join(f"<xs:enumeration value={quoteattr(v)}/>" for v in values)


#: Simple types shared by the reference profiles: facets keep every value bounded.
SIMPLE_TYPES: dict[str, tuple[str, str]] = {
    "Identifier": (
        "xs:token",
        '<xs:minLength value="1"/><xs:maxLength value="70"/><xs:pattern value="\\S+( \\S+)*"/>',
    ),
    "Name": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="256"/>'),
    "Text70": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="70"/>'),
    "Text512": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="512"/>'),
    "Address": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="512"/>'),
    "Description": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="2048"/>'),
    "Marks": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="1024"/>'),
    "Remarks": ("xs:string", '<xs:minLength value="1"/><xs:maxLength value="2048"/>'),
    "Country": ("xs:string", '<xs:pattern value="[A-Z]{2}"/>'),
    "Currency": ("xs:string", '<xs:pattern value="[A-Z]{3}"/>'),
    "Unit": ("xs:string", '<xs:pattern value="[A-Z0-9]{2,3}"/>'),
    "PackageKind": ("xs:string", '<xs:pattern value="[A-Z0-9]{2}"/>'),
    "TransportMode": ("xs:string", '<xs:pattern value="[0-9]"/>'),
    "Location": ("xs:string", '<xs:pattern value="[A-Z]{2}[A-Z0-9]{3}"/>'),
    "HsCode": ("xs:string", '<xs:pattern value="[0-9]{6}([0-9]{2}([0-9]{2})?)?"/>'),
    "HsEdition": ("xs:string", _enumeration(HS_EDITIONS_KNOWN)),
    # The union of the criteria Forms D, AK and RCEP allow; the rules check per form.
    "Criterion": ("xs:string", _enumeration(CRITERIA)),
    "Qualifier": ("xs:string", _enumeration(ALL_QUALIFIERS)),
    "TariffDifferential": ("xs:string", _enumeration(TARIFF_DIFFERENTIALS)),
    "Percent": (
        "xs:decimal",
        '<xs:minInclusive value="0"/><xs:maxInclusive value="100"/><xs:fractionDigits value="2"/>',
    ),
    "Amount": ("xs:decimal", '<xs:totalDigits value="18"/><xs:fractionDigits value="4"/>'),
    "Count": ("xs:nonNegativeInteger", '<xs:maxInclusive value="99999999"/>'),
    "ItemNumber": ("xs:positiveInteger", '<xs:maxInclusive value="99999"/>'),
    "Date": ("xs:date", '<xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}"/>'),
    "DateTime": ("xs:dateTime", '<xs:pattern value=".+T.+(Z|[+\\-][0-9]{2}:[0-9]{2})"/>'),
    "Uuid": (
        "xs:string",
        '<xs:pattern value="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/>',
    ),
    "Fingerprint": ("xs:string", '<xs:pattern value="[0-9a-f]{64}"/>'),
    "DocumentType": ("xs:string", '<xs:pattern value="[0-9]{1,3}"/>'),
}


class _Writer:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.types: dict[int, str] = {}
        self.complex: list[str] = []
        self.enums: dict[str, list[str]] = {}
        self.used_simple: set[str] = set()

    def type_of(self, table: Table) -> str:
        name = self.types.get(id(table))
        if name is None:
            base = f"{table.cls.__name__}Type"
            name, n = base, 2
            while name in self.types.values():
                name, n = f"{base}{n}", n + 1
            self.types[id(table)] = name
            self.complex.append(self.complex_type(name, table))
        return name

    def particles(self, table: Table) -> list[str]:
        info = field_info(table.cls)
        out: list[str] = []
        for entry in table.entries:
            if isinstance(entry, Inline):
                inner = self.particles(entry.table)
                if info[entry.field].optional:
                    inner = ['<xs:sequence minOccurs="0">', *inner, "</xs:sequence>"]
                out.extend(inner)
                continue
            if isinstance(entry, Group):
                name = self.type_of(entry.table)
                out.append(f'<xs:element name="{entry.tag}" type="{name}"/>')
                continue
            if isinstance(entry, Fixed) or is_attribute(entry) or "/" in entry.tag:
                raise TypeError(
                    f"{entry.tag}: a reference XSD has no constants, paths "
                    "or attributes (they are for official schemas)"
                )
            fi = info[entry.field]
            occurs = ""
            if fi.optional or (fi.many and _has_default(table.cls, entry.field)):
                occurs += ' minOccurs="0"'
            if fi.many:
                occurs += ' maxOccurs="unbounded"'
            kind = self.type_of(entry.table) if isinstance(entry, Node) else self.simple(entry)
            out.append(f'<xs:element name="{entry.tag}" type="{kind}"{occurs}/>')
        return out

    def simple(self, leaf: Leaf) -> str:
        if leaf.codes is not None:
            self.enums[leaf.xsd] = sorted(leaf.codes.values())
        else:
            self.used_simple.add(leaf.xsd)
        return leaf.xsd

    def complex_type(self, name: str, table: Table) -> str:
        parts = self.particles(table)
        group_ids = [e for e in _groups_with_id(self.profile) if e.table is table]
        body = "".join(f"\n      {p}" for p in parts)
        if self._is_declaration(table):
            body += '\n      <xs:element ref="ds:Signature" minOccurs="0"/>'
        attr = ""
        if group_ids:
            attr = f'\n    <xs:attribute name="{group_ids[0].id_attribute}" type="xs:ID"/>'
        return (
            f'  <xs:complexType name="{name}">\n    <xs:sequence>{body}\n    </xs:sequence>'
            f"{attr}\n  </xs:complexType>"
        )

    def _is_declaration(self, table: Table) -> bool:
        return table.cls.__name__ == "Declaration"

    def document(self) -> str:
        p = self.profile
        header = self.type_of(p.envelope)
        choices = []
        for table in p.documents.values():
            parts = self.particles(table)
            choices.append("<xs:sequence>" + "".join(parts) + "</xs:sequence>")
        body_type = (
            f'  <xs:complexType name="{p.body_tag}Type">\n    <xs:choice>\n'
            + "".join(f"      {c}\n" for c in choices)
            + "    </xs:choice>\n  </xs:complexType>"
        )
        simple = [
            f'  <xs:simpleType name="{n}">\n    <xs:restriction base="{SIMPLE_TYPES[n][0]}">'
            f"{SIMPLE_TYPES[n][1]}</xs:restriction>\n  </xs:simpleType>"
            for n in sorted(self.used_simple)
        ]
        enums = [
            f'  <xs:simpleType name="{n}">\n    <xs:restriction base="xs:string">'
            + "".join(f"<xs:enumeration value={quoteattr(v)}/>" for v in values)
            + "</xs:restriction>\n  </xs:simpleType>"
            for n, values in sorted(self.enums.items())
        ]
        root = (
            f'  <xs:element name="{p.root_tag}">\n    <xs:complexType>\n      <xs:sequence>\n'
            f'        <xs:element name="{p.header_tag}" type="{header}"/>\n'
            f'        <xs:element name="{p.body_tag}" type="{p.body_tag}Type"/>\n'
            '        <xs:element ref="ds:Signature" minOccurs="0"/>\n'
            "      </xs:sequence>\n    </xs:complexType>\n  </xs:element>"
        )
        return "\n".join(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                f"<!-- {p.title}.",
                "     A REFERENCE schema written by the aswbridge project from the public form",
                "     content; it is not an official schema. Generated from the profile's mapping",
                f"     tables by `python -m aswbridge.profiles.xsd {p.name}`:"
                " do not edit by hand. -->",
                f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ds="{DS}"',
                f'           xmlns="{p.namespace}" targetNamespace="{p.namespace}"',
                '           elementFormDefault="qualified">',
                f'  <xs:import namespace="{DS}" schemaLocation="xmldsig-core-schema.xsd"/>',
                root,
                body_type,
                *self.complex,
                *simple,
                *enums,
                "</xs:schema>",
                "",
            ]
        )


def _has_default(cls: type, field: str) -> bool:
    import attrs

    return attrs.fields_dict(cls)[field].default is not attrs.NOTHING


def _groups_with_id(profile: Profile) -> list[Group]:
    out: list[Group] = []
    for table in profile.documents.values():
        out.extend(e for e in table.entries if isinstance(e, Group) and e.id_attribute)
    return out


def generate(profile: Profile) -> str:
    """The reference XSD text of ``profile``."""
    return _Writer(profile).document()


def main() -> None:
    """Print the XSD of the profile named on the command line."""
    from aswbridge.profiles import get
    from aswbridge.profiles.standard import StandardProfile

    profile = get(sys.argv[1])
    if isinstance(profile, StandardProfile):
        sys.exit(f"profile {profile.name} is checked by its official schemas; none is generated")
    sys.stdout.write(generate(profile))


if __name__ == "__main__":
    main()
