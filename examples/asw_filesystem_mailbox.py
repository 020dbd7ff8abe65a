"""For an ASW developer: plug the bridge into an NSW that exchanges files through folders.

The bridge reads the NSW's messages from ``in/``, moves each to ``processed/`` once recorded
(or to ``failed/`` with a ``.reason.json`` when refused) and writes what arrives for the NSW
into ``out/``. With Indonesia's NSW:

1. ``bridge.toml`` names the folder mailbox, UNI-PASS's URL, the trust anchors and the
   bridge's signing key;
2. the NSW drops a signed Form AK for Korea into ``in/``, atomically (a temporary name, then
   a rename), and an unsigned one, which the bridge refuses;
3. the bridge delivers the certificate to UNI-PASS; Korea Customs' decision arrives in ``out/``.

UNI-PASS is a mock service on loopback. The PKI is a throwaway TEST-ONLY one.

Run: ``.venv/bin/python examples/asw_filesystem_mailbox.py``
"""

import json
import logging
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import aswbridge
from aswbridge import samples
from aswbridge.config import load_config
from aswbridge.model import Response
from aswbridge.pipeline import SigningKey
from aswbridge.relay.factory import build_bridge
from aswbridge.security import TrustStore, fingerprint, load_certificates, pki
from aswbridge.testing.mocks import MockUnipass

BRIDGE_TOML = """\
[bridge]
country = "ID"                  # the NSW this bridge serves
store = "bridge-id.db"          # SQLite, relative to this file

[nsw]
mailbox = "mailbox"             # holds in/ out/ processed/ failed/

[unipass]
url = "{unipass}"

[retry]                         # short delays, for this example only
initial = 0.05
maximum = 0.2
jitter = 0

[trust]                         # TEST-ONLY PKI: Indonesia's and Korea's authorities
anchors = ["pki/ID", "pki/KR"]
sign_key = "pki/bridge/bridge.key.pem"
sign_cert = "pki/bridge/bridge.pem"
"""


def drop(folder: Path, name: str, body: bytes) -> None:
    """Put a file into the mailbox as an NSW must: write a temporary name, then rename."""
    temp = folder / f".{name}.tmp"
    temp.write_bytes(body)
    os.replace(temp, folder / name)


def signer(test_pki: pki.Pki, country: str) -> SigningKey:
    """The issuing authority's key of ``country`` in the test PKI (TEST ONLY)."""
    key, cert, chain = test_pki.signer(country)
    return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))


def check(condition: bool, what: str) -> None:
    """Exit non-zero when what the example shows did not happen."""
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def main(work: Path) -> None:
    logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    test_pki = pki.create(work / "pki", countries=("ID", "KR"))  # TEST ONLY
    with MockUnipass(signing=signer(test_pki, "KR")) as unipass:  # Korea Customs signs
        (work / "bridge.toml").write_text(BRIDGE_TOML.format(unipass=unipass.url))
        bridge = build_bridge(load_config(work / "bridge.toml"))  # creates the four folders
        mailbox = work / "mailbox"

        # The NSW issues a signed Form AK for Korea, and an unsigned certificate by mistake.
        certificate = samples.form_ak_id_kr()
        signed = aswbridge.write(certificate, profile="asw", signing=signer(test_pki, "ID"))
        drop(mailbox / "in", "form-ak.xml", signed)
        unsigned = samples.certificate("FORM_AK", "ID", "KR", 2, name="unsigned")
        drop(mailbox / "in", "unsigned.xml", aswbridge.write(unsigned, profile="asw"))

        for _ in range(20):  # a relay would call run_forever(); here, pass by pass
            report = bridge.run_once()
            print(f"pass: pulled={report.pulled} refused={report.rejected} sent={report.delivered}")
            if any((mailbox / "out").glob("*.xml")):
                break
        for side in bridge.sides.values():
            side.close()
        bridge.store.close()

    for folder in ("in", "processed", "failed", "out"):
        print(f"{folder + '/':11} {sorted(p.name for p in (mailbox / folder).glob('[!.]*'))}")
    check((mailbox / "processed" / "form-ak.xml").exists(), "the certificate was recorded")
    check(certificate.envelope.message_id in unipass.mailbox.received, "it reached UNI-PASS")

    # The refusal and its reason, for the NSW's operators.
    reason = json.loads((mailbox / "failed" / "unsigned.xml.reason.json").read_text())
    print(f"refused unsigned.xml: {reason['code']}")
    check(reason["code"] == "SIGNATURE_MISSING", "the unsigned certificate was refused")

    # Korea Customs' decision in out/: an ASW message signed by the bridge, which the NSW
    # verifies against the bridge's certificate (the bridge signs for Korea Customs).
    answers = sorted((mailbox / "out").glob("*.xml"))
    check(len(answers) == 1, "one file in out/")
    bridge_cert = load_certificates(test_pki.bridge[1])[0]
    trust = TrustStore.from_paths([test_pki.path / "bridge"])
    _, decision = aswbridge.read(
        answers[0].read_bytes(), trust=trust, bridges=[fingerprint(bridge_cert)]
    )
    if not isinstance(decision.document, Response):
        raise SystemExit(f"FAILED: a {decision.kind} in out/, not a customs decision")
    check(decision.envelope.correlation_id == certificate.envelope.message_id, "it answers ours")
    given = Counter(d.preference for d in decision.document.decisions)
    print(f"out/{answers[0].name}: decision on {decision.envelope.correlation_id}: {dict(given)}")
    print("OK: certificate delivered to UNI-PASS, decision in out/, unsigned file in failed/")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="aswbridge-filebox-") as folder:
        main(Path(folder))
