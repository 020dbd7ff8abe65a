"""The generic certificate builder and the helpers every sample shares.

Everything here is deterministic: message ids are ``uuid5`` of a sample name, dates
are fixed, and quantities vary by a fixed pattern unless a ``seed`` is given.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.model import (
    Certificate,
    Certification,
    Declaration,
    Envelope,
    HsCode,
    Invoice,
    Item,
    Message,
    Money,
    Packages,
    Party,
    Quantity,
    Transport,
)
from aswbridge.samples.goods import Good, catalogue, criterion_for
from aswbridge.samples.parties import PORTS, Trader, endpoint, issuer, trader, vessel

__all__ = [
    "DEFAULT_ISSUE_DATE",
    "HS_EDITION",
    "NAMESPACE",
    "certificate",
    "co_number",
    "envelope",
    "make_items",
    "message_id",
]

#: Namespace of the ``uuid5`` message ids of the samples.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:aswbridge:samples")
#: HS edition of every sample code (AHTN 2022 lines for Forms D and AK).
HS_EDITION = "HS2022"
#: Issue date of a certificate built without one.
DEFAULT_ISSUE_DATE = date(2026, 10, 5)

_FORM_TAG = {"FORM_D": "D", "FORM_AK": "AK", "FORM_RCEP": "RCEP"}
_FACTORS = tuple(Decimal(f) for f in ("1", "0.75", "1.25", "0.5", "1.5", "0.9", "1.1"))
_ENVELOPE_FIELDS = frozenset(attrs.fields_dict(Envelope))
_CERTIFICATE_FIELDS = frozenset(attrs.fields_dict(Certificate))


def message_id(name: str) -> str:
    """The stable message id of the sample called ``name``."""
    return str(uuid.uuid5(NAMESPACE, name))


def _number(name: str, modulo: int) -> int:
    return uuid.uuid5(NAMESPACE, "seq:" + name).int % modulo


def envelope(
    name: str,
    *,
    sender: str,
    receiver: str,
    created_at: datetime,
    document_type: str = "861",
    correlation_id: str | None = None,
) -> Envelope:
    """An envelope from ``sender`` to ``receiver`` (countries) with the id of ``name``."""
    return Envelope(
        message_id=message_id(name),
        sender=endpoint(sender),
        receiver=endpoint(receiver),
        created_at=created_at,
        document_type=document_type,
        correlation_id=correlation_id,
    )


def co_number(
    form: str, issuing_country: str, importing_country: str, issued: date, name: str
) -> str:
    """A CO reference number in the style of the issuing country, stable for ``name``."""
    tag = _FORM_TAG.get(form, form)
    seq = 10000 + _number(name, 90000)
    prefix = issuer(issuing_country).prefix
    if issuing_country == "ID":
        return f"{seq:07d}/{prefix}/{tag}/{issued:%Y}"
    if issuing_country == "VN":
        return f"VN-{importing_country} {issued:%y}/02/{seq:05d}"
    if issuing_country == "KR":
        return f"{issued:%Y}{tag}{seq:07d}"
    return f"{prefix}-{tag}-{issued:%y}-{seq:06d}"


def _marks(consignee_name: str, port: str) -> str:
    words = [w for w in consignee_name.replace(",", " ").split() if w[:1].isupper()]
    initials = "".join(w[0] for w in words[:3] if w.upper() not in ("PT", "CO.", "LTD."))
    return f"{initials or 'NM'}/{port}"


def make_items(
    form: str,
    goods: Sequence[Good],
    count: int,
    *,
    exporter_country: str,
    importing_country: str,
    invoice_date: date,
    consignee_name: str,
    port: str,
    seed: int | None = None,
) -> tuple[Item, ...]:
    """``count`` items for ``form``, cycling through ``goods`` (randomly with a ``seed``).

    Forms D and AK carry the 8-digit AHTN line, RCEP the HS-6 subheading and the RCEP
    country of origin. The FOB value is given on every Form AK item (box 9) and, on the
    other forms, on every item whose criterion uses a regional value content.
    """
    if count < 1:
        raise ConfigurationError("a certificate has at least one item")
    if not goods:
        raise ConfigurationError("no goods to build items from")
    rng = random.Random(seed) if seed is not None else None
    mark = _marks(consignee_name, port)
    items: list[Item] = []
    first_package = 1
    for i in range(count):
        if rng is None:
            good, factor = goods[i % len(goods)], _FACTORS[(3 * i) % len(_FACTORS)]
        else:
            good, factor = rng.choice(goods), Decimal(rng.randint(10, 30)) / 20
        quantity = max((good.quantity * factor).quantize(Decimal(1)), good.per_package)
        n_packages = math.ceil(quantity / good.per_package)
        description = good.description
        if count > len(goods) and (i >= len(goods) or rng is not None):
            description += f", assortment {i // len(goods) + 1} (article {i + 1:03d})"
        crit = criterion_for(good, form)
        with_fob = form == "FORM_AK" or bool({"RVC", "PC"} & set(crit.codes))
        rcep = form == "FORM_RCEP"
        last_package = first_package + n_packages - 1
        items.append(
            Item(
                number=i + 1,
                marks=f"{mark}/C/NO. {first_package}-{last_package}",
                packages=Packages(count=n_packages, kind=good.package),
                description=description,
                hs=HsCode(code=good.hs6 if rcep else good.ahtn, edition=HS_EDITION),
                origin_criterion=crit,
                origin_country=exporter_country if rcep else None,
                quantity=Quantity(value=quantity, unit=good.unit),
                fob_value=Money(
                    amount=(quantity * good.price).quantize(Decimal("0.01")), currency="USD"
                )
                if with_fob
                else None,
                invoices=tuple(
                    [
                        Invoice(
                            number=f"{exporter_country}{invoice_date:%y%m}-{i // 10 + 1:03d}",
                            date=invoice_date,
                        )
                    ]
                ),
            )
        )
        first_package = last_package + 1
    return tuple(items)


def _trader(given: Trader | Party | None, default: Trader) -> Trader:
    if given is None:
        return default
    if isinstance(given, Party):
        return attrs.evolve(default, party=given)
    return given


def certificate(
    form: str = "FORM_AK",
    exporter_country: str = "ID",
    importing_country: str = "KR",
    items: int = 3,
    *,
    name: str | None = None,
    goods: Sequence[Good] | None = None,
    issue_date: date = DEFAULT_ISSUE_DATE,
    departure_date: date | None = None,
    ports: tuple[str, str] | None = None,
    exporter: Trader | Party | None = None,
    consignee: Trader | Party | None = None,
    seed: int | None = None,
    **overrides: Any,
) -> Message:
    """A complete, rule-abiding certificate message from the sample catalogues.

    The exporter, consignee, issuing authority, ports and goods are the samples of the
    two countries; the certificate is issued on ``issue_date``, the goods leave on
    ``departure_date`` (default: the next day) from and to ``ports`` (UN/LOCODEs,
    default: each country's main port), the invoices are dated four days before the
    earlier of the two, and the message goes from the exporting country's system to
    the importing one's. ``exporter`` and ``consignee`` replace the sample traders
    (a :class:`Trader` also gives the declaration's place and signatory). ``name``
    fixes the message id and CO number (default: derived from the arguments).
    ``overrides`` replace fields of the certificate (``flags``, ``remarks``,
    ``producer`` ...) or of the envelope (``correlation_id``, ``created_at`` ...) after
    it is built. Items cycle through the exporting country's catalogue (or ``goods``)
    with quantities varied by a fixed pattern; a ``seed`` picks goods and quantities at
    random instead, reproducibly.
    """
    name = name or f"{form.lower()}_{exporter_country.lower()}_{importing_country.lower()}_{items}"
    unknown = set(overrides) - _ENVELOPE_FIELDS - _CERTIFICATE_FIELDS
    if unknown:
        raise ConfigurationError(f"unknown certificate or envelope fields: {sorted(unknown)}")
    exporter = _trader(exporter, trader(exporter_country))
    consignee = _trader(consignee, trader(importing_country, role="consignee"))
    authority = issuer(exporter_country)
    departure = departure_date or issue_date + timedelta(days=1)
    loading, discharge = ports or (PORTS[exporter_country], PORTS[importing_country])
    built_items = make_items(
        form,
        goods if goods is not None else catalogue(exporter_country),
        items,
        exporter_country=exporter_country,
        importing_country=importing_country,
        invoice_date=min(issue_date, departure) - timedelta(days=4),
        consignee_name=consignee.party.name,
        port=discharge,
        seed=seed,
    )
    document = Certificate(
        form=form,
        function="original",
        id=co_number(form, exporter_country, importing_country, issue_date, name),
        issue_date=issue_date,
        issuing_country=exporter_country,
        importing_country=importing_country,
        issuing_authority=authority.authority,
        exporter=exporter.party,
        consignee=consignee.party,
        producer=exporter.party if form == "FORM_RCEP" else None,
        transport=Transport(
            departure_date=departure,
            mode="1",
            vessel=vessel(exporter_country, importing_country),
            port_of_loading=loading,
            port_of_discharge=discharge,
        ),
        items=tuple(built_items),
        declaration=Declaration(
            place=exporter.city,
            date=issue_date - timedelta(days=1),
            signatory=exporter.signatory,
            producing_country=exporter_country,
        ),
        certification=Certification(
            place=authority.place, date=issue_date, officer=authority.officer
        ),
    )
    created = datetime.combine(issue_date, time(2, 0), tzinfo=UTC) + timedelta(
        minutes=_number(name, 360)
    )
    env = envelope(name, sender=exporter_country, receiver=importing_country, created_at=created)
    doc_changes = {k: v for k, v in overrides.items() if k in _CERTIFICATE_FIELDS}
    env_changes = {k: v for k, v in overrides.items() if k in _ENVELOPE_FIELDS}
    return Message(
        envelope=attrs.evolve(env, **env_changes),
        document=attrs.evolve(document, **doc_changes),
    )
