"""A tester's tests: the bridge between a mock NSW (Indonesia) and a mock UNI-PASS.

No imports of fixtures are needed: installing aswbridge registers its pytest plugin,
which provides ``mock_nsw``, ``mock_unipass``, ``unipass_responses``, ``bridge``,
``bridge_factory`` and ``test_pki``. Run with ``pytest examples/tester``.
"""

from aswbridge import samples
from aswbridge.testing import dropped_connection, refuse_item, timeout, unavailable


def test_certificate_reaches_korea_and_the_decision_comes_back(bridge, mock_nsw, mock_unipass):
    mock_nsw.send(samples.form_ak_id_kr())  # Indonesia's NSW issues a Form AK for Korea

    bridge.run_until_idle()

    (certificate,) = mock_unipass.received("certificate")
    assert certificate.document.id == samples.form_ak_id_kr().document.id
    (decision,) = mock_nsw.received("response")  # Korea Customs' decision, back in Jakarta
    assert {d.preference for d in decision.document.decisions} == {"given"}


def test_korea_refuses_item_3_with_a_reason(bridge, mock_nsw, mock_unipass):
    reason = "FOB value does not match the invoice"
    mock_unipass.play(refuse_item(3, reason))
    mock_nsw.send(samples.form_ak_id_kr())

    bridge.run_until_idle()

    (decision,) = mock_nsw.received("response")
    item_3 = decision.document.decisions[2]
    assert (item_3.preference, item_3.reason) == ("not_given", reason)


def test_an_outage_of_unipass_is_ridden_out(bridge, mock_nsw, mock_unipass):
    mock_unipass.play(unavailable(times=2))  # two 503s, then UNI-PASS is back
    mock_nsw.send(samples.form_ak_id_kr())

    report = bridge.run_until_idle()

    assert report.dead == 0 and mock_unipass.stats()["scripted"]["unavailable"] == 2
    assert mock_unipass.stats()["by_kind"] == {"certificate": 1}


def test_a_lost_answer_does_not_deliver_twice(bridge, mock_nsw, mock_unipass):
    mock_unipass.play(dropped_connection())  # UNI-PASS takes it in, the answer is lost
    mock_nsw.send(samples.form_ak_id_kr())

    bridge.run_until_idle()

    stats = mock_unipass.stats()
    assert stats["distinct"] == 1 and len(mock_nsw.received("response")) == 1


def test_a_timeout_without_sockets(bridge_factory, mock_nsw, unipass_responses):
    bridge = bridge_factory(nsw=mock_nsw, unipass=unipass_responses)  # UNI-PASS in-process
    unipass_responses.play(timeout())
    mock_nsw.send(samples.form_ak_id_kr())

    bridge.run_until_idle()

    assert unipass_responses.stats()["scripted"]["timeout"] == 1
    assert len(unipass_responses.received("certificate")) == 1


def test_a_forged_certificate_is_refused(bridge_factory, mock_nsw, mock_unipass, test_pki):
    bridge = bridge_factory(nsw=mock_nsw, unipass=mock_unipass, pki=test_pki)  # checks signatures
    mock_nsw.send(samples.form_ak_id_kr(), signing=test_pki.signing_key("TH"))  # not Indonesia's

    bridge.run_until_idle()

    (refused,) = mock_nsw.refusals()
    assert refused.code == "SIGNER_NOT_ISSUER"
    assert mock_unipass.received() == []
