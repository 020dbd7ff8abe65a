"""For an ASW developer: translate one message and verify its signature, with no server at all.

``aswbridge.translate`` is a pure function (bytes in, bytes out), the same one the relay runs
on every message. This script takes Indonesia's signed e-Form AK (ASW profile) and:

1. verifies its signature against Indonesia's trust anchor, and shows who signed it;
2. translates it into a UNI-PASS message. The signature is verified on the way, every check
   runs on both sides, and the output is signed with the bridge's key and names the
   original signer;
3. shows it as canonical JSON, the library's neutral form;
4. shows three refusals and their codes: a certificate altered after signing, a certificate
   signed by the wrong country's authority, and an HS code that does not exist.

The PKI is a throwaway TEST-ONLY one, made in a temporary folder.

Run: ``.venv/bin/python examples/asw_translate_and_verify.py``
"""

import json
import tempfile
from pathlib import Path

import aswbridge
from aswbridge import samples
from aswbridge.pipeline import SigningKey
from aswbridge.security import TrustStore, Verifier, pki


def signer(test_pki: pki.Pki, country: str) -> SigningKey:
    """The issuing authority's key of ``country`` in the test PKI (TEST ONLY)."""
    key, cert, chain = test_pki.signer(country)
    return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))


def check(condition: bool, what: str) -> None:
    """Exit non-zero when what the example shows did not happen."""
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def main(work: Path) -> None:
    test_pki = pki.create(work / "pki", countries=("ID", "KR"))  # TEST ONLY: never for real
    indonesia = signer(test_pki, "ID")  # the issuing authority's key
    key, cert = test_pki.bridge
    bridge = SigningKey.from_files(key=str(key), cert=str(cert))
    # Trust anchors are configured, never taken from the message: Indonesia's root CA.
    trust = TrustStore.from_paths([test_pki.country("ID")])

    certificate = samples.form_ak_id_kr()
    signed = aswbridge.write(certificate, profile="asw", signing=indonesia)  # as the NSW sends it

    # 1. Verify: who signed, and the chain up to the configured anchor.
    verified = Verifier().verify(signed, trust=trust)
    print(f"1. signed by {verified.authority.subject}")
    print(f"   chain of {len(verified.chain)} certificates to Indonesia's root")

    # 2. Translate ASW -> UNI-PASS: verify, validate, check the rules, map, sign.
    korean = aswbridge.translate(
        signed, source="asw", target="unipass", trust=trust, signing=bridge
    )
    profile, message = aswbridge.read(korean)
    check(profile == "unipass" and b"<EcoMsg" in korean, "a UNI-PASS message")
    first = message.envelope.original_signer
    check(
        first is not None and first.fingerprint == verified.authority.fingerprint,
        "the original signer is named in the envelope",
    )
    print(f"2. {profile}: {len(korean)} bytes, signed by the bridge for {first and first.subject}")

    # 3. Canonical JSON (unsigned: a neutral view for logs, tests and other systems).
    data = json.loads(aswbridge.translate(signed, source="asw", target="canonical"))
    item = data["items"][0]
    print(
        f"3. canonical: {data['kind']} {data['id']} {data['form']}, item 1: "
        f"HS {item['hs']['code']} ({item['hs']['edition']}) {item['description']!r}"
    )

    # 4a. Altered after signing: the digest no longer matches what was signed.
    forged = signed.replace(b"<Amount>", b"<Amount>1", 1)  # raise the first FOB value
    refusals = {}
    try:
        aswbridge.translate(forged, source="asw", target="unipass", trust=trust)
    except aswbridge.SecurityError as exc:
        refusals["altered"] = exc.code
    # 4b. Signed by Korea's authority although Indonesia issued it: the signer is not the issuer.
    # Korea's root is trusted too here, so the chain is fine: the binding is what refuses it.
    wrong = aswbridge.write(certificate, profile="asw", signing=signer(test_pki, "KR"))
    both = TrustStore.from_paths([test_pki.country("ID"), test_pki.country("KR")])
    try:
        aswbridge.translate(wrong, source="asw", target="unipass", trust=both)
    except aswbridge.SecurityError as exc:
        refusals["wrong signer"] = exc.code
    # 4c. A business-rule finding. problems_of lists them and never raises for a bad message;
    # it reads canonical JSON as well as either profile.
    data["items"][0]["hs"]["code"] = "99999999"
    problems = aswbridge.problems_of(json.dumps(data).encode())
    refusals["bad HS code"] = problems[0].code if problems else "none"
    for what, code in refusals.items():
        print(f"4. refused ({what}): {code}")
    for problem in problems:
        print(f"   {problem}")
    expected = {"altered": "DIGEST_MISMATCH", "wrong signer": "SIGNER_NOT_ISSUER"}
    check(refusals == {**expected, "bad HS code": "HS_UNKNOWN"}, f"the refusals: {refusals}")
    print("OK: verified, translated, signed; the three bad messages refused with their codes")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="aswbridge-translate-") as folder:
        main(Path(folder))
