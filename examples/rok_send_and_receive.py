"""For a ROK developer: send a Korean certificate to an NSW, receive ASEAN ones into UNI-PASS.

It shows one bridge between UNI-PASS and Viet Nam's NSW (one bridge for each NSW is the usual
setup), built from a configuration the way ``aswbridge run`` builds it:

1. Korea Customs issues a Form AK for Viet Nam. UNI-PASS queues it, the bridge checks the
   signature, translates the message to the ASW profile, signs it and delivers it to the NSW.
2. Viet Nam issues a Form AK for Korea. It goes the other way and reaches UNI-PASS.
3. Each importing customs answers with its decision, and the bridge carries it back.

UNI-PASS and the NSW gateway are mock services on loopback. The PKI is a throwaway
TEST-ONLY one, made in a temporary folder.

Run: ``.venv/bin/python examples/rok_send_and_receive.py``
"""

import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import aswbridge
from aswbridge import samples
from aswbridge.config import RelayConfig, SideConfig, TrustConfig
from aswbridge.pipeline import SigningKey
from aswbridge.relay.factory import build_bridge
from aswbridge.security import TrustStore, fingerprint, load_certificates, pki
from aswbridge.testing.mocks import MockNsw, MockUnipass
from aswbridge.transport.retry import RetryPolicy

#: Plain HTTP to the mocks on loopback, never through a proxy from the environment.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def signer(test_pki: pki.Pki, country: str) -> SigningKey:
    """The issuing authority's key of ``country`` in the test PKI (TEST ONLY)."""
    key, cert, chain = test_pki.signer(country)
    return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))


def inject(root_url: str, body: bytes) -> None:
    """Queue ``body`` on a mock as if that partner system had sent it (``/_mock/outbound``)."""
    request = urllib.request.Request(f"{root_url}/_mock/outbound", data=body, method="POST")
    try:
        LOOPBACK.open(request, timeout=5).close()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"the mock refused the message: {exc.read().decode()}") from None


def check(condition: bool, what: str) -> None:
    """Exit non-zero when what the example shows did not happen."""
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def main(work: Path) -> None:
    # TEST-ONLY PKI: a root, an issuing CA and signers for Korea and Viet Nam, plus the bridge's
    # own signer. Real deployments use the partners' published authority certificates.
    test_pki = pki.create(work / "pki", countries=("KR", "VN"))

    # Each customs signs its decisions with its own authority key.
    with (
        MockUnipass(signing=signer(test_pki, "KR")) as unipass,
        MockNsw(country="VN", signing=signer(test_pki, "VN")) as nsw,
    ):
        bridge_key, bridge_cert = test_pki.bridge
        config = RelayConfig(
            country="VN",
            store=str(work / "bridge-vn.db"),
            nsw=SideConfig(url=nsw.url, read_timeout=5, deadline=10),
            unipass=SideConfig(url=unipass.url, read_timeout=5, deadline=10),
            # Trust only the two authorities this bridge carries messages for.
            trust=TrustConfig(
                anchors=(test_pki.country("KR"), test_pki.country("VN")),
                sign_key=bridge_key,
                sign_cert=bridge_cert,
            ),
            # Short retry delays so that the example finishes in seconds.
            retry=RetryPolicy(initial=0.05, maximum=0.2, jitter=0.0, max_attempts=5),
        )
        bridge = build_bridge(config)

        # 1. UNI-PASS has a Korean Form AK for Viet Nam, signed by Korea Customs.
        korean = samples.form_ak_kr_vn()
        inject(
            unipass.root_url,
            aswbridge.write(korean, profile="unipass", signing=signer(test_pki, "KR")),
        )
        # 2. Viet Nam's NSW has a Form AK for Korea, signed by its issuing authority.
        vietnamese = samples.certificate("FORM_AK", "VN", "KR", 3)
        inject(
            nsw.root_url, aswbridge.write(vietnamese, profile="asw", signing=signer(test_pki, "VN"))
        )

        # 3. Run passes until both certificates and both decisions have arrived.
        for _ in range(20):
            report = bridge.run_once()
            print(f"pass: pulled={report.pulled} delivered={report.delivered}")
            if len(unipass.mailbox.received) == 2 and len(nsw.mailbox.received) == 2:
                break
        for side in bridge.sides.values():
            side.close()
        bridge.store.close()
        print(f"UNI-PASS received {unipass.stats()['by_kind']}, NSW {nsw.stats()['by_kind']}")
        check(korean.envelope.message_id in nsw.mailbox.received, "Korea's certificate at the NSW")
        check(vietnamese.envelope.message_id in unipass.mailbox.received, "VN's at UNI-PASS")
        kinds = sorted(
            r.kind for r in [*unipass.mailbox.received.values(), *nsw.mailbox.received.values()]
        )
        check(kinds == ["certificate"] * 2 + ["response"] * 2, f"both decisions back: {kinds}")

        # UNI-PASS verifies what it receives against the bridge's certificate; the bridge signs
        # for the original signer, whom it names in the envelope.
        trusted_bridge = fingerprint(load_certificates(bridge_cert)[0])
        _, received = aswbridge.read(
            unipass.mailbox.received[vietnamese.envelope.message_id].body,
            trust=TrustStore.from_paths([test_pki.path / "bridge"]),
            bridges=[trusted_bridge],
        )
        first = received.envelope.original_signer
        check(first is not None and "C=VN" in first.subject, "the original signer named")
        sender, subject = received.envelope.sender.country, first and first.subject
        print(f"UNI-PASS verified the {received.kind} from {sender}: first signed by {subject}")
    print("OK: Korea -> Viet Nam and Viet Nam -> Korea, with both customs decisions back")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="aswbridge-rok-") as folder:
        main(Path(folder))
