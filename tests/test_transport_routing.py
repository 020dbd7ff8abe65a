"""Several bridges share one UNI-PASS: each pulls only what is addressed to its NSW."""

from __future__ import annotations

from aswbridge import profiles, samples
from aswbridge.testing.mocks import MockUnipass
from aswbridge.transport.unipass import UnipassSide


def test_each_bridge_pulls_only_its_own_country() -> None:
    unipass = profiles.get("unipass")
    to_vn, to_id = (
        samples.form_ak_kr_vn(),
        samples.certificate(
            form="FORM_AK", exporter_country="KR", importing_country="ID", items=2, name="kr-id"
        ),
    )
    assert to_vn.envelope.receiver.country == "VN"
    assert to_id.envelope.receiver.country == "ID"
    with MockUnipass(respond=False) as mock:
        for message in (to_vn, to_id):  # as if Korea sent them
            assert mock.outbound(unipass.encode_bytes(message)).status < 300
        everything = UnipassSide(url=mock.url).pending()
        for_vn = UnipassSide(url=mock.url, recipient="VN")
        for_id = UnipassSide(url=mock.url, recipient="ID")
        assert len(everything) == 2
        vn_refs, id_refs = for_vn.pending(), for_id.pending()
        assert len(vn_refs) == len(id_refs) == 1
        assert for_vn.fetch(vn_refs[0]).message_id == to_vn.envelope.message_id
        assert for_id.fetch(id_refs[0]).message_id == to_id.envelope.message_id
        assert UnipassSide(url=mock.url, recipient="TH").pending() == []
