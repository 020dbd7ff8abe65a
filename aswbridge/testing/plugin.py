"""The aswbridge pytest plugin: fixtures for testing against mocked partners.

Installed with aswbridge (entry point ``pytest11``), so the fixtures are available in
every test without an import::

    def test_korea_refuses_item_3(bridge, mock_nsw, mock_unipass):
        mock_unipass.play(refuse_item(3, "FOB value does not match the invoice"))
        mock_nsw.send(samples.form_ak_id_kr())
        bridge.run_until_idle()
        (response,) = mock_nsw.received("response")
        assert response.document.decisions[2].preference == "not_given"

Fixtures (function scope unless said):

``mock_nsw``, ``mock_unipass``
    real loopback servers (:class:`ScriptedNsw` for the country of ``nsw_country``,
    :class:`ScriptedUnipass`), started for the test and stopped after it;
``mock_nsw_factory``, ``mock_unipass_factory``
    make more, with options: ``mock_nsw_factory(country="VN", fail_rate=0.2, seed=7)``
    (``fail_rate``, ``drop_rate``, ``latency_ms``, ``seed`` make the mock's ``Faults``);
``mock_mesh``
    start a mesh of partners: ``mock_mesh(["ID", "VN", "TH"], profiles={"JP": "ubl"})``
    gives a :class:`MockMesh` (``mesh["ID"]`` an NSW mailbox, ``mesh["KR"]`` UNI-PASS,
    ``mesh.urls``); fault options as for the factories;
``unipass_responses``
    UNI-PASS in-process (:class:`UnipassResponses`, needs ``responses``): no socket;
``bridge``
    a :class:`BridgeUnderTest` between ``mock_nsw`` and ``mock_unipass``, with a SQLite
    store in ``tmp_path``, unsigned messages allowed;
``bridge_factory``
    make bridges: ``bridge_factory(nsw=..., unipass=unipass_responses, pki=test_pki)``
    (with ``pki`` it verifies against the PKI's roots and signs with its bridge key);
``test_pki``
    a throwaway PKI (:class:`ThrowawayPki`), generated once per session;
``nsw_country``
    the country of ``mock_nsw`` (``"ID"``); override it in a ``conftest.py``;
``softhsm``
    a throwaway SoftHSM2 (:class:`~aswbridge.testing.softhsm.SoftHsm`) in a temporary
    folder, active for the session (``SOFTHSM2_CONF``): make tokens and import keys
    into it (skipped where SoftHSM2 is not installed, failed in CI where it must be).

Every server is stopped and every bridge closed at the end of the test, pass or fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aswbridge.testing.harness import BridgeUnderTest, ThrowawayPki
    from aswbridge.testing.inprocess import UnipassResponses
    from aswbridge.testing.mesh import MockMesh
    from aswbridge.testing.scripted import ScriptedNsw, ScriptedUnipass
    from aswbridge.testing.softhsm import SoftHsm

__all__ = [
    "bridge",
    "bridge_factory",
    "mock_mesh",
    "mock_nsw",
    "mock_nsw_factory",
    "mock_unipass",
    "mock_unipass_factory",
    "nsw_country",
    "softhsm",
    "test_pki",
    "unipass_responses",
]


_FAULT_OPTIONS = ("fail_rate", "drop_rate", "latency_ms", "seed")


def _with_faults(options: dict[str, Any]) -> dict[str, Any]:
    """Options with ``fail_rate=`` and friends gathered into one ``Faults``."""
    given = {k: options.pop(k) for k in _FAULT_OPTIONS if k in options}
    if given:
        from aswbridge.testing.mocks import Faults

        if "faults" in options:
            raise TypeError(f"give faults= or {', '.join(given)}=, not both")
        options["faults"] = Faults(**given)
    return options


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayPki:
    """A TEST-ONLY PKI for every ASEAN country and Korea, made once per session."""
    from aswbridge.testing.harness import ThrowawayPki

    return ThrowawayPki.create(tmp_path_factory.mktemp("aswbridge-pki"))


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    """A throwaway SoftHSM2, active for the whole session (one per process)."""
    import os

    from aswbridge.testing.softhsm import SoftHsm, softhsm_module

    if softhsm_module() is None:
        if os.environ.get("CI"):
            pytest.fail("SoftHSM2 must be installed in CI (the project's setup installs it)")
        pytest.skip("SoftHSM2 is not installed on this machine")
    hsm = SoftHsm.create(tmp_path_factory.mktemp("softhsm"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(hsm.conf))
        yield hsm


@pytest.fixture
def nsw_country() -> str:
    """The country of :func:`mock_nsw` (override in a conftest.py for another NSW)."""
    return "ID"


@pytest.fixture
def mock_nsw_factory() -> Iterator[Callable[..., ScriptedNsw]]:
    """Start scripted NSW mailboxes: ``mock_nsw_factory(country="VN", **options)``.

    Options are those of :class:`ScriptedNsw`, and ``fail_rate``, ``drop_rate``,
    ``latency_ms``, ``seed`` for its :class:`Faults`.
    """
    from aswbridge.testing.scripted import ScriptedNsw

    started: list[ScriptedNsw] = []

    def make(country: str = "ID", **options: Any) -> ScriptedNsw:
        mock = ScriptedNsw(country=country, **_with_faults(options))
        mock.start()
        started.append(mock)
        return mock

    yield make
    for mock in reversed(started):
        mock.stop()


@pytest.fixture
def mock_unipass_factory() -> Iterator[Callable[..., ScriptedUnipass]]:
    """Start scripted UNI-PASS services: ``mock_unipass_factory(**options)``.

    Options are those of :class:`ScriptedUnipass`, and ``fail_rate``, ``drop_rate``,
    ``latency_ms``, ``seed`` for its :class:`Faults`.
    """
    from aswbridge.testing.scripted import ScriptedUnipass

    started: list[ScriptedUnipass] = []

    def make(**options: Any) -> ScriptedUnipass:
        mock = ScriptedUnipass(**_with_faults(options))
        mock.start()
        started.append(mock)
        return mock

    yield make
    for mock in reversed(started):
        mock.stop()


@pytest.fixture
def mock_nsw(mock_nsw_factory: Callable[..., ScriptedNsw], nsw_country: str) -> ScriptedNsw:
    """A scripted NSW mailbox of ``nsw_country`` on loopback, for this test."""
    return mock_nsw_factory(country=nsw_country)


@pytest.fixture
def mock_unipass(mock_unipass_factory: Callable[..., ScriptedUnipass]) -> ScriptedUnipass:
    """A scripted UNI-PASS exchange service on loopback, for this test."""
    return mock_unipass_factory()


@pytest.fixture
def mock_mesh() -> Iterator[Callable[..., MockMesh]]:
    """Start meshes of mocks: ``mock_mesh(countries, unipass=True, profiles=None, **options)``.

    One NSW mailbox per country (in ``profiles[country]``, default ``asw``) and, with
    ``unipass``, the UNI-PASS mock as ``"KR"``; ``fail_rate``, ``drop_rate``,
    ``latency_ms``, ``seed`` make every mock's :class:`Faults`.
    """
    from aswbridge.testing.mesh import MockMesh

    started: list[MockMesh] = []

    def make(countries: Iterable[str], **options: Any) -> MockMesh:
        started.append(MockMesh.start(countries, **_with_faults(options)))
        return started[-1]

    yield make
    for mesh in reversed(started):
        mesh.stop()


@pytest.fixture
def unipass_responses() -> Iterator[UnipassResponses]:
    """UNI-PASS answered in-process through ``responses`` (loopback passes through)."""
    from aswbridge.testing.inprocess import UnipassResponses

    with UnipassResponses() as service:
        yield service


@pytest.fixture
def bridge_factory(tmp_path: Path) -> Iterator[Callable[..., BridgeUnderTest]]:
    """Make bridges: ``bridge_factory(nsw=..., unipass=..., pki=None, **options)``.

    ``nsw`` and ``unipass`` are mocks, URLs or sides; ``pki`` (a :class:`ThrowawayPki`)
    turns on signature checks against its roots and signing with its bridge key;
    other options go to :func:`~aswbridge.testing.bridge_between`.
    """
    from aswbridge.testing.harness import bridge_between

    made: list[BridgeUnderTest] = []

    def make(*, nsw: Any, unipass: Any, pki: ThrowawayPki | None = None, **options: Any) -> Any:
        if pki is not None:
            options.setdefault("trust", pki.trust())
            options.setdefault("signing", pki.bridge_key)
        options.setdefault("store", tmp_path / f"bridge-{len(made) + 1}.db")
        made.append(bridge_between(nsw=nsw, unipass=unipass, **options))
        return made[-1]

    yield make
    for bridge in reversed(made):
        bridge.stop()
        bridge.close()


@pytest.fixture
def bridge(
    bridge_factory: Callable[..., BridgeUnderTest],
    mock_nsw: ScriptedNsw,
    mock_unipass: ScriptedUnipass,
) -> BridgeUnderTest:
    """A bridge between :func:`mock_nsw` and :func:`mock_unipass` (unsigned allowed)."""
    return bridge_factory(nsw=mock_nsw, unipass=mock_unipass)
