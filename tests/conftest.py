"""Fixtures shared by the test modules (the pytest plugin of aswbridge.testing adds its own:
``test_pki``, ``mock_nsw``, ``bridge`` and the others testers use)."""

from __future__ import annotations

import pytest

from aswbridge.security import pki


@pytest.fixture(scope="session")
def country_pki(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    """A TEST-ONLY PKI (:mod:`aswbridge.security.pki` layout) for Indonesia, Korea, Thailand
    and Viet Nam, made once per session: roots, issuing CAs, authority, exporter and bridge
    signers. (The plugin's ``test_pki`` is the testers' :class:`ThrowawayPki` instead.)"""
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("ID", "KR", "TH", "VN"))
