"""The named certificate samples: one function per situation the bridge must carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs

from aswbridge.model import (
    Certificate,
    Exhibition,
    Invoice,
    Message,
    OriginalCo,
    Party,
)
from aswbridge.samples.builder import certificate, co_number, envelope
from aswbridge.samples.criteria import criterion
from aswbridge.samples.goods import CATALOGUE, good
from aswbridge.samples.parties import Trader

__all__ = [
    "back_to_back",
    "cancellation",
    "exhibition",
    "form_ak_id_kr",
    "form_ak_kr_vn",
    "form_d_th_id",
    "form_rcep_kr_th",
    "issued_retroactively",
    "many_items",
    "one_item",
    "replacement",
    "third_country_invoicing",
]


def _cert(message: Message) -> Certificate:
    if not isinstance(message.document, Certificate):
        raise TypeError(f"expected a certificate, got a {message.kind}")
    return message.document


def form_ak_id_kr(items: int = 20) -> Message:
    """Form AK from Indonesia to Korea: a mixed container of foodstuffs (20 items)."""
    name = "form_ak_id_kr" if items == 20 else f"form_ak_id_kr_{items}"
    return certificate("FORM_AK", "ID", "KR", items, name=name, issue_date=date(2026, 10, 5))


def form_ak_kr_vn() -> Message:
    """Form AK from Korea to Viet Nam: car parts and steel to Haiphong."""
    goods = [CATALOGUE["KR"][i] for i in (0, 1, 2, 3, 16)]
    return certificate(
        "FORM_AK",
        "KR",
        "VN",
        len(goods),
        name="form_ak_kr_vn",
        goods=goods,
        issue_date=date(2026, 10, 12),
        ports=("KRPUS", "VNHPH"),
    )


_RCEP_GOODS = (
    good("Isopropyl alcohol (propan-2-ol), purity 99.9% min., in 160 kg steel drums", "2905.12",
         "CTH", 12800, "1.35", "DR", "160"),
    good("High-density polyethylene resin, blow moulding grade, in 25 kg bags", "3901.20",
       "CTH", 49500, "1.16", "BG", "25"),
    good("Polypropylene homopolymer resin, raffia grade, in 25 kg bags", "3902.10", "CTH",
       49500, "1.09", "BG", "25"),
    good("Polypropylene random copolymer resin, in 25 kg bags", "3902.30", "RVC", 24750,
       "1.21", "BG", "25"),
    good("Polyethylene stretch film, 23 micron, 500 mm x 1,500 m rolls", "3920.10", "RVC",
       12000, "1.85", "RO", "16"),
    good("Polyethylene terephthalate chips, bottle grade, IV 0.80 dl/g, in 1,100 kg bags",
       "3907.61", "CTH", 44000, "1.12", "BG", "1100"),
)  # fmt: skip
_RCEP_CRITERIA = (
    ("CR", (), None),
    ("CTC", (), None),
    ("CTC", ("ACU", "DMI"), None),
    ("RVC", (), None),
    ("RVC", ("ACU",), "2.6.6B"),
    ("PE", (), None),
)


def form_rcep_kr_th() -> Message:
    """Form RCEP from Korea to Thailand: a trader exports a petrochemical producer's goods."""
    producer = Party(
        name="Daesung Petrochemical Co., Ltd.",
        country="KR",
        address="112 Yeosusandan-ro, Yeosu-si, Jeollanam-do 59616",
        id="416-81-30582",
    )
    exporter = Trader(
        party=Party(
            name="Seoul Global Trading Corp.",
            country="KR",
            address="24 Teheran-ro 87-gil, Gangnam-gu, Seoul 06164",
            id="211-86-47120",
        ),
        city="Seoul",
        signatory="Jung Hye-won",
    )
    message = certificate(
        "FORM_RCEP",
        "KR",
        "TH",
        len(_RCEP_GOODS),
        name="form_rcep_kr_th",
        goods=_RCEP_GOODS,
        issue_date=date(2026, 10, 19),
        ports=("KRINC", "THLCH"),
        exporter=exporter,
        producer=producer,
    )
    cert = _cert(message)
    items = []
    for item, (code, quals, mark) in zip(cert.items, _RCEP_CRITERIA, strict=True):
        crit = criterion("FORM_RCEP", code, qualifiers=quals, tariff_differential=mark)
        items.append(attrs.evolve(item, origin_criterion=crit))
    return attrs.evolve(message, document=attrs.evolve(cert, items=tuple(items)))


def form_d_th_id() -> Message:
    """ATIGA Form D from Thailand to Indonesia: eight lines of food and industrial goods."""
    return certificate("FORM_D", "TH", "ID", 8, name="form_d_th_id", issue_date=date(2026, 10, 8))


def back_to_back() -> Message:
    """Form AK back-to-back: Singapore re-exports Vietnamese coffee and cashews to Korea."""
    original_date = date(2026, 9, 21)
    original = OriginalCo(
        id=co_number("FORM_AK", "VN", "SG", original_date, "back_to_back:original"),
        date=original_date,
        issuing_country="VN",
        origin_country="VN",
    )
    consignee = Trader(
        party=Party(
            name="Daehan Food Ingredients Co., Ltd.",
            country="KR",
            address="19 Incheon Tower-daero 132beon-gil, Yeonsu-gu, Incheon 21984",
            id="131-86-20417",
        ),
        city="Incheon",
        signatory="Yoon Sung-ho",
    )
    message = certificate(
        "FORM_AK",
        "SG",
        "KR",
        2,
        name="back_to_back",
        goods=CATALOGUE["VN"][:2],
        issue_date=date(2026, 10, 14),
        ports=("SGSIN", "KRINC"),
        consignee=consignee,
        flags=("back_to_back",),
        original_cos=(original,),
        remarks=f"Back-to-back CO issued on the basis of original Form AK No. {original.id} "
        f"issued in Viet Nam on {original_date:%d %B %Y}",
    )
    cert = _cert(message)
    declaration = attrs.evolve(cert.declaration, producing_country="VN")
    return attrs.evolve(message, document=attrs.evolve(cert, declaration=declaration))


_HK_INVOICER = Party(
    name="Pacific Rim Commodities Limited",
    country="HK",
    address="Unit 1503, 15/F, Tower 2, Lippo Centre, 89 Queensway, Admiralty, Hong Kong",
    id="61234567",
)


def third_country_invoicing() -> Message:
    """Form AK from Viet Nam to Korea, invoiced by a trading house in Hong Kong."""
    goods = [CATALOGUE["VN"][i] for i in (0, 8, 4, 1)]
    consignee = Trader(
        party=Party(
            name="Hankook Coffee Roasters Co., Ltd.",
            country="KR",
            address="72 Saemal-ro, Guro-gu, Seoul 08288",
            id="113-81-66904",
        ),
        city="Seoul",
        signatory="Kang Da-eun",
    )
    message = certificate(
        "FORM_AK",
        "VN",
        "KR",
        len(goods),
        name="third_country_invoicing",
        goods=goods,
        issue_date=date(2026, 10, 16),
        ports=("VNSGN", "KRPUS"),
        consignee=consignee,
        flags=("third_country_invoicing",),
        third_party_invoicer=_HK_INVOICER,
        remarks="Third country invoicing: invoice issued by Pacific Rim Commodities Limited, "
        "Hong Kong, China",
    )
    cert = _cert(message)
    invoice = Invoice(number="PRC/INV/26-0917", date=date(2026, 10, 13))
    items = tuple(attrs.evolve(item, invoices=tuple([invoice])) for item in cert.items)
    return attrs.evolve(message, document=attrs.evolve(cert, items=tuple(items)))


def issued_retroactively() -> Message:
    """Form D from Malaysia to Viet Nam issued 13 days after the goods left Port Klang."""
    consignee = Trader(
        party=Party(
            name="Saigon Vegetable Oil Trading Joint Stock Company",
            country="VN",
            address="45 Nguyen Thi Minh Khai Street, Sai Gon Ward, Ho Chi Minh City",
            id="0312458796",
        ),
        city="Ho Chi Minh City",
        signatory="Vo Thanh Tam",
    )
    return certificate(
        "FORM_D",
        "MY",
        "VN",
        3,
        name="issued_retroactively",
        goods=CATALOGUE["MY"][:3],
        issue_date=date(2026, 10, 20),
        departure_date=date(2026, 10, 7),
        consignee=consignee,
        flags=("issued_retroactively",),
        remarks="ISSUED RETROACTIVELY: not issued at the time of exportation owing to an "
        "involuntary error in the exporter's application",
    )


_MACHINES = (
    good("CNC horizontal lathe, model CPM-L450, with Fanuc 0i-TF controller, serial no. 26L0451",
       "8458.11.00", "CTH+RVC", 4800, "28.50", "CS", "4800"),
    good("Vertical machining centre, model CPM-V850, 12,000 rpm spindle, serial no. 26V0852",
       "8457.10.10", "CTH+RVC", 6200, "24.00", "CS", "6200"),
    good("Robotic arc welding cell, model CPM-W6, with positioner, serial no. 26W0061",
       "8515.31.00", "CTH+RVC", 1900, "41.00", "CS", "1900"),
)  # fmt: skip


def exhibition() -> Message:
    """Form AK from Korea to Thailand for machines shown at METALEX 2026 in Bangkok."""
    exporter = Trader(
        party=Party(
            name="Changwon Precision Machinery Co., Ltd.",
            country="KR",
            address="88 Woni-daero 762beon-gil, Seongsan-gu, Changwon-si, Gyeongsangnam-do 51563",
            id="609-81-74215",
        ),
        city="Changwon",
        signatory="Oh Jae-won",
    )
    consignee = Party(
        name="METALEX 2026 - Changwon Precision Machinery Co., Ltd., booth H101",
        country="TH",
        address="Bangkok International Trade & Exhibition Centre (BITEC), 88 Debaratna Road, "
        "Bang Na Tai, Bang Na, Bangkok 10260",
    )
    return certificate(
        "FORM_AK",
        "KR",
        "TH",
        len(_MACHINES),
        name="exhibition",
        goods=_MACHINES,
        issue_date=date(2026, 10, 26),
        ports=("KRPUS", "THBKK"),
        exporter=exporter,
        consignee=consignee,
        flags=("exhibition",),
        exhibition=Exhibition(name="METALEX 2026", place="BITEC, Bangkok, Thailand"),
        remarks="Goods sent for exhibition at METALEX 2026, BITEC Bangkok, "
        "18-21 November 2026, to be sold during or after the exhibition",
    )


def replacement() -> Message:
    """A replacement of :func:`form_ak_kr_vn`: the goods were rolled to a later vessel.

    The new certificate keeps the number and the issue date of the one it replaces and
    states its own issue date; the envelope, sent three days later, refers to the
    original message.
    """
    original = form_ak_kr_vn()
    cert = _cert(original)
    departure = cert.transport.departure_date or cert.issue_date
    transport = attrs.evolve(
        cert.transport,
        vessel="HAIAN BELL V.2610S",
        departure_date=departure + timedelta(days=1),
    )
    document = attrs.evolve(
        cert,
        function="replacement",
        replacement_date=date(2026, 10, 15),
        transport=transport,
        remarks=f"Replaces the certificate of the same number issued on "
        f"{cert.issue_date:%d %B %Y}: vessel and departure date corrected on 15 October 2026",
    )
    env = envelope(
        "replacement",
        sender=cert.issuing_country,
        receiver=cert.importing_country,
        created_at=datetime(2026, 10, 15, 6, 40, tzinfo=UTC),
        correlation_id=original.envelope.message_id,
    )
    return Message(envelope=env, document=document)


def cancellation() -> Message:
    """A cancellation of :func:`form_d_th_id`: the consignment was not shipped."""
    original = form_d_th_id()
    cert = _cert(original)
    document = attrs.evolve(
        cert,
        function="cancellation",
        remarks="Cancelled at the exporter's request: the consignment was not shipped",
    )
    env = envelope(
        "cancellation",
        sender=cert.issuing_country,
        receiver=cert.importing_country,
        created_at=datetime(2026, 10, 9, 3, 5, tzinfo=UTC),
        correlation_id=original.envelope.message_id,
    )
    return Message(envelope=env, document=document)


def one_item() -> Message:
    """Form D from Viet Nam to the Philippines with a single item: a rice shipment."""
    exporter = Trader(
        party=Party(
            name="Mekong Delta Rice Export Company Limited",
            country="VN",
            address="8 Tran Hung Dao Street, Ninh Kieu Ward, Can Tho City",
            id="1800157446",
        ),
        city="Can Tho",
        signatory="Huynh Van Phuc",
    )
    return certificate(
        "FORM_D",
        "VN",
        "PH",
        1,
        name="one_item",
        goods=[CATALOGUE["VN"][9]],
        issue_date=date(2026, 10, 22),
        ports=("VNSGN", "PHMNL"),
        exporter=exporter,
    )


def many_items(n: int = 200) -> Message:
    """Form AK from Korea to Indonesia with 200 items (or ``n``): 20 goods in 10 assortments."""
    consignee = Trader(
        party=Party(
            name="PT Hanindo Niaga Utama",
            country="ID",
            address="Jl. Boulevard Raya Blok QA2 No. 12, Kelapa Gading, Jakarta Utara 14240",
            id="03.245.671.8-043.000",
        ),
        city="Jakarta",
        signatory="Yohanes Kurniawan",
    )
    return certificate(
        "FORM_AK",
        "KR",
        "ID",
        n,
        name="many_items" if n == 200 else f"many_items_{n}",
        issue_date=date(2026, 10, 28),
        consignee=consignee,
    )
