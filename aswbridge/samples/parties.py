"""Who is who in the samples: systems, authorities, traders, ports and vessels.

The traders are invented (any likeness to a real company is unintended); authorities,
systems, ports (UN/LOCODE) and places are the real ones of each country.
"""

from __future__ import annotations

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.model import Authority, Endpoint, Party

__all__ = [
    "AUTHORITIES",
    "CONSIGNEES",
    "CUSTOMS",
    "EXPORTERS",
    "PORTS",
    "SYSTEMS",
    "VESSELS",
    "Issuer",
    "Trader",
    "endpoint",
    "issuer",
    "trader",
    "vessel",
]

#: The system speaking for each country in the exchange (its NSW, or Korea's UNI-PASS).
SYSTEMS: dict[str, str] = {
    "BN": "BN-BDNSW",
    "ID": "ID-INSW",
    "KH": "KH-CNSW",
    "KR": "KR-UNIPASS",
    "LA": "LA-LNSW",
    "MM": "MM-MNSW",
    "MY": "MY-NSW",
    "PH": "PH-NSW",
    "SG": "SG-TRADENET",
    "TH": "TH-NSW",
    "VN": "VN-VNSW",
}


def endpoint(country: str) -> Endpoint:
    """The exchange endpoint of ``country`` (its NSW, or UNI-PASS for KR)."""
    try:
        return Endpoint(country=country, system=SYSTEMS[country])
    except KeyError:
        raise ConfigurationError(f"no sample system for country {country!r}") from None


@attrs.frozen(kw_only=True)
class Issuer:
    """An issuing authority with the office and officer that certify (box 12)."""

    authority: Authority
    place: str
    officer: str
    prefix: str  # start of its CO reference numbers


#: Issuing authorities of certificates of origin, by exporting country.
AUTHORITIES: dict[str, Issuer] = {
    "ID": Issuer(
        authority=Authority(
            name="Ministry of Trade of the Republic of Indonesia", country="ID", id="KEMENDAG"
        ),
        place="Jakarta",
        officer="Rina Wulandari",
        prefix="JKT",
    ),
    "KR": Issuer(
        authority=Authority(name="Korea Customs Service", country="KR", id="KCS"),
        place="Busan",
        officer="Kim Min-jun",
        prefix="KCS",
    ),
    "TH": Issuer(
        authority=Authority(
            name="Department of Foreign Trade, Ministry of Commerce", country="TH", id="DFT"
        ),
        place="Nonthaburi",
        officer="Somchai Rattanakul",
        prefix="DFT",
    ),
    "VN": Issuer(
        authority=Authority(name="Ministry of Industry and Trade", country="VN", id="MOIT"),
        place="Ho Chi Minh City",
        officer="Nguyen Thi Lan",
        prefix="VN",
    ),
    "MY": Issuer(
        authority=Authority(
            name="Ministry of Investment, Trade and Industry", country="MY", id="MITI"
        ),
        place="Kuala Lumpur",
        officer="Nurul Aina binti Hassan",
        prefix="KL",
    ),
    "SG": Issuer(
        authority=Authority(name="Singapore Customs", country="SG", id="SC"),
        place="Singapore",
        officer="Tan Wei Ming",
        prefix="SG",
    ),
    "PH": Issuer(
        authority=Authority(name="Bureau of Customs", country="PH", id="BOC"),
        place="Manila",
        officer="Maria Santos",
        prefix="MNL",
    ),
}

#: Importing customs administrations (box 4 decisions, verification requests).
CUSTOMS: dict[str, Issuer] = {
    "ID": Issuer(
        authority=Authority(
            name="Directorate General of Customs and Excise, Ministry of Finance",
            country="ID",
            id="DJBC",
        ),
        place="Tanjung Priok",
        officer="Agus Setiawan",
        prefix="DJBC",
    ),
    "KR": Issuer(
        authority=Authority(name="Korea Customs Service", country="KR", id="KCS"),
        place="Busan",
        officer="Lee Seo-yeon",
        prefix="KCS",
    ),
    "TH": Issuer(
        authority=Authority(name="Thai Customs Department", country="TH", id="TCD"),
        place="Laem Chabang",
        officer="Niran Chaiyaporn",
        prefix="TCD",
    ),
    "VN": Issuer(
        authority=Authority(name="Vietnam Customs", country="VN", id="VNC"),
        place="Hai Phong",
        officer="Tran Van Hung",
        prefix="VNC",
    ),
    "MY": Issuer(
        authority=Authority(name="Royal Malaysian Customs Department", country="MY", id="RMCD"),
        place="Port Klang",
        officer="Ahmad Faizal bin Rahman",
        prefix="RMCD",
    ),
    "SG": Issuer(
        authority=Authority(name="Singapore Customs", country="SG", id="SC"),
        place="Singapore",
        officer="Lim Hui Min",
        prefix="SC",
    ),
    "PH": Issuer(
        authority=Authority(name="Bureau of Customs", country="PH", id="BOC"),
        place="Manila",
        officer="Jose Reyes",
        prefix="BOC",
    ),
}


def issuer(country: str, *, customs: bool = False) -> Issuer:
    """The sample issuing authority (or, with ``customs``, importing customs) of a country."""
    table = CUSTOMS if customs else AUTHORITIES
    try:
        return table[country]
    except KeyError:
        raise ConfigurationError(f"no sample authority for country {country!r}") from None


@attrs.frozen(kw_only=True)
class Trader:
    """A trader with the city it declares from and the person who signs for it."""

    party: Party
    city: str
    signatory: str


def _t(country: str, name: str, address: str, tax_id: str, city: str, signatory: str) -> Trader:
    party = Party(name=name, country=country, address=address, id=tax_id)
    return Trader(party=party, city=city, signatory=signatory)


#: Default exporters (box 1) by country.
EXPORTERS: dict[str, Trader] = {
    "ID": _t(
        "ID",
        "PT Nusantara Boga Ekspor",
        "Jl. Raya Cakung Cilincing Km. 3 No. 18, Cakung, Jakarta Timur 13910",
        "01.372.458.6-043.000",
        "Jakarta",
        "Budi Santoso",
    ),
    "KR": _t(
        "KR",
        "Hanbit Industrial Co., Ltd.",
        "45 Noksansandan 261-ro, Gangseo-gu, Busan 46752",
        "606-81-23457",
        "Busan",
        "Park Ji-hoon",
    ),
    "TH": _t(
        "TH",
        "Siam Eastern Agro-Industry Co., Ltd.",
        "99/9 Moo 4, Sukhumvit Road, Thung Sukhla, Si Racha, Chon Buri 20230",
        "0205548012345",
        "Chon Buri",
        "Wanida Srisuk",
    ),
    "VN": _t(
        "VN",
        "Tay Nguyen Coffee Joint Stock Company",
        "268 Nguyen Tat Thanh Street, Tan Loi Ward, Buon Ma Thuot City, Dak Lak Province",
        "6000451289",
        "Buon Ma Thuot",
        "Le Quang Minh",
    ),
    "MY": _t(
        "MY",
        "Klang Valley Oleochemicals Sdn. Bhd.",
        "Lot 12, Jalan Perigi Nanas 6/1, Pulau Indah Industrial Park, 42920 Port Klang, Selangor",
        "199701012345",
        "Port Klang",
        "Lim Chee Keong",
    ),
    "SG": _t(
        "SG",
        "Lion City Commodities Pte. Ltd.",
        "10 Anson Road, #22-02 International Plaza, Singapore 079903",
        "201512345K",
        "Singapore",
        "Rajesh Kumar",
    ),
    "PH": _t(
        "PH",
        "Mindanao Fresh Produce Corporation",
        "Km. 9, Lanang, Davao City 8000",
        "004-567-890-000",
        "Davao City",
        "Antonio dela Cruz",
    ),
}

#: Default consignees (box 2) by importing country.
CONSIGNEES: dict[str, Trader] = {
    "ID": _t(
        "ID",
        "PT Indo Pangan Sejahtera",
        "Jl. Pluit Raya No. 88, Penjaringan, Jakarta Utara 14440",
        "02.117.864.2-047.000",
        "Jakarta",
        "Hendra Wijaya",
    ),
    "KR": _t(
        "KR",
        "Busan Asia Foods Co., Ltd.",
        "31 Jungang-daero 180beon-gil, Dong-gu, Busan 48822",
        "601-81-55213",
        "Busan",
        "Choi Eun-ji",
    ),
    "TH": _t(
        "TH",
        "Bangkok Polymer Products Co., Ltd.",
        "1 Moo 2, Bangna-Trad Road Km. 23, Bang Sao Thong, Samut Prakan 10570",
        "0115551002468",
        "Samut Prakan",
        "Kittipong Boonmee",
    ),
    "VN": _t(
        "VN",
        "Hoàng Long Auto Parts Company Limited",
        "Lot B2, Dinh Vu Industrial Zone, Dong Hai 2 Ward, Hai An District, Hai Phong City",
        "0201784532",
        "Hai Phong",
        "Pham Duc Anh",
    ),
    "MY": _t(
        "MY",
        "Selangor Food Distributors Sdn. Bhd.",
        "No. 7, Jalan Kapar, Kawasan Perindustrian Meru, 41050 Klang, Selangor",
        "200301023456",
        "Klang",
        "Tan Mei Ling",
    ),
    "SG": _t(
        "SG",
        "Straits Trading Supplies Pte. Ltd.",
        "21 Pioneer Road North, #04-10, Singapore 628460",
        "200812345W",
        "Singapore",
        "Goh Boon Huat",
    ),
    "PH": _t(
        "PH",
        "Luzon Grains Trading Corporation",
        "Pier 4, North Harbor, Tondo, Manila 1012",
        "008-123-456-000",
        "Manila",
        "Ramon Bautista",
    ),
}


def trader(country: str, *, role: str = "exporter") -> Trader:
    """The default sample exporter or consignee (``role="consignee"``) of a country."""
    table = CONSIGNEES if role == "consignee" else EXPORTERS
    try:
        return table[country]
    except KeyError:
        raise ConfigurationError(f"no sample {role} for country {country!r}") from None


#: Main sea port (UN/LOCODE) of each country, and a vessel calling there.
PORTS: dict[str, str] = {
    "ID": "IDJKT",
    "KR": "KRPUS",
    "TH": "THLCH",
    "VN": "VNSGN",
    "MY": "MYPKG",
    "SG": "SGSIN",
    "PH": "PHMNL",
}

#: Vessel and voyage by (port of loading country, port of discharge country).
VESSELS: dict[tuple[str, str], str] = {
    ("ID", "KR"): "SINAR BUSAN V.2614N",
    ("KR", "ID"): "KMTC JAKARTA V.2611S",
    ("KR", "VN"): "HAIAN EAST V.2609S",
    ("KR", "TH"): "KMTC BANGKOK V.2612S",
    ("TH", "ID"): "WAN HAI 287 V.S215",
    ("VN", "KR"): "SITC PUSAN V.2610N",
    ("VN", "PH"): "ASIAN STAR V.M118",
    ("MY", "VN"): "MCC KLANG V.2607N",
    ("SG", "KR"): "ONE SINGAPORE EXPRESS V.072E",
}


def vessel(loading: str, discharge: str) -> str:
    """A plausible vessel and voyage number for a sea route between two countries."""
    return VESSELS.get((loading, discharge), f"ASEAN TRADER V.26{loading}{discharge}")
