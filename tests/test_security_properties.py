"""Properties: a mutated signed document never verifies with different content; threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from aswbridge.errors import AswBridgeError
from aswbridge.security import TrustStore, Verifier, pki
from tests.security_support import asw_document, sign

_DIR: dict[str, object] = {}


def _material(tmp: Path) -> tuple[bytes, TrustStore, bytes]:
    if "signed" not in _DIR:
        made = pki.create(tmp, countries=("KR",))
        signed = sign(asw_document(), made.load("KR"), exporter=made.load("KR", "exporter"))
        trust = TrustStore.from_paths([made.path])
        content = etree.tostring(Verifier().verify(signed, trust=trust).signed, method="c14n")
        _DIR.update(signed=signed, trust=trust, content=content)
    return _DIR["signed"], _DIR["trust"], _DIR["content"]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, TrustStore, bytes]:
    return _material(tmp_path_factory.mktemp("pki"))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.floats(0, 1, exclude_max=True), byte=st.integers(0x20, 0x7E))
def test_single_byte_mutation_never_verifies_other_content(
    material: tuple[bytes, TrustStore, bytes], position: float, byte: int
) -> None:
    signed, trust, content = material
    index = int(position * len(signed))
    mutated = signed[:index] + bytes([byte]) + signed[index + 1 :]
    try:
        verified = Verifier().verify(mutated, trust=trust)
    except AswBridgeError:
        return  # refused: fine
    # Accepted only when the change did not touch what was signed (c14n-equivalent).
    assert etree.tostring(verified.signed, method="c14n") == content


def test_concurrent_verification_shares_one_store(
    material: tuple[bytes, TrustStore, bytes],
) -> None:
    signed, trust, content = material
    verifier = Verifier()
    tampered = signed.replace(b"Kim Min-jun", b"Kim Min-jin")

    def check(n: int) -> str:
        try:
            got = verifier.verify(tampered if n % 3 == 0 else signed, trust=trust)
        except AswBridgeError as exc:
            return exc.code
        assert etree.tostring(got.signed, method="c14n") == content
        return "OK"

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, range(60)))
    assert results.count("DIGEST_MISMATCH") == 20
    assert results.count("OK") == 40
