"""Routing: which side a verified message goes to, and whether it may come from where it did.

A bridge serves one country's own system (the **local** side) and any number of
**partners**, each speaking for one country. The rule, applied to the verified message
only:

* a message from the local side goes to the partner of its receiver's country;
* a message from a partner goes to the local side, and must be addressed to the local
  country (a bridge carries between its country and its partners, never between two
  partners);
* a message must come from the side of its sender's country, and a certificate from the
  side of its issuing country: a partner's system speaks for that partner only;
* anything else is refused at its source: ``NO_ROUTE`` (no side for the receiver) or
  ``SENDER_NOT_PARTNER`` (the sender or the issuer is not the side's country).

A side with no country (a two-party relay configured without one) stands for any country
no other side claims, as the two-party relay always did.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from aswbridge.errors import NoRoute, RouteRefused, SenderNotPartner
from aswbridge.model import Certificate, Message
from aswbridge.transport.base import Side

__all__ = ["Link", "NoRoute", "RouteRefused", "SenderNotPartner", "route"]


@attrs.frozen(kw_only=True)
class Link:
    """One side of a bridge as the relay routes to it.

    Attributes:
        name: the side's name in the store and the logs (``nsw``/``unipass`` for a
            two-party relay, ``local`` and the partners' country codes for a mesh).
        side: the transport.
        country: the country this side speaks for (None: any country no other side
            claims).
        profile: the profile it speaks.
        local: True for the bridge's own country's system.
        pull: whether this bridge pulls from it (False: it only delivers to it, another
            bridge carries that direction).
        enabled: False holds its deliveries in the queue and stops pulling from it.
        built_from: what the side was built from (the factory compares it on a reload
            to keep an unchanged side's transport).
    """

    name: str
    side: Side = attrs.field(eq=False, repr=False)
    country: str | None
    profile: str
    local: bool = False
    pull: bool = True
    enabled: bool = True
    built_from: object = attrs.field(default=None, eq=False, repr=False)


def route(links: Mapping[str, Link], source: str, message: Message) -> Link:
    """The link ``message``, verified and received from ``source``, is delivered to.

    Raises:
        SenderNotPartner: the sender or the certificate's issuing country is not the
            source's country.
        NoRoute: no link on the other side of the bridge serves the receiver's country.
    """
    origin = links[source]
    envelope = message.envelope
    sender, receiver = envelope.sender.country, envelope.receiver.country
    document = message.document
    issuer = document.issuing_country if isinstance(document, Certificate) else sender
    if origin.country is not None and (sender, issuer) != (origin.country, origin.country):
        raise SenderNotPartner(
            f"{message.kind} {envelope.message_id} from sender {sender} (issued in {issuer})"
            f" came from {origin.name}, which speaks for {origin.country}",
            verified=message,
        )
    others = [link for link in links.values() if link.local != origin.local]
    exact = [link for link in others if link.country == receiver]
    chosen = exact or [link for link in others if link.country is None]
    if not chosen:
        served = ", ".join(sorted(link.country or "any" for link in others)) or "none"
        raise NoRoute(
            f"{message.kind} {envelope.message_id} is for {receiver}: no side serves it"
            f" from {origin.name} (served: {served})",
            verified=message,
        )
    return chosen[0]
