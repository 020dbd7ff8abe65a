"""The crypto policy of signer chains: curves, RSA sizes, and KeyInfo in any order."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from signxml.signer import XMLSigner

from aswbridge import _xml
from aswbridge.errors import ConfigurationError, SecurityError
from aswbridge.security import TrustStore, VerificationPolicy, Verifier
from tests.security_support import DS, asw_document, ec_key, issue, name, serialise, sign

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def chain_on(root_key: object, leaf_key: object) -> tuple[TrustStore, bytes]:
    """A KR root with ``root_key`` and a signer with ``leaf_key``, and a signed document."""
    root_name = name("KR", "curve root")
    root = issue(
        subject=root_name,
        key=root_key,
        issuer_name=root_name,  # type: ignore[arg-type]
        issuer_key=root_key,
        ca=True,
    )  # type: ignore[arg-type]
    leaf = issue(
        subject=name("KR", "curve signer"),
        key=leaf_key,  # type: ignore[arg-type]
        issuer_name=name("KR", "curve root"),
        issuer_key=root_key,
    )  # type: ignore[arg-type]
    method = "ecdsa-sha256" if isinstance(leaf_key, ec.EllipticCurvePrivateKey) else "rsa-sha256"
    signed = XMLSigner(c14n_algorithm=EXC_C14N, signature_algorithm=method).sign(
        _xml.parse(asw_document()), key=leaf_key, cert=[leaf]
    )
    return TrustStore.from_certificates([root]), serialise(signed)


def code(data: bytes, trust: TrustStore, **policy: object) -> str | None:
    try:
        Verifier(VerificationPolicy(**policy)).verify(data, trust=trust)  # type: ignore[arg-type]
    except SecurityError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("root_curve", "leaf_curve"),
    [
        pytest.param(ec.SECP256R1(), ec.SECP192R1(), id="p192-signer"),
        pytest.param(ec.SECP256R1(), ec.SECP256K1(), id="secp256k1-signer"),
        pytest.param(ec.SECP256R1(), ec.SECP224R1(), id="p224-signer"),
        pytest.param(ec.SECP256R1(), ec.SECP521R1(), id="p521-signer-unconfigured"),
        pytest.param(ec.SECP521R1(), ec.SECP256R1(), id="p521-root-unconfigured"),
        pytest.param(ec.SECP256K1(), ec.SECP256R1(), id="secp256k1-root"),
    ],
)
def test_curves_outside_the_policy_are_refused(
    root_curve: ec.EllipticCurve, leaf_curve: ec.EllipticCurve
) -> None:
    trust, data = chain_on(ec.generate_private_key(root_curve), ec.generate_private_key(leaf_curve))
    assert code(data, trust) == "CERTIFICATE_INVALID"


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()], ids=["p256", "p384"])
def test_default_curves_verify(curve: ec.EllipticCurve) -> None:
    trust, data = chain_on(ec.generate_private_key(curve), ec.generate_private_key(curve))
    assert code(data, trust) is None


def test_p521_when_configured() -> None:
    trust, data = chain_on(
        ec.generate_private_key(ec.SECP521R1()), ec.generate_private_key(ec.SECP521R1())
    )
    assert code(data, trust) == "CERTIFICATE_INVALID"
    assert code(data, trust, allowed_curves={"P-256", "P-384", "P-521"}) is None
    with pytest.raises(ConfigurationError, match="allowed curves"):
        VerificationPolicy(allowed_curves={"secp256k1"})


def test_a_weak_rsa_ca_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    trust, data = chain_on(weak, ec_key())
    assert code(data, trust) == "CERTIFICATE_INVALID"


@pytest.mark.parametrize(
    "order",
    [("signer", "ca"), ("ca", "signer"), ("ca", "signer", "signer"), ("signer", "ca", "signer")],
    ids="-".join,
)
def test_keyinfo_order_does_not_matter(order: tuple[str, ...]) -> None:
    root_key, ca_key, leaf_key = ec_key(), ec_key(), ec_key()
    root = issue(
        subject=name("KR", "R"),
        key=root_key,
        issuer_name=name("KR", "R"),
        issuer_key=root_key,
        ca=True,
    )
    ca = issue(
        subject=name("KR", "CA"),
        key=ca_key,
        issuer_name=name("KR", "R"),
        issuer_key=root_key,
        ca=True,
    )
    leaf = issue(
        subject=name("KR", "S"), key=leaf_key, issuer_name=name("KR", "CA"), issuer_key=ca_key
    )
    data = _xml.parse(sign(asw_document(), (leaf_key, leaf, [ca])))
    x509_data = data.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}X509Data")
    assert x509_data is not None
    for child in list(x509_data):
        x509_data.remove(child)
    for which in order:
        element = x509_data.makeelement(f"{{{DS}}}X509Certificate")
        element.text = base64.b64encode(
            (leaf if which == "signer" else ca).public_bytes(Encoding.DER)
        ).decode()
        x509_data.append(element)
    verified = Verifier().verify(serialise(data), trust=TrustStore.from_certificates([root]))
    assert verified.subject == leaf.subject.rfc4514_string()
