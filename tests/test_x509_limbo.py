"""The signer-chain checks against x509-limbo's chain-building and key-usage cases.

Each case gives trust anchors, untrusted intermediates, a peer (signer) certificate, a
validation time, CRLs and the extended key usage the validator asks for, and the expected
result. The case runs through :meth:`TrustStore.validate` exactly as a document signer's
chain does; the usage limbo asks for (``serverAuth`` / ``clientAuth``) is configured as
the role mark, as a partner's own OID would be. CRLs, when a case has any, are checked
with ``hard-fail``.

A case whose result differs from limbo's is listed in ``DIFFERENT`` with the reason; the
test then asserts that it still differs, so a list entry cannot hide a change.
"""

from __future__ import annotations

import base64
import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from aswbridge import _xml
from aswbridge.errors import AswBridgeError, SecurityError
from aswbridge.security import TrustStore, Verifier, fingerprint
from aswbridge.security.roles import role_oids
from tests.security_support import DS, asw_document, ec_key, issue, name, serialise, sign

DATA = Path(__file__).parent / "data" / "x509-limbo" / "limbo-subset.json"
CASES: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))["testcases"]
USAGES = {"serverAuth": "1.3.6.1.5.5.7.3.1", "clientAuth": "1.3.6.1.5.5.7.3.2"}

_A_CA_NEVER_SIGNS = "stricter by design: a CA certificate never signs a document (KEY_USAGE)"
_SELF_ISSUED = (
    "cryptography's path builder, used as is, builds no path through a self-issued "
    "intermediate (renewed CA key under the same name): refused as UNTRUSTED_SIGNER"
)
DIFFERENT = {
    "pathlen::validation-ignores-pathlen-in-leaf": _A_CA_NEVER_SIGNS,
    "rfc5280::ca-as-leaf": _A_CA_NEVER_SIGNS,
    "rfc5280::no-keyusage": (
        "stricter by design: a document signer must carry KeyUsage digitalSignature"
    ),
    "crl::issuer-no-keyusage-extension": (
        "stricter: a CA must carry KeyUsage (RFC 5280 4.2.1.3 conforming CAs; the RFC 5280 "
        "profile of cryptography's verifier requires it)"
    ),
    "pathlen::self-issued-certs-pathlen": _SELF_ISSUED,
    "pathlen::max-chain-depth-1-self-issued": _SELF_ISSUED,
    "rfc5280::aki::cross-signed-root-missing-aki": (
        "the certificate without an authority key identifier is a configured trust anchor: "
        "an anchor is trusted as configured, its own extensions are not profiled"
    ),
}


def _load(pem: str) -> x509.Certificate:
    with warnings.catch_warnings():  # a zero serial number warns when read; it is refused
        warnings.simplefilter("ignore")
        return x509.load_pem_x509_certificate(pem.encode())


def run(case: dict[str, Any]) -> str:
    """``SUCCESS`` or ``FAILURE``, as limbo spells them."""
    anchors = tuple(_load(pem) for pem in case["trusted_certs"])
    purposes = [USAGES[u] for u in case["extended_key_usage"]] or [
        USAGES["serverAuth" if case["validation_kind"] == "SERVER" else "clientAuth"]
    ]
    crls = tuple(x509.load_pem_x509_crl(pem.encode()) for pem in case["crls"] or ())
    store = TrustStore(
        anchors=anchors,
        crls=crls,
        scopes={fingerprint(a): "KR" for a in anchors},
        oids={"KR": role_oids({"authority": purposes})},
    )
    at = (
        datetime.fromisoformat(case["validation_time"])
        if case["validation_time"]
        else datetime.now(UTC)
    )
    depth = {} if case["max_chain_depth"] is None else {"max_chain_depth": case["max_chain_depth"]}
    try:
        store.validate(
            _load(case["peer_certificate"]),
            untrusted=[_load(pem) for pem in case["untrusted_intermediates"]],
            at=at,
            revocation="hard-fail" if crls else "soft-fail",
            **depth,  # type: ignore[arg-type]
        )
    except AswBridgeError:
        return "FAILURE"
    return "SUCCESS"


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_limbo_case(case: dict[str, Any]) -> None:
    result = run(case)
    if case["id"] in DIFFERENT:
        assert result != case["expected_result"], f"now as limbo expects: {case['id']}"
    else:
        assert result == case["expected_result"], case["description"]


def test_the_subset_and_its_differences() -> None:
    """83 cases, 76 as limbo expects; every listed difference names a case of the file."""
    ids = {c["id"] for c in CASES}
    assert len(CASES) == 83 and set(DIFFERENT) <= ids
    assert len(ids) - len(DIFFERENT) == 76


def test_a_certificate_limbo_calls_malformed_in_keyinfo_is_a_typed_refusal() -> None:
    """Read through the verifier, a certificate with two SAN extensions is refused with a
    reason code, never an untyped exception."""
    (case,) = (c for c in CASES if c["id"] == "rfc5280::duplicate-extensions")
    root_key, leaf_key = ec_key(), ec_key()
    root = issue(
        subject=name("KR", "R"),
        key=root_key,
        issuer_name=name("KR", "R"),
        issuer_key=root_key,
        ca=True,
    )
    leaf = issue(
        subject=name("KR", "S"), key=leaf_key, issuer_name=name("KR", "R"), issuer_key=root_key
    )
    signed = _xml.parse(sign(asw_document(), (leaf_key, leaf, [])))
    cert = signed.find(f".//{{{DS}}}X509Certificate")
    assert cert is not None
    der = _load(case["peer_certificate"]).public_bytes(Encoding.DER)
    cert.text = base64.b64encode(der).decode()
    with pytest.raises(SecurityError) as refused:
        Verifier().verify(serialise(signed), trust=TrustStore.from_certificates([root]))
    assert refused.value.code == "KEY_INFO_NOT_ALLOWED"
