"""An NSW's ``asw`` profile on its own (official) schema, replacing the shipped reference one.

aswbridge ships a *reference* ``asw`` profile: the official ATIGA e-Form message
implementation guideline is not public. An NSW that holds the official schema does not
fork aswbridge. It publishes a profile named ``asw`` from a package of its own, holding
the official XSD files and tables written to them; installed, that profile replaces the
shipped one in the library, the command line and the relay.

This example stands in for such a package. ``asw-official.xsd`` plays the official
schema: here it is generated from the tables below (an NSW copies the official files
instead, unmodified, and names the root one in ``schema=``). The tables reuse the
reference ones where they fit and spell what differs: the namespace, the root
element and the message header.
"""

from __future__ import annotations

from pathlib import Path

from aswbridge import model as m
from aswbridge.profiles import Profile, asw
from aswbridge.profiles.tables import Leaf, Node, Table

NAMESPACE = "urn:example:asean:eform:official:1"

PARTY = Table(
    m.Endpoint,
    [
        Leaf("country", "CountryCode", "Country"),
        Leaf("system", "GatewayID", "Identifier"),
    ],
)
HEADER = Table(
    m.Envelope,
    [
        Leaf("message_id", "MessageIdentifier", "Uuid"),
        Leaf("correlation_id", "ReferenceMessageIdentifier", "Uuid"),
        Leaf("document_type", "DocumentType", "DocumentType", doc="UNTDID 1001"),
        Node("sender", "From", PARTY),
        Node("receiver", "To", PARTY),
        Leaf("created_at", "Timestamp", "DateTime"),
        Node("original_signer", "OriginalSigner", asw.SIGNER),
    ],
)

PROFILE = Profile(
    name="asw",
    title="ASEAN Single Window e-CO (an NSW's official schema, example)",
    namespace=NAMESPACE,
    root_tag="ASWMessage",
    header_tag="Header",
    body_tag="Payload",
    schema=Path(__file__).with_name("asw-official.xsd"),
    envelope=HEADER,
    documents=asw.PROFILE.documents,
)
