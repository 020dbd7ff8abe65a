"""The sample builders: every sample builds, is deterministic, realistic and valid."""

from __future__ import annotations

import doctest
import uuid
from datetime import UTC, date, timedelta

import attrs
import pytest

from aswbridge import codes, rules, samples
from aswbridge.errors import ConfigurationError
from aswbridge.model import Certificate, Message, Receipt, Response, VerificationReply
from aswbridge.samples import goods as catalogue_mod
from aswbridge.samples.parties import PORTS, SYSTEMS

SCENARIO_NAMES = sorted(samples.SCENARIOS)
CERTIFICATES = {name: build() for name, build in samples.SCENARIOS.items()}
CERTIFICATE_NAMES = sorted(n for n, m in CERTIFICATES.items() if m.kind == "certificate")

#: Real UN/LOCODEs the samples may use (ports of the countries they trade between).
KNOWN_LOCODES = {
    "IDJKT", "KRPUS", "KRINC", "VNSGN", "VNHPH", "THBKK", "THLCH", "SGSIN", "MYPKG", "PHMNL",
}  # fmt: skip


def cert_of(message: Message) -> Certificate:
    assert isinstance(message.document, Certificate)
    return message.document


# --- every scenario -------------------------------------------------------------------


def test_the_issue_lists_every_sample() -> None:
    assert set(SCENARIO_NAMES) == {
        "form_ak_id_kr", "form_ak_kr_vn", "form_rcep_kr_th", "form_d_th_id", "back_to_back",
        "third_country_invoicing", "issued_retroactively", "exhibition", "replacement",
        "cancellation", "one_item", "many_items", "receipt", "response_refusing_item",
        "verification_request", "verification_reply",
    }  # fmt: skip


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_is_deterministic(name: str) -> None:
    assert samples.SCENARIOS[name]() == CERTIFICATES[name]


def test_message_ids_are_uuid5_and_unique() -> None:
    ids = [m.envelope.message_id for m in CERTIFICATES.values()]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 5 for i in ids)


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_envelope(name: str) -> None:
    env = CERTIFICATES[name].envelope
    assert env.created_at.tzinfo is not None
    assert env.created_at.utcoffset() == timedelta(0)
    assert env.sender.country != env.receiver.country
    for end in (env.sender, env.receiver):
        assert SYSTEMS[end.country] == end.system
    assert env.document_type == samples.DOCUMENT_TYPES[CERTIFICATES[name].kind]


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_no_rule_error(name: str) -> None:
    problems = rules.problems_of(CERTIFICATES[name])
    assert [p for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_certificate_has_no_warning_either(name: str) -> None:
    assert rules.problems_of(CERTIFICATES[name]) == []


# --- certificates: counts, codes, dates, flags ------------------------------------------


@pytest.mark.parametrize(
    ("name", "count"),
    [("form_ak_id_kr", 20), ("one_item", 1), ("many_items", 200), ("form_rcep_kr_th", 6)],
)
def test_item_counts(name: str, count: int) -> None:
    assert len(cert_of(CERTIFICATES[name]).items) == count


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_items_numbered_one_to_n(name: str) -> None:
    items = cert_of(CERTIFICATES[name]).items
    assert [i.number for i in items] == list(range(1, len(items) + 1))


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_codes_are_real(name: str) -> None:
    cert = cert_of(CERTIFICATES[name])
    parties = [cert.exporter, cert.consignee, cert.producer, cert.third_party_invoicer]
    countries = [p.country for p in parties if p is not None]
    countries += [cert.issuing_country, cert.importing_country, cert.issuing_authority.country]
    assert all(c in codes.COUNTRIES for c in countries)
    assert cert.exporter.country == cert.issuing_country
    assert cert.transport.mode in codes.TRANSPORT_MODES
    assert cert.transport.port_of_loading in KNOWN_LOCODES
    assert cert.transport.port_of_discharge in KNOWN_LOCODES
    assert cert.transport.port_of_discharge[:2] == cert.importing_country
    for item in cert.items:
        assert codes.hs_is_valid(item.hs.code, item.hs.edition), item.hs
        assert item.hs.edition == "HS2022"
        assert item.quantity.unit in codes.UNITS
        assert item.quantity.value > 0
        assert item.packages is not None and item.packages.kind in codes.PACKAGES
        if item.fob_value is not None:
            assert item.fob_value.currency in codes.CURRENCIES
            assert item.fob_value.amount > 0


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_hs_shape_per_form(name: str) -> None:
    cert = cert_of(CERTIFICATES[name])
    if cert.form == "FORM_RCEP":
        assert cert.producer is not None
        assert all(len(i.hs.code) == 6 and i.origin_country for i in cert.items)
    else:
        assert all(len(i.hs.code) == 8 and i.origin_country is None for i in cert.items)


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_rvc_items_carry_fob(name: str) -> None:
    for item in cert_of(CERTIFICATES[name]).items:
        if "RVC" in item.origin_criterion.code:
            assert item.fob_value is not None, item.number


@pytest.mark.parametrize("name", CERTIFICATE_NAMES)
def test_dates_are_coherent(name: str) -> None:
    message = CERTIFICATES[name]
    cert = cert_of(message)
    departure = cert.transport.departure_date
    assert departure is not None
    assert cert.declaration.date <= cert.issue_date
    assert cert.certification is not None and cert.certification.date >= cert.issue_date
    assert all(
        inv.date <= min(departure, cert.issue_date) for i in cert.items for inv in i.invoices
    )
    late = cert.issue_date > departure + timedelta(days=3)
    assert late == ("issued_retroactively" in cert.flags)
    assert message.envelope.created_at.astimezone(UTC).date() >= cert.certification.date


@pytest.mark.parametrize(
    ("name", "flag", "detail"),
    [
        ("back_to_back", "back_to_back", "original_cos"),
        ("third_country_invoicing", "third_country_invoicing", "third_party_invoicer"),
        ("exhibition", "exhibition", "exhibition"),
        ("issued_retroactively", "issued_retroactively", None),
    ],
)
def test_flag_and_its_details(name: str, flag: str, detail: str | None) -> None:
    cert = cert_of(CERTIFICATES[name])
    assert cert.flags == (flag,)
    if detail is not None:
        assert getattr(cert, detail) not in (None, ())
    others = [n for n in CERTIFICATE_NAMES if n not in ("replacement", "cancellation", name)]
    assert all(flag not in cert_of(CERTIFICATES[n]).flags for n in others)


def test_back_to_back_refers_to_the_first_exporting_party() -> None:
    cert = cert_of(CERTIFICATES["back_to_back"])
    [original] = cert.original_cos
    assert original.issuing_country == original.origin_country == "VN" != cert.issuing_country
    assert original.date < cert.issue_date
    assert cert.declaration.producing_country == "VN"


def test_third_country_invoicer_is_outside_the_agreement() -> None:
    cert = cert_of(CERTIFICATES["third_country_invoicing"])
    assert cert.third_party_invoicer is not None
    assert cert.third_party_invoicer.country == "HK"
    assert all(i.invoices[0].number.startswith("PRC/") for i in cert.items)


@pytest.mark.parametrize(
    ("name", "original", "function"),
    [
        ("replacement", "form_ak_kr_vn", "replacement"),
        ("cancellation", "form_d_th_id", "cancellation"),
    ],
)
def test_replacement_and_cancellation_refer_to_the_original(
    name: str, original: str, function: str
) -> None:
    message, first = CERTIFICATES[name], CERTIFICATES[original]
    assert cert_of(message).function == function
    assert cert_of(first).function == "original"
    assert cert_of(message).id == cert_of(first).id
    assert message.envelope.correlation_id == first.envelope.message_id
    assert message.envelope.message_id != first.envelope.message_id
    assert message.envelope.created_at > first.envelope.created_at


def test_rcep_sample_uses_every_rcep_criterion() -> None:
    texts = [i.origin_criterion.text for i in cert_of(CERTIFICATES["form_rcep_kr_th"]).items]
    assert texts == ["CR", "CTC", "CTC ACU DMI", "RVC", "RVC ACU 2.6.6B", "PE"]


# --- the generic builder ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "exporter", "importer"),
    [
        ("FORM_AK", "ID", "KR"),
        ("FORM_AK", "KR", "VN"),
        ("FORM_AK", "TH", "KR"),
        ("FORM_D", "TH", "ID"),
        ("FORM_D", "MY", "VN"),
        ("FORM_D", "PH", "SG"),
        ("FORM_RCEP", "KR", "TH"),
        ("FORM_RCEP", "VN", "KR"),
        ("FORM_RCEP", "SG", "MY"),
    ],
    ids=lambda v: str(v),
)
def test_generic_certificate_passes_the_rules(form: str, exporter: str, importer: str) -> None:
    message = samples.certificate(
        form=form, exporter_country=exporter, importing_country=importer, items=12
    )
    cert = cert_of(message)
    assert (cert.form, cert.issuing_country, cert.importing_country) == (form, exporter, importer)
    assert len(cert.items) == 12
    assert [p for p in rules.problems_of(message) if p.severity == "error"] == []


def test_seed_varies_the_goods_and_is_reproducible() -> None:
    a = samples.certificate(items=30, seed=7)
    assert a == samples.certificate(items=30, seed=7)
    assert a != samples.certificate(items=30, seed=8)
    assert a != samples.certificate(items=30)


def test_overrides_reach_document_and_envelope() -> None:
    message = samples.certificate(remarks="Test remark", correlation_id="c-1", name="x")
    assert cert_of(message).remarks == "Test remark"
    assert message.envelope.correlation_id == "c-1"
    assert message.envelope.message_id == samples.message_id("x")


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="colour"):
        samples.certificate(colour="red")


def test_unknown_country_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="JP"):
        samples.certificate(exporter_country="JP", importing_country="KR")


@pytest.mark.parametrize("country", sorted(catalogue_mod.CATALOGUE))
def test_catalogue_goods_are_real_ahtn_lines(country: str) -> None:
    for good in catalogue_mod.CATALOGUE[country]:
        assert codes.hs_is_valid(good.ahtn, "HS2022") and len(good.ahtn) == 8, good
        assert good.unit in codes.UNITS and good.package in codes.PACKAGES
    assert PORTS[country][:2] == country


@pytest.mark.parametrize("n", [1, 7, 200, 450])
def test_many_items_counts(n: int) -> None:
    cert = cert_of(samples.many_items(n))
    assert len(cert.items) == n
    assert len({i.description for i in cert.items}) == n


# --- answers -------------------------------------------------------------------------------


def test_receipt_answers_the_certificate() -> None:
    cert_msg = CERTIFICATES["form_ak_id_kr"]
    receipt = CERTIFICATES["receipt"]
    assert isinstance(receipt.document, Receipt)
    assert receipt.document.ref_message_id == cert_msg.envelope.message_id
    assert receipt.document.certificate_id == cert_of(cert_msg).id
    assert receipt.envelope.sender == cert_msg.envelope.receiver
    assert receipt.envelope.receiver == cert_msg.envelope.sender
    assert receipt.envelope.correlation_id == cert_msg.envelope.message_id


def test_failed_receipt_needs_a_reason_code() -> None:
    cert_msg = CERTIFICATES["form_d_th_id"]
    with pytest.raises(ConfigurationError):
        samples.receipt_for(cert_msg, status="failed")
    failed = samples.receipt_for(cert_msg, status="failed", reason_code="SCHEMA_INVALID")
    assert failed.envelope.message_id != samples.receipt_for(cert_msg).envelope.message_id
    assert [p for p in rules.problems_of(failed) if p.severity == "error"] == []


def test_response_refuses_exactly_the_items_asked() -> None:
    response = CERTIFICATES["response_refusing_item"]
    assert isinstance(response.document, Response)
    refused = [d.number for d in response.document.decisions if d.preference == "not_given"]
    assert refused == [3]
    assert all(d.reason for d in response.document.decisions if d.number == 3)
    assert len(response.document.decisions) == 20


def test_response_to_an_unknown_item_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="21"):
        samples.response_for(CERTIFICATES["form_ak_id_kr"], refuse={21: "no such item"})


def test_verification_request_and_reply_pair_up() -> None:
    request, reply = CERTIFICATES["verification_request"], CERTIFICATES["verification_reply"]
    assert reply.envelope.correlation_id == request.envelope.message_id
    assert reply.envelope.sender == request.envelope.receiver
    assert isinstance(reply.document, VerificationReply)
    assert reply.document.result == "confirmed"
    assert [f.number for f in reply.document.findings] == [2, 11]
    assert reply.document.reply_date > date(2026, 10, 5)


def test_partial_verification_reply() -> None:
    partial = samples.verification_reply_for(
        CERTIFICATES["verification_request"], not_confirmed={11: "No records of the supplier"}
    )
    assert isinstance(partial.document, VerificationReply)
    assert partial.document.result == "partially_confirmed"
    assert [f.result for f in partial.document.findings] == ["confirmed", "not_confirmed"]


def test_answer_builders_refuse_the_wrong_kind() -> None:
    with pytest.raises(ConfigurationError):
        samples.response_for(CERTIFICATES["receipt"])
    with pytest.raises(ConfigurationError):
        samples.verification_reply_for(CERTIFICATES["form_ak_id_kr"])


def test_answers_are_pure() -> None:
    cert_msg = CERTIFICATES["form_ak_id_kr"]
    before = attrs.evolve(cert_msg)
    samples.response_for(cert_msg, refuse={1: "x"})
    assert cert_msg == before


def test_docstring_examples() -> None:
    from aswbridge.samples import criteria

    for module in (samples, criteria):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
