"""Certificate checks: the K series of docs/threat-model.md, and the issuer binding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from signxml.signer import XMLSigner

from aswbridge import _xml
from aswbridge.errors import SecurityError
from aswbridge.security import (
    TrustStore,
    VerificationPolicy,
    Verified,
    Verifier,
    check_issuer,
    fingerprint,
    pki,
)
from aswbridge.security.pki import Pki
from aswbridge.security.roles import DOCUMENT_SIGNING
from tests.security_support import asw_document, ec_key, issue, name, serialise, sign

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def pki_at_now(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("KR", "TH"), now=NOW)


@pytest.fixture(scope="module")
def trust(pki_at_now: Pki) -> TrustStore:
    return TrustStore.from_paths([pki_at_now.path])


def verify(data: bytes, trust: TrustStore, **policy: object) -> Verified:
    return Verifier(VerificationPolicy(**policy)).verify(data, trust=trust)  # type: ignore[arg-type]


def refused(data: bytes, trust: TrustStore, code: str, **policy: object) -> SecurityError:
    with pytest.raises(SecurityError) as caught:
        verify(data, trust, **policy)
    assert caught.value.code == code, caught.value
    return caught.value


def signed_by(pki_at_now: Pki, cc: str = "KR", who: str = "authority") -> bytes:
    return sign(asw_document(), pki_at_now.load(cc, who))


# --- K1 / K2 / K7: chains --------------------------------------------------------------


def test_k1_good_chain_through_keyinfo_intermediate(pki_at_now: Pki) -> None:
    only_root = TrustStore.from_paths([pki_at_now.country("KR") / "root-ca.pem"])
    verified = verify(signed_by(pki_at_now), only_root)
    subjects = [c.subject.rfc4514_string() for c in verified.chain]
    assert ["Root CA" in s for s in subjects] == [False, False, True]
    assert verified.fingerprint == fingerprint(verified.signer)


def test_k2_untrusted_root(pki_at_now: Pki) -> None:
    thai_only = TrustStore.from_paths([pki_at_now.country("TH")])
    refused(signed_by(pki_at_now, "KR"), thai_only, "UNTRUSTED_SIGNER")


def test_k7_missing_intermediate(pki_at_now: Pki) -> None:
    key, cert, _ = pki_at_now.load("KR")
    data = sign(asw_document(), (key, cert, []))
    only_root = TrustStore.from_paths([pki_at_now.country("KR") / "root-ca.pem"])
    error = refused(data, only_root, "UNTRUSTED_SIGNER")
    assert "no path" in error.message
    # The intermediate from configuration (the country folder) completes the path.
    assert verify(data, TrustStore.from_paths([pki_at_now.country("KR")])).country == "KR"


# --- K3: validity periods --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [("expired", "CERT_EXPIRED"), ("not-yet-valid", "CERT_NOT_YET_VALID")],
)
def test_k3_signer_outside_its_validity(
    pki_at_now: Pki, trust: TrustStore, who: str, code: str
) -> None:
    refused(signed_by(pki_at_now, "KR", who), trust, code)


def test_k3_validation_time_is_injected(pki_at_now: Pki, trust: TrustStore) -> None:
    data = signed_by(pki_at_now, "KR", "expired")
    past = NOW - timedelta(days=200)  # inside the expired certificate's period
    assert verify(data, trust, at=past).country == "KR"
    refused(signed_by(pki_at_now), trust, "CERT_EXPIRED", at=NOW + timedelta(days=3650))


def test_k3_expired_intermediate(trust: TrustStore) -> None:
    root_key, ca_key, leaf_key = ec_key(), ec_key(), ec_key()
    root = issue(
        subject=name("KR", "R"),
        key=root_key,
        issuer_name=name("KR", "R"),
        issuer_key=root_key,
        ca=True,
        start=NOW - timedelta(days=900),
        days=3000,
    )
    ca = issue(
        subject=name("KR", "CA"),
        key=ca_key,
        issuer_name=name("KR", "R"),
        issuer_key=root_key,
        ca=True,
        start=NOW - timedelta(days=800),
        days=400,
    )
    leaf = issue(
        subject=name("KR", "leaf"),
        key=leaf_key,
        issuer_name=name("KR", "CA"),
        issuer_key=ca_key,
        start=NOW - timedelta(days=10),
    )
    store = TrustStore.from_certificates([root])
    refused(sign(asw_document(), (leaf_key, leaf, [ca])), store, "CERT_EXPIRED")


# --- K4 / K5 / K6: usage ---------------------------------------------------------------


def test_k4_signer_without_digital_signature(pki_at_now: Pki, trust: TrustStore) -> None:
    refused(signed_by(pki_at_now, "KR", "wrong-usage"), trust, "KEY_USAGE")


def test_k5_ca_certificate_used_as_signer(pki_at_now: Pki, trust: TrustStore) -> None:
    ca_key = ec_key()
    root = issue(
        subject=name("KR", "R5"),
        key=ca_key,
        issuer_name=name("KR", "R5"),
        issuer_key=ca_key,
        ca=True,
    )
    data = sign(asw_document(), (ca_key, root, []))
    refused(data, TrustStore.from_certificates([root]), "KEY_USAGE")


EKU = x509.oid.ExtendedKeyUsageOID


@pytest.mark.parametrize(
    ("eku", "expect_refusal"),
    [
        pytest.param(None, False, id="no-eku"),
        pytest.param(EKU.EMAIL_PROTECTION, False, id="email-protection"),
        pytest.param(x509.ObjectIdentifier(DOCUMENT_SIGNING), False, id="document-signing"),
        pytest.param(EKU.ANY_EXTENDED_KEY_USAGE, False, id="any"),
        pytest.param(EKU.CLIENT_AUTH, True, id="client-auth"),
        pytest.param(EKU.SERVER_AUTH, True, id="server-auth"),
        pytest.param(EKU.CODE_SIGNING, True, id="code-signing"),
    ],
)
def test_k6_extended_key_usage_is_checked_where_present(
    eku: x509.ObjectIdentifier | None, expect_refusal: bool
) -> None:
    """Signers need digitalSignature; an EKU, when present, must allow signing documents."""
    root_key, leaf_key = ec_key(), ec_key()
    root = issue(
        subject=name("TH", "R6"),
        key=root_key,
        issuer_name=name("TH", "R6"),
        issuer_key=root_key,
        ca=True,
    )
    extensions = [] if eku is None else [x509.ExtendedKeyUsage([eku])]
    leaf = issue(
        subject=name("TH", "leaf6"),
        key=leaf_key,
        issuer_name=name("TH", "R6"),
        issuer_key=root_key,
        extensions=extensions,
    )
    data = sign(asw_document(), (leaf_key, leaf, []))
    if expect_refusal:
        refused(data, TrustStore.from_certificates([root]), "KEY_USAGE")
    else:
        assert verify(data, TrustStore.from_certificates([root])).country == "TH"


# --- K8-K10: revocation ----------------------------------------------------------------


def test_k8_revoked_signer(pki_at_now: Pki, trust: TrustStore) -> None:
    refused(signed_by(pki_at_now, "KR", "revoked"), trust, "REVOKED")
    refused(signed_by(pki_at_now, "KR", "revoked"), trust, "REVOKED", revocation="hard-fail")


def _store_with_crls(pki_at_now: Pki, crls: list[bytes], tmp_path: Path) -> TrustStore:
    files = []
    for n, data in enumerate(crls):
        path = tmp_path / f"extra-{n}.crl.pem"
        path.write_bytes(data)
        files.append(path)
    folder = pki_at_now.country("KR")
    return TrustStore.from_paths(
        [folder / "root-ca.pem", folder / "issuing-ca.pem", folder / "root-ca.crl.pem"],
        crls=files,
    )


def _crl(issuer: x509.Name, key: object, *, next_update: datetime) -> bytes:
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(NOW - timedelta(days=60))
        .next_update(next_update)
        .add_extension(x509.CRLNumber(1), critical=False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return crl.public_bytes(serialization.Encoding.PEM)


def _issuing_ca(pki_at_now: Pki) -> x509.Certificate:
    return x509.load_pem_x509_certificate(
        (pki_at_now.country("KR") / "issuing-ca.pem").read_bytes()
    )


@pytest.mark.parametrize("case", ["forged-signature", "stale", "no-crl"])
def test_k9_k10_revocation_unknown_follows_the_policy(
    pki_at_now: Pki, tmp_path: Path, case: str
) -> None:
    issuing = _issuing_ca(pki_at_now)
    if case == "forged-signature":
        crls = [_crl(issuing.subject, ec_key(), next_update=NOW + timedelta(days=5))]
    elif case == "stale":
        # The issuing CA's genuine CRL, read after its next_update.
        old = x509.load_pem_x509_crl((pki_at_now.country("KR") / "issuing-ca.crl.pem").read_bytes())
        at = old.next_update_utc + timedelta(days=1)  # type: ignore[operator]
        store = _store_with_crls(
            pki_at_now, [old.public_bytes(serialization.Encoding.PEM)], tmp_path
        )
        data = signed_by(pki_at_now)
        refused(data, store, "REVOCATION_UNKNOWN", revocation="hard-fail", at=at)
        soft = verify(data, store, revocation="soft-fail", at=at)
        assert any("unknown" in w for w in soft.warnings)
        return
    else:
        crls = []
    store = _store_with_crls(pki_at_now, crls, tmp_path)
    data = signed_by(pki_at_now)
    refused(data, store, "REVOCATION_UNKNOWN", revocation="hard-fail")
    soft = verify(data, store, revocation="soft-fail")
    assert soft.country == "KR"
    assert len(soft.warnings) == 1 and "unknown" in soft.warnings[0]


def test_k10_current_crls_give_no_warning(pki_at_now: Pki, trust: TrustStore) -> None:
    verified = verify(signed_by(pki_at_now), trust, revocation="hard-fail")
    assert verified.warnings == ()


# --- K11 / K12: weak crypto and rotation -----------------------------------------------


def test_k11_rsa_1024_signer_is_refused() -> None:
    root_key = ec_key()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    root = issue(
        subject=name("KR", "R11"),
        key=root_key,
        issuer_name=name("KR", "R11"),
        issuer_key=root_key,
        ca=True,
    )
    leaf = issue(
        subject=name("KR", "weak"), key=weak, issuer_name=name("KR", "R11"), issuer_key=root_key
    )
    signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        _xml.parse(asw_document()), key=weak, cert=[leaf]
    )
    refused(serialise(signed), TrustStore.from_certificates([root]), "CERTIFICATE_INVALID")


def test_k12_trust_store_rotation(tmp_path: Path) -> None:
    old = pki.create(tmp_path / "old", countries=("VN",))
    new = pki.create(tmp_path / "new", countries=("VN",))
    both = TrustStore.from_paths([old.country("VN"), new.country("VN")])
    from_old, from_new = (sign(asw_document(), p.load("VN")) for p in (old, new))
    assert verify(from_old, both).country == verify(from_new, both).country == "VN"
    refused(from_old, TrustStore.from_paths([new.country("VN")]), "UNTRUSTED_SIGNER")


# --- binding the signer to the issuing authority ---------------------------------------


def test_signer_country_must_be_the_issuing_country(pki_at_now: Pki, trust: TrustStore) -> None:
    verified = verify(signed_by(pki_at_now, "KR"), trust)
    check_issuer(verified, issuing_country="KR")
    check_issuer(verified, issuing_country="kr")
    with pytest.raises(SecurityError) as caught:
        check_issuer(verified, issuing_country="TH")
    assert caught.value.code == "SIGNER_NOT_ISSUER"


def test_anchor_scope_binds_a_country_folder(pki_at_now: Pki, tmp_path: Path) -> None:
    """A signer saying C=TH but chaining to Korea's root is not Thailand's authority."""
    folder = tmp_path / "KR"
    folder.mkdir()
    root_key, leaf_key = ec_key(), ec_key()
    root = issue(
        subject=name("KR", "scoped root"),
        key=root_key,
        issuer_name=name("KR", "scoped root"),
        issuer_key=root_key,
        ca=True,
    )
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    leaf = issue(
        subject=name("TH", "claims Thailand"),
        key=leaf_key,
        issuer_name=name("KR", "scoped root"),
        issuer_key=root_key,
    )
    verified = verify(sign(asw_document(), (leaf_key, leaf, [])), TrustStore.from_paths([tmp_path]))
    assert verified.authority.anchor_scope == "KR"
    with pytest.raises(SecurityError) as caught:
        check_issuer(verified, issuing_country="TH")
    assert caught.value.code == "SIGNER_NOT_ISSUER"


def test_authority_pins(pki_at_now: Pki, trust: TrustStore) -> None:
    verified = verify(signed_by(pki_at_now, "KR"), trust)
    colon = ":".join(verified.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    check_issuer(verified, issuing_country="KR", authority_id="KCS", pins={"KCS": colon})
    check_issuer(verified, issuing_country="KR", authority_id="KCS", pins={"KCS": verified.subject})
    check_issuer(verified, issuing_country="KR", authority_id="OTHER", pins={"KCS": "00"})
    with pytest.raises(SecurityError) as caught:
        check_issuer(verified, issuing_country="KR", authority_id="KCS", pins={"KCS": "ab" * 32})
    assert caught.value.code == "SIGNER_NOT_ISSUER"


@pytest.mark.parametrize(
    ("claimed", "code"),
    [
        (NOW - timedelta(days=400), "CERT_NOT_YET_VALID"),
        (NOW + timedelta(days=900), "CERT_EXPIRED"),
    ],
    ids=["before-signer-valid", "after-signer-expired"],
)
def test_validity_at_the_claimed_signing_time(
    pki_at_now: Pki, trust: TrustStore, claimed: datetime, code: str
) -> None:
    verified = verify(signed_by(pki_at_now, "KR"), trust)
    check_issuer(verified, issuing_country="KR", signed_at=NOW - timedelta(days=1))
    with pytest.raises(SecurityError) as caught:
        check_issuer(verified, issuing_country="KR", signed_at=claimed)
    assert caught.value.code == code
