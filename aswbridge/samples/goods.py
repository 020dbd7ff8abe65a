"""Catalogues of goods each sample exporting country plausibly ships.

Every HS code is a real HS 2022 subheading; the two digits after it make the 8-digit
AHTN tariff line printed in box 7 of Forms D and AK. ``basis`` is how the good
qualifies, independent of the form (``WO``, ``RVC``, ``CTH``, ``CTSH``, ``CTH+RVC``,
``SP``); :func:`criterion_for` turns it into the criterion each form prints.
Quantities are gross weights in kilograms unless ``unit`` says otherwise; ``price``
is the FOB price in US dollars per unit of quantity.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.model import OriginCriterion
from aswbridge.samples.criteria import criterion

__all__ = ["CATALOGUE", "Good", "catalogue", "criterion_for", "good"]


@attrs.frozen(kw_only=True)
class Good:
    """One kind of goods: description, HS, how it qualifies, typical quantity and price."""

    description: str
    hs6: str
    national: str
    basis: str
    quantity: Decimal
    price: Decimal
    package: str
    per_package: Decimal
    unit: str = "KGM"
    rvc: int = 40

    @property
    def ahtn(self) -> str:
        """The 8-digit AHTN tariff line (box 7 of Forms D and AK)."""
        return self.hs6 + self.national


def good(
    description: str,
    hs: str,
    basis: str,
    quantity: int,
    price: str,
    package: str,
    per_package: str,
    *,
    unit: str = "KGM",
    rvc: int = 40,
) -> Good:
    """A :class:`Good`; ``hs`` is the HS-6 or 8-digit AHTN code, dots allowed."""
    hs6, national = hs.replace(".", "")[:6], hs.replace(".", "")[6:]
    return Good(
        description=description,
        hs6=hs6,
        national=national,
        basis=basis,
        quantity=Decimal(quantity),
        price=Decimal(price),
        package=package,
        per_package=Decimal(per_package),
        unit=unit,
        rvc=rvc,
    )


# Form D / Form AK / RCEP criterion code for each basis.
_BY_FORM: dict[str, dict[str, str]] = {
    "FORM_D": {"WO": "WO", "RVC": "RVC", "CTH": "CTH", "CTSH": "CTSH", "CTH+RVC": "CTH+RVC",
               "CTSH+RVC": "CTSH+RVC", "SP": "SP"},
    "FORM_AK": {"WO": "WO", "RVC": "RVC", "CTH": "CTH", "CTSH": "CTC", "CTH+RVC": "CTH+RVC",
                "CTSH+RVC": "RVC", "SP": "SP"},
    "FORM_RCEP": {"WO": "WO", "RVC": "RVC", "CTH": "CTC", "CTSH": "CTC", "CTH+RVC": "RVC",
                  "CTSH+RVC": "RVC", "SP": "CTC"},
}  # fmt: skip


def criterion_for(good: Good, form: str) -> OriginCriterion:
    """The origin criterion ``form`` prints for ``good``."""
    try:
        code = _BY_FORM[form][good.basis]
    except KeyError:
        raise ConfigurationError(f"no {form} criterion for basis {good.basis!r}") from None
    if "RVC" in code and form != "FORM_RCEP":
        return criterion(form, code, good.rvc)
    return criterion(form, code)


CATALOGUE: dict[str, tuple[Good, ...]] = {
    # A food exporter consolidating a mixed container for Asian grocery importers.
    "ID": (
        good("Instant fried noodles, chicken flavour, 85 g x 40 packs per carton, brand NUSA RASA",
           "1902.30.20", "RVC", 4200, "2.10", "CT", "4.2"),
        good("Green coffee beans, Robusta, grade 1, not roasted, in 60 kg jute bags",
           "0901.11.90", "WO", 19200, "4.60", "BG", "60"),
        good("Sweet biscuits, chocolate cream-filled, 130 g packs, brand NUSA RASA",
           "1905.31.20", "RVC", 3600, "2.80", "CT", "6"),
        good("Cocoa powder, natural, unsweetened, in 25 kg bags",
           "1805.00.00", "CTH", 5000, "5.20", "BG", "25"),
        good("Cocoa butter, deodorised, in 25 kg cartons",
           "1804.00.00", "CTH", 4000, "9.50", "CT", "25"),
        good("Skipjack tuna in vegetable oil, 185 g x 48 cans per carton",
           "1604.14.11", "CTH", 6000, "5.40", "CT", "10"),
        good("Sweet soy sauce (kecap manis), 600 ml x 12 bottles per carton",
           "2103.10.00", "RVC", 5400, "1.90", "CT", "9"),
        good("Chilli sauce (sambal), 340 ml x 24 bottles per carton",
           "2103.90.90", "RVC", 3000, "2.30", "CT", "10"),
        good("Roasted coated peanuts, 200 g packs, 40 packs per carton",
           "2008.11.90", "CTH", 2400, "3.10", "CT", "8"),
        good("Desiccated coconut, fine grade, in 25 kg paper bags",
           "0801.11.00", "WO", 7500, "2.60", "BG", "25"),
        good("Black pepper (Lampung), whole, ASTA grade, in 50 kg bags",
           "0904.11.20", "WO", 5000, "6.80", "BG", "50"),
        good("Cassia (Korintje cinnamon) sticks, 8 cm, in 10 kg cartons",
           "0906.19.00", "WO", 2000, "3.90", "CT", "10"),
        good("Cloves, whole, hand-picked, in 50 kg bags",
           "0907.10.00", "WO", 2500, "9.20", "BG", "50"),
        good("Hard candy, coffee flavour, 150 g packs, brand NUSA RASA",
           "1704.90.99", "RVC", 2800, "2.90", "CT", "7"),
        good("Vegetable shortening, palm-based, in 15 kg cartons",
           "1517.90.90", "CTH", 9000, "1.45", "CT", "15"),
        good("Nata de coco in syrup, 1 kg pouches, 12 pouches per carton",
           "2008.99.90", "CTH", 4800, "1.35", "CT", "12"),
        good("Jelly drink powder mix, 1 kg packs, 20 packs per carton",
           "2106.90.99", "RVC", 2000, "3.20", "CT", "20"),
        good("Ready-to-drink jasmine tea, 350 ml x 24 PET bottles per carton",
           "2202.99.90", "RVC", 8400, "0.95", "CT", "8.4"),
        good("Tapioca starch, food grade, in 50 kg bags",
           "1108.14.00", "CTH", 10000, "0.62", "BG", "50"),
        good("Pineapple slices in light syrup, 565 g x 24 cans per carton",
           "2008.20.10", "CTH", 6600, "1.25", "CT", "15"),
        good("Roasted ground coffee, 200 g packs, brand NUSA RASA",
           "0901.21.20", "RVC", 1600, "9.80", "CT", "8"),
        good("Prawn crackers, uncooked, 500 g packs, 20 packs per carton",
           "1905.90.90", "RVC", 3000, "3.40", "CT", "10"),
    ),
    # An industrial and consumer goods exporter.
    "KR": (
        good("Front door outer panels for passenger cars, part no. HB-6110, steel",
           "8708.29.99", "RVC", 8200, "9.80", "PX", "410"),
        good("Manual gearboxes for passenger cars, 6-speed, part no. HB-4300",
           "8708.40.29", "RVC", 6400, "21.50", "PX", "320"),
        good("Hot-rolled steel coils, non-alloy, 2.3 mm x 1,219 mm, pickled and oiled",
           "7208.39.40", "CTH", 48000, "0.64", "CL", "16000"),
        good("Hot-dip galvanised steel sheets, 0.5 mm x 1,219 mm, in bundles",
           "7210.49.19", "CTH", 24000, "0.92", "BE", "3000"),
        good("High-density polyethylene resin, injection grade, in 25 kg bags",
           "3901.20.00", "CTH", 24750, "1.18", "BG", "25"),
        good("Polypropylene homopolymer resin, raffia grade, in 25 kg bags",
           "3902.10.40", "CTH", 24750, "1.10", "BG", "25"),
        good("Skin care cream, 50 ml jars, brand MIRAE, 60 jars per carton",
           "3304.99.30", "RVC", 900, "38.00", "CT", "6"),
        good("Lipsticks, 3.5 g, assorted shades, brand MIRAE, 200 pieces per carton",
           "3304.10.00", "RVC", 300, "95.00", "CT", "3"),
        good("Shampoo, 500 ml bottles, brand MIRAE, 20 bottles per carton",
           "3305.10.90", "RVC", 2400, "4.30", "CT", "12"),
        good("Instant ramyun noodles, spicy, 120 g x 40 packs per carton",
           "1902.30.20", "RVC", 5000, "3.20", "CT", "5"),
        good("Red pepper paste (gochujang), 500 g tubs, 20 tubs per carton",
           "2103.90.90", "RVC", 3000, "4.10", "CT", "11"),
        good("Combined refrigerator-freezers, 2-door, 500 l, brand HANBIT",
           "8418.10.19", "RVC", 9600, "5.40", "CS", "96"),
        good("Fully-automatic washing machines, 10 kg capacity, brand HANBIT",
           "8450.11.90", "RVC", 7200, "4.70", "CS", "72"),
        good("Radial tyres for passenger cars, 205/55R16 91V",
           "4011.10.00", "CTH", 9000, "4.20", "BE", "45"),
        good("Polyester textured filament yarn, DTY 150D/48F, on paper cones",
           "5402.33.00", "SP", 12000, "1.55", "CT", "24"),
        good("Weft-knitted fabric of polyester, dyed, width 150 cm, in rolls",
           "6006.32.90", "CTH", 6000, "4.80", "RO", "25"),
        good("Gate valves, cast steel, flanged, DN 100, PN 16",
           "8481.80.72", "CTH", 3600, "11.00", "CS", "180"),
        good("Low-voltage electric control panels, 440 V, for ship engine rooms",
           "8537.10.99", "CTH+RVC", 2400, "38.00", "CS", "400"),
        good("DRAM memory integrated circuits, DDR5 16 Gb, in trays",
           "8542.32.00", "CTH", 120, "1800.00", "CT", "12"),
        good("Cable ties of polyamide 66, 300 mm, 100 pieces per bag",
           "3926.90.99", "CTH", 1800, "6.20", "CT", "15"),
    ),
    # A food and agro-industry exporter.
    "TH": (
        good("Refined white cane sugar, ICUMSA 45, in 50 kg bags",
           "1701.99.19", "CTH", 50000, "0.58", "BG", "50"),
        good("Tapioca starch, native, food grade, in 25 kg bags",
           "1108.14.00", "CTH", 20000, "0.55", "BG", "25"),
        good("Thai Hom Mali rice, white, 100% grade A, in 50 kg bags",
           "1006.30.30", "WO", 25000, "1.10", "BG", "50"),
        good("Split-type air conditioners, 12,000 BTU/h, indoor and outdoor units",
           "8415.10.90", "RVC", 4800, "7.90", "CT", "40"),
        good("Pick-up truck rear deck panels, part no. SE-2201, steel",
           "8708.29.99", "RVC", 6000, "6.40", "PX", "400"),
        good("Polypropylene resin, homopolymer, injection grade, in 25 kg bags",
           "3902.10.40", "CTSH+RVC", 22000, "1.08", "BG", "25"),
        good("Tuna chunks in brine, 185 g x 48 cans per carton",
           "1604.14.11", "CTH", 12000, "4.60", "CT", "10"),
        good("Technically specified natural rubber STR 20, 35 kg bales on pallets",
           "4001.22.20", "WO", 20160, "1.62", "PX", "1260"),
        good("Nitrile industrial gloves, powder-free, 100 pieces per box",
           "4015.19.00", "RVC", 5000, "3.70", "CT", "10"),
        good("Pineapple pieces in syrup, 3 kg cans, 6 cans per carton",
           "2008.20.10", "CTH", 9000, "1.20", "CT", "19"),
        good("Energy drink, 150 ml x 50 glass bottles per carton",
           "2202.99.90", "RVC", 10000, "0.88", "CT", "12.5"),
        good("Dried mango slices, 1 kg packs, 10 packs per carton",
           "0804.50.30", "WO", 2000, "7.50", "CT", "10"),
    ),
    "VN": (
        good("Green coffee beans, Robusta, grade 1, screen 18, wet polished",
           "0901.11.90", "WO", 19200, "4.70", "BG", "60"),
        good("Cashew kernels, white whole WW320, vacuum packed in tins",
           "0801.32.00", "WO", 15876, "7.10", "CT", "22.68"),
        good("Frozen whiteleg shrimp, peeled and deveined, tail-on, 1 kg x 10 per carton",
           "0306.17.19", "WO", 12000, "9.50", "CT", "10"),
        good("Frozen pangasius fillets, well-trimmed, IQF, 10 kg cartons",
           "0304.62.00", "WO", 24000, "2.45", "CT", "10"),
        good("Black pepper, whole, 550 g/l, in 50 kg bags",
           "0904.11.20", "WO", 19000, "6.40", "BG", "50"),
        good("Men's training shoes, synthetic upper, rubber outsole, 12 pairs per carton",
           "6404.11.90", "RVC", 3600, "21.00", "CT", "9"),
        good("Pullovers, knitted, of acrylic fibres, 24 pieces per carton",
           "6110.30.00", "RVC", 2400, "18.00", "CT", "8"),
        good("Upholstered dining chairs with rubberwood frames, 2 per carton",
           "9401.61.00", "CTH", 4800, "6.30", "CT", "16"),
        good("Roasted coffee beans, 1 kg bags, 12 bags per carton",
           "0901.21.20", "RVC", 3000, "10.50", "CT", "12"),
        good("Long-grain white rice, 5% broken, in 50 kg bags",
           "1006.30.99", "WO", 25000, "0.56", "BG", "50"),
        good("Smartphones, 6.5 inch, 128 GB, 20 units per carton",
           "8517.13.00", "RVC", 400, "560.00", "CT", "8"),
    ),
    "MY": (
        good("RBD palm olein, CP10, in 20 m3 flexitanks",
           "1511.90.36", "CTSH", 60000, "1.05", "VL", "20000"),
        good("Nitrile examination-grade industrial gloves, powder-free, 100 pieces per box",
           "4015.19.00", "RVC", 8000, "3.40", "CT", "10"),
        good("HDPE garbage bags on rolls, 30 bags per roll",
           "3923.21.99", "CTH", 6000, "2.20", "CT", "15"),
        good("Sawn meranti, kiln-dried, 25 mm x 150 mm, in bundles",
           "4407.29.97", "CTH", 36000, "0.95", "BE", "1800"),
        good("32-bit microcontrollers, in reels",
           "8542.31.00", "CTH", 80, "4200.00", "CT", "8"),
    ),
    "SG": (
        good("Paracetamol 500 mg tablets, blister packs of 10, 1,000 packs per carton",
           "3004.90.99", "RVC", 1500, "22.00", "CT", "15"),
        good("Ball valves, stainless steel 316, DN 50",
           "8481.80.72", "CTH", 1200, "24.00", "CS", "120"),
        good("32-bit microcontrollers, in reels",
           "8542.31.00", "CTH", 60, "4600.00", "CT", "6"),
    ),
    "PH": (
        good("Fresh Cavendish bananas, 13 kg cartons",
           "0803.90.90", "WO", 20800, "0.62", "CT", "13"),
        good("Crude coconut oil, in 20 m3 flexitanks",
           "1513.11.00", "CTH", 40000, "1.55", "VL", "20000"),
        good("Pineapple chunks in juice, 836 g x 12 cans per carton",
           "2008.20.10", "CTH", 10000, "1.30", "CT", "11"),
        good("Dried mangoes, 100 g packs, 100 packs per carton",
           "0804.50.30", "WO", 1500, "11.00", "CT", "10"),
    ),
}  # fmt: skip


def catalogue(country: str) -> tuple[Good, ...]:
    """The sample goods an exporter in ``country`` ships."""
    try:
        return CATALOGUE[country]
    except KeyError:
        raise ConfigurationError(f"no sample goods for exporting country {country!r}") from None
