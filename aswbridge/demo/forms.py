"""A certificate as an officer reads the paper form: the numbered boxes, in HTML.

Form D and Form AK share the box skeleton (1 exporter, 2 consignee, 3 transport,
4 official use, 5–10 the item table, 11 declaration, 12 certification, 13 tick boxes);
the RCEP Form numbers 17 boxes (3 producer, 9 HS, 11 country of origin, 14 remarks …).
Box 4 (RCEP 5) shows the importing customs' decision when there is one. Every text is
escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from html import escape

from aswbridge import codes
from aswbridge.model import Certificate, Item, Message, Party, Response

__all__ = ["BOXES", "certificate_html"]

_TITLES = {
    "FORM_D": (
        "ASEAN TRADE IN GOODS AGREEMENT CERTIFICATE OF ORIGIN "
        "(Combined Declaration and Certificate)",
        "FORM D",
        "ATIGA",
    ),
    "FORM_AK": (
        "ASEAN-KOREA FREE TRADE AREA PREFERENTIAL TARIFF CERTIFICATE OF ORIGIN "
        "(Combined Declaration and Certificate)",
        "FORM AK",
        "AKFTA",
    ),
    "FORM_RCEP": (
        "REGIONAL COMPREHENSIVE ECONOMIC PARTNERSHIP AGREEMENT CERTIFICATE OF ORIGIN",
        "FORM RCEP",
        "RCEP Agreement",
    ),
}

#: Box numbers of each form, by what they hold.
BOXES: dict[str, dict[str, int]] = {
    "D": {
        "exporter": 1,
        "consignee": 2,
        "transport": 3,
        "official": 4,
        "item": 5,
        "marks": 6,
        "goods": 7,
        "criterion": 8,
        "quantity": 9,
        "invoices": 10,
        "declaration": 11,
        "certification": 12,
        "ticks": 13,
    },
    "RCEP": {
        "exporter": 1,
        "consignee": 2,
        "producer": 3,
        "transport": 4,
        "official": 5,
        "item": 6,
        "marks": 7,
        "goods": 8,
        "hs": 9,
        "criterion": 10,
        "origin": 11,
        "quantity": 12,
        "invoices": 13,
        "remarks": 14,
        "declaration": 15,
        "certification": 16,
        "ticks": 17,
    },
}

_TICKS = {
    "FORM_D": (
        "third_country_invoicing",
        "exhibition",
        "accumulation",
        "de_minimis",
        "back_to_back",
        "issued_retroactively",
        "partial_cumulation",
    ),
    "FORM_AK": ("third_country_invoicing", "exhibition", "back_to_back"),
    "FORM_RCEP": ("back_to_back", "third_country_invoicing", "issued_retroactively"),
}
_TICK_NAMES = {
    "third_country_invoicing": "Third Country Invoicing",
    "exhibition": "Exhibition",
    "accumulation": "Accumulation",
    "de_minimis": "De Minimis",
    "back_to_back": "Back-to-Back CO",
    "issued_retroactively": "Issued Retroactively",
    "partial_cumulation": "Partial Cumulation",
}

#: The CSS the form needs (the report includes it once).
CSS = """
.form{border:2px solid #222;background:#fffdf6;font:13px/1.35 Georgia,serif;margin:12px 0 28px}
.form .row{display:grid;grid-template-columns:1fr 1fr;border-bottom:1px solid #222}
.form .box{padding:6px 8px;border-right:1px solid #222;min-height:56px}
.form .box:last-child{border-right:0}
.form .stack>.box{border-right:0;border-bottom:1px solid #222}
.form .stack>.box:last-child{border-bottom:0}
.form .stack{border-right:1px solid #222}
.form .stack:last-child{border-right:0}
.form .n{font:600 11px sans-serif;color:#444}
.form .title{text-align:center;padding:10px}
.form .title .ref{text-align:left;font:600 13px sans-serif}
.form .title h3{margin:8px 0 2px;font:600 13px sans-serif;letter-spacing:.02em}
.form .title .formname{font:700 20px sans-serif;margin:6px 0}
.form table{border-collapse:collapse;width:100%}
.form th{font:600 11px sans-serif;color:#444;text-align:left;vertical-align:top;
 border-bottom:1px solid #222;border-right:1px solid #222;padding:4px 6px}
.form td{vertical-align:top;border-right:1px solid #bbb;padding:3px 6px;
 border-bottom:1px dotted #bbb}
.form th:last-child,.form td:last-child{border-right:0}
.form tr.refused td{background:#fbe9e7}
.form .tag{font:600 10px sans-serif;color:#b3261e;white-space:nowrap}
.form .ticks span{margin-right:18px;white-space:nowrap}
.form .sig{font:11px sans-serif;color:#1f5b2a;margin-top:6px}
.form .muted{color:#777;font-style:italic}
"""


def _country(code: str | None) -> str:
    if not code:
        return ""
    entry = codes.COUNTRIES.lookup(code)
    return entry.name if entry is not None else code


def _box(number: int, title: str, content: str) -> str:
    return f'<div class="box"><div class="n">{number}. {escape(title)}</div>{content}</div>'


def _party(party: Party | None) -> str:
    if party is None:
        return '<div class="muted">(not stated)</div>'
    lines = [party.name, party.address or "", _country(party.country)]
    return "<div>" + "<br>".join(escape(line) for line in lines if line) + "</div>"


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}" if value != value.to_integral() else f"{value:,.0f}"


def _transport(cert: Certificate) -> str:
    t = cert.transport
    entry = codes.TRANSPORT_MODES.lookup(t.mode) if t.mode else None
    mode = entry.name if entry is not None else (t.mode or "")
    rows = [
        ("Departure date", t.departure_date.isoformat() if t.departure_date else ""),
        (
            "Vessel's name / aircraft etc.",
            " ".join(x for x in (t.vessel, f"({mode})" if mode else "") if x),
        ),
        ("Port of loading", t.port_of_loading or ""),
        ("Port of discharge", t.port_of_discharge or ""),
    ]
    return (
        "<div>" + "<br>".join(f"{escape(k)}: <b>{escape(v)}</b>" for k, v in rows if v) + "</div>"
    )


def _official(cert: Certificate, decision: Message | None, agreement: str) -> str:
    if decision is None or not isinstance(decision.document, Response):
        return '<div class="muted">For the importing customs: no decision yet.</div>'
    doc = decision.document
    refused = [d for d in doc.decisions if d.preference != "given"]
    given = len(doc.decisions) - len(refused)
    tick = {True: "☒", False: "☐"}
    parts = [
        f"<div>{tick[given > 0]} Preferential Treatment Given Under {escape(agreement)}</div>",
        f"<div>{tick[bool(refused)]} Preferential Treatment Not Given (Please state reason/s)"
        "</div>",
    ]
    for d in refused:
        parts.append(f'<div class="tag">item {d.number}: {escape(d.reason or "")}</div>')
    who = ", ".join(x for x in (doc.officer or "", _country(doc.issuing_country)) if x)
    parts.append(
        f'<div class="sig">{escape(doc.decision_date.isoformat())} · '
        f"{escape(who or 'importing customs')}</div>"
    )
    return "".join(parts)


def _goods(item: Item, *, with_hs: bool) -> str:
    parts = []
    if item.packages is not None:
        parts.append(f"{item.packages.count:,} {item.packages.kind}")
    parts.append(item.description)
    text = escape(" – ".join(parts))
    if with_hs:
        text += f"<br><b>HS {escape(item.hs.code)}</b> ({escape(item.hs.edition)})"
    return text


def _quantity(item: Item) -> str:
    text = f"{_amount(item.quantity.value)} {escape(item.quantity.unit)}"
    if item.fob_value is not None:
        money = f"{item.fob_value.amount:,.2f}"
        text += f"<br>FOB {escape(item.fob_value.currency)} {money}"
    return text


def _invoices(item: Item) -> str:
    return "<br>".join(f"{escape(i.number)}<br>{i.date.isoformat()}" for i in item.invoices)


def _items(cert: Certificate, refused: dict[int, str], boxes: dict[str, int]) -> str:
    rcep = "hs" in boxes
    heads = [
        ("item", "Item number"),
        ("marks", "Marks and numbers on packages"),
        (
            "goods",
            "Number and type of packages, description of goods"
            + ("" if rcep else " and HS number of the importing country"),
        ),
    ]
    if rcep:
        heads += [("hs", "HS code (6-digit)")]
    heads += [("criterion", "Origin criterion")]
    if rcep:
        heads += [("origin", "RCEP country of origin")]
    heads += [("quantity", "Quantity and value (FOB)"), ("invoices", "Number and date of invoices")]
    head = "".join(f"<th>{boxes[k]}. {escape(t)}</th>" for k, t in heads)
    rows = []
    for item in cert.items:
        cells = {
            "item": str(item.number)
            + ('<br><span class="tag">not given</span>' if item.number in refused else ""),
            "marks": escape(item.marks or ""),
            "goods": _goods(item, with_hs=not rcep),
            "hs": escape(item.hs.code),
            "criterion": escape(item.origin_criterion.text or item.origin_criterion.code),
            "origin": escape(_country(item.origin_country)),
            "quantity": _quantity(item),
            "invoices": _invoices(item),
        }
        css = ' class="refused"' if item.number in refused else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{cells[k]}</td>" for k, _ in heads) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _ticks(cert: Certificate) -> str:
    marks = (
        f"<span>{'☒' if flag in cert.flags else '☐'} {escape(_TICK_NAMES[flag])}</span>"
        for flag in _TICKS.get(cert.form, _TICKS["FORM_D"])
    )
    return f'<div class="ticks">{"".join(marks)}</div>'


def _declaration(cert: Certificate, agreement: str) -> str:
    d = cert.declaration
    text = (
        "The undersigned hereby declares that the above details and statements are correct; "
        f"that all the goods were produced in {_country(d.producing_country)} and that they "
        f"comply with the origin requirements specified for these goods in the {agreement} "
        f"for the goods exported to {_country(cert.importing_country)}."
    )
    return (
        f"<div>{escape(text)}</div>"
        f'<div class="sig">{escape(d.place)}, {d.date.isoformat()} · {escape(d.signatory)}</div>'
    )


def _certification(cert: Certificate, message: Message) -> str:
    c = cert.certification
    text = (
        "It is hereby certified, on the basis of control carried out, that the declaration "
        "by the exporter is correct."
    )
    parts = [f"<div>{escape(text)}</div>"]
    if c is not None:
        parts.append(
            f'<div class="sig">{escape(c.place)}, {c.date.isoformat()} · {escape(c.officer)}'
            f" · {escape(cert.issuing_authority.name)}</div>"
        )
    signer = message.envelope.original_signer
    if signer is not None:
        parts.append(
            f'<div class="sig">✓ signature verified: {escape(signer.subject)}<br>'
            f"SHA-256 {escape(signer.fingerprint[:32])}…</div>"
        )
    return "".join(parts)


def _stack(boxes: Iterable[str]) -> str:
    return f'<div class="stack">{"".join(boxes)}</div>'


def certificate_html(message: Message, *, decision: Message | None = None) -> str:
    """The certificate of ``message`` laid out as its paper form (an HTML fragment).

    Args:
        message: a certificate message (the original signer, if recorded, is shown in
            the certification box).
        decision: the importing customs' response, shown in box 4 (RCEP box 5).
    """
    cert = message.document
    if not isinstance(cert, Certificate):
        raise TypeError(f"not a certificate: {message.kind}")
    title, name, agreement = _TITLES.get(cert.form, (cert.form, cert.form, cert.form))
    boxes = BOXES["RCEP" if cert.form == "FORM_RCEP" else "D"]
    refused: dict[int, str] = {}
    if decision is not None and isinstance(decision.document, Response):
        refused = {
            d.number: d.reason or "" for d in decision.document.decisions if d.preference != "given"
        }
    left = [
        _box(
            boxes["exporter"],
            "Goods consigned from (Exporter's business name, address, country)",
            _party(cert.exporter),
        ),
        _box(
            boxes["consignee"],
            "Goods consigned to (Consignee's name, address, country)",
            _party(cert.consignee),
        ),
    ]
    if "producer" in boxes:
        left.append(
            _box(boxes["producer"], "Producer's name, address, country", _party(cert.producer))
        )
    left.append(
        _box(boxes["transport"], "Means of transport and route (as far as known)", _transport(cert))
    )
    header = (
        f'<div class="box title"><div class="ref">Reference No. {escape(cert.id)}</div>'
        f'<h3>{escape(title)}</h3><div class="formname">{escape(name)}</div>'
        f"<div>Issued in <b>{escape(_country(cert.issuing_country).upper())}</b></div>"
        f'<div class="muted">{escape(cert.function)}</div></div>'
    )
    right = [
        header,
        _box(boxes["official"], "For official use", _official(cert, decision, agreement)),
    ]
    parts = [
        f'<div class="row">{_stack(left)}{_stack(right)}</div>',
        f'<div class="row" style="display:block">{_items(cert, refused, boxes)}</div>',
    ]
    if "remarks" in boxes:
        parts.append(
            '<div class="row" style="display:block">'
            + _box(boxes["remarks"], "Remarks", escape(cert.remarks or ""))
            + "</div>"
        )
    parts.append(
        '<div class="row">'
        + _box(
            boxes["declaration"],
            "Declaration by the exporter" + (" or producer" if "producer" in boxes else ""),
            _declaration(cert, agreement),
        )
        + _box(boxes["certification"], "Certification", _certification(cert, message))
        + "</div>"
    )
    parts.append(
        '<div class="row" style="display:block;border-bottom:0">'
        + _box(boxes["ticks"], "Tick where appropriate", _ticks(cert))
        + "</div>"
    )
    return f'<div class="form">{"".join(parts)}</div>'
