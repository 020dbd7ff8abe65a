"""Mocks for a mesh: an NSW mock in any profile, faults changed at run time, a mesh fixture."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import requests

from aswbridge import pipeline, samples
from aswbridge.testing import MockMesh, MockNsw
from aswbridge.transport.base import Outbound
from aswbridge.transport.nsw import NswHttpSide


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        yield s


def test_the_mesh_fixture_starts_one_partner_per_country(
    mock_mesh: Callable[..., MockMesh], session: requests.Session
) -> None:
    mesh = mock_mesh(["ID", "vn", "TH"], profiles={"TH": "unipass"})
    assert sorted(mesh) == ["ID", "KR", "TH", "VN"]
    assert len(set(mesh.urls.values())) == 4
    assert mesh.urls["KR"].endswith("/eco/ExchangeService")
    assert (mesh["ID"].profile, mesh["TH"].profile, mesh["KR"].profile) == (
        "asw",
        "unipass",
        "unipass",
    )
    for country in mesh:
        stats = session.get(f"{mesh[country].root_url}/_mock/stats", timeout=5).json()
        assert stats["received"] == 0


def test_mesh_refuses_korea_as_an_nsw_and_duplicates() -> None:
    with pytest.raises(ValueError, match="KR is the UNI-PASS mock"):
        MockMesh.start(["ID", "KR"])
    with pytest.raises(ValueError, match="distinct"):
        MockMesh.start(["ID", "id"])


def test_an_nsw_mock_speaks_the_profile_it_is_given(session: requests.Session) -> None:
    certificate = samples.certificate("FORM_AK", "KR", "TH", items=2)
    with MockNsw(country="TH", profile="unipass") as thailand:
        side = NswHttpSide(url=thailand.url)
        for profile, expected in (("asw", 400), ("unipass", 201)):
            body = pipeline.write(certificate, profile=profile)
            answer = session.post(f"{thailand.root_url}/_mock/outbound", data=body, timeout=5)
            assert answer.status_code == expected, answer.text
            if expected == 400:
                assert answer.json()["code"] == "WRONG_PROFILE"
        # a certificate delivered to it is answered in its own profile
        body = pipeline.write(certificate, profile="unipass")
        side.deliver(
            Outbound(
                message_id=certificate.envelope.message_id,
                kind="certificate",
                sender="KR",
                receiver="TH",
                body=body,
            )
        )
        (ref, *_) = [r for r in side.pending() if r != "TH-000000000001"]
        profile, answer_message = pipeline.read(side.fetch(ref).body)
        assert (profile, answer_message.kind) == ("unipass", "response")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param({"fail_rate": 1.0}, 200, id="all-503"),
        pytest.param({"drop_rate": 0.5, "latency_ms": 1}, 200, id="drop-and-latency"),
        pytest.param({"fail_rate": 2}, 400, id="rate-over-one"),
        pytest.param({"fail_rate": float("nan")}, 400, id="nan"),
        pytest.param({"latency_ms": 1.5}, 400, id="latency-not-int"),
        pytest.param({"latency_ms": 10**9}, 400, id="latency-absurd"),
        pytest.param({"fail_rate": True}, 400, id="boolean"),
        pytest.param({"seed": 3}, 400, id="unknown-key"),
    ],
)
def test_faults_change_while_running(
    change: dict[str, float], status: int, session: requests.Session
) -> None:
    with MockNsw(country="ID") as mock:
        answer = session.post(f"{mock.root_url}/_mock/faults", data=json.dumps(change), timeout=5)
        assert answer.status_code == status, answer.text
        if status == 200:
            assert {k: answer.json()[k] for k in change} == change
            assert {k: getattr(mock.faults, k) for k in change} == change
        else:
            assert mock.faults.fail_rate == 0.0 and mock.faults.drop_rate == 0.0


def test_a_partner_can_be_taken_down_and_brought_back(session: requests.Session) -> None:
    with MockNsw(country="ID") as mock:
        listing = f"{mock.root_url}/outbox"
        assert session.get(listing, timeout=5).status_code == 200
        session.post(f"{mock.root_url}/_mock/faults", json={"fail_rate": 1.0}, timeout=5)
        assert session.get(listing, timeout=5).status_code == 503
        session.post(f"{mock.root_url}/_mock/faults", json={"fail_rate": 0.0}, timeout=5)
        assert session.get(listing, timeout=5).status_code == 200
