"""The TEST-ONLY PKI and how trust material is read from files and folders."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from aswbridge.errors import ConfigurationError
from aswbridge.security import TrustStore, country_of, pki


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return pki.create(tmp_path_factory.mktemp("pki"))


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_every_country_has_its_roots_signers_and_crls(made: pki.Pki) -> None:
    assert made.countries == pki.COUNTRIES
    assert set(pki.COUNTRIES) == {"KR", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"}
    for cc in pki.COUNTRIES:
        folder = made.country(cc)
        authority = _cert(folder / "authority.pem")
        assert country_of(authority) == cc
        assert "TEST ONLY" in authority.subject.rfc4514_string()
        usage = authority.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature
        org = authority.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
        assert org[0].value == pki.AUTHORITIES[cc]
        crl = x509.load_pem_x509_crl((folder / "issuing-ca.crl.pem").read_bytes())
        revoked = _cert(folder / "revoked.pem")
        assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None


def test_bad_signers_are_bad_in_the_advertised_way(made: pki.Pki) -> None:
    now = datetime.now(UTC)
    folder = made.country("KR")
    assert _cert(folder / "expired.pem").not_valid_after_utc < now
    assert _cert(folder / "not-yet-valid.pem").not_valid_before_utc > now
    usage = _cert(folder / "wrong-usage.pem").extensions.get_extension_for_class(x509.KeyUsage)
    assert not usage.value.digital_signature


def test_private_keys_are_private_and_marked(made: pki.Pki) -> None:
    key = made.country("TH") / "authority.key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    bridge_key, bridge_cert = made.bridge
    assert bridge_key.exists() and "bridge" in _cert(bridge_cert).subject.rfc4514_string()


def test_rsa_authority_keys_on_request(tmp_path: Path) -> None:
    made = pki.create(tmp_path, countries=("sg",), key_type="rsa")
    key, _, chain = made.load("SG")
    assert "RSA" in type(key).__name__
    assert key.key_size >= 2048
    assert len(chain) == 1


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        pki.create(tmp_path, countries=("KOR",))
    with pytest.raises(ConfigurationError):
        pki.create(tmp_path, key_type="dsa")  # type: ignore[arg-type]


def test_folder_rules_scope_anchors_and_skip_keys(
    made: pki.Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    original = Path.read_bytes

    def spy(self: Path) -> bytes:
        opened.append(self.name)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    store = TrustStore.from_paths([made.path])
    assert not [name for name in opened if "key" in name]
    assert len(store.anchors) == len(pki.COUNTRIES) + 1  # a root per country + the bridge's
    assert len(store.intermediates) == len(pki.COUNTRIES)
    assert len(store.crls) == 2 * len(pki.COUNTRIES)
    # bridge/ is not a country folder: its root is trusted for its own subject's country
    assert sorted(store.scopes.values()) == sorted([*pki.COUNTRIES, "KR"])


def test_a_named_file_is_an_anchor_even_if_not_self_signed(made: pki.Pki) -> None:
    store = TrustStore.from_paths([made.country("KR") / "issuing-ca.pem"])
    assert [c.subject for c in store.anchors] == [
        _cert(made.country("KR") / "issuing-ca.pem").subject
    ]


def test_unreadable_material_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigurationError):
        TrustStore.from_paths([bad])
    with pytest.raises(ConfigurationError):
        TrustStore.from_paths([tmp_path / "missing"])
