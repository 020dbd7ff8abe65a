"""Signing benchmark: sign and verify per second for a 20-item certificate.

aswbridge (``Signer.sign`` + serialise; ``Verifier.verify`` from bytes: hardened parse,
structural checks, chain validation to the configured root, CRL look-up, signature and
digest) is measured against python-xmlsec (libxmlsec1) doing the same work in the same
run: template + sign + serialise; parse + verify with the root as the only trusted
certificate (libxmlsec1 validates the X.509 chain from KeyInfo). Both with RSA-2048 and
ECDSA P-256, enveloped, exclusive c14n, SHA-256.

    python benchmarks/sign.py [--quick]

The last lines print ``ratio vs xmlsec`` (aswbridge ÷ xmlsec time for sign + verify;
target ≤ 1.5). When SoftHSM2 and python-pkcs11 are installed, the same key is also imported
into a throwaway SoftHSM2 token and signing through PKCS#11 is measured against signing
with the key from the PEM file, in the same run (``ratio token vs PEM file``).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from aswbridge import _xml, profiles, samples
from aswbridge.security import Signer, TrustStore, VerificationPolicy, Verifier, pki


def median_seconds(func: Callable[[], Any], *, repeats: int, min_time: float) -> float:
    """Median time per call over ``repeats`` runs of at least ``min_time`` seconds."""
    for _ in range(3):
        func()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            func()
        if time.perf_counter() - start >= min_time:
            break
        loops *= 2
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            func()
        times.append((time.perf_counter() - start) / loops)
    return statistics.median(times)


def xmlsec_pair(
    xmlsec: Any, made: pki.Pki, document: etree._Element, rsa: bool
) -> tuple[Callable[[], bytes], Callable[[bytes], None]]:
    """python-xmlsec sign (template, sign, serialise) and verify (parse, verify) closures."""
    key_path, cert_path, chain_path = made.signer("KR")
    key = xmlsec.Key.from_file(str(key_path), xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(str(cert_path), xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(str(chain_path), xmlsec.constants.KeyDataFormatPem)
    method = xmlsec.constants.TransformRsaSha256 if rsa else xmlsec.constants.TransformEcdsaSha256
    manager = xmlsec.KeysManager()
    manager.load_cert(
        str(made.country("KR") / "root-ca.pem"),
        xmlsec.constants.KeyDataFormatPem,
        xmlsec.constants.KeyDataTypeTrusted,
    )

    def sign() -> bytes:
        root = copy.deepcopy(document)
        signature = xmlsec.template.create(
            root, xmlsec.constants.TransformExclC14N, method, ns="ds"
        )
        root.append(signature)
        ref = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="")
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
        info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.add_x509_data(info)
        context = xmlsec.SignatureContext()
        context.key = key
        context.sign(signature)
        return etree.tostring(root)

    def verify(data: bytes) -> None:
        root = _xml.parse(data)
        node = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
        xmlsec.SignatureContext(manager).verify(node)

    return sign, verify


def token_hsm(tmp: str) -> Any:
    """A throwaway SoftHSM2 for this process, or None when it is not installed."""
    from aswbridge.testing.softhsm import SoftHsm, softhsm_module

    if softhsm_module() is None:
        return None
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        return None
    hsm = SoftHsm.create(Path(tmp) / "softhsm")
    hsm.activate()
    return hsm


def token_key(hsm: Any, made: pki.Pki, label: str, cert: Any) -> Any:
    """The KR authority's key of ``made``, imported into a new token and opened."""
    from aswbridge.security.pkcs11 import open_key

    hsm.init_token(label, pin="1234")
    uri = hsm.import_key(made.signer("KR")[0], token=label, label="authority", pin="1234")
    return open_key(f"{uri}&pin-value=1234", cert=cert)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args(argv)
    repeats, min_time = (3, 0.1) if args.quick else (5, 0.3)

    import xmlsec

    if xmlsec.get_libxml_version() != etree.LIBXML_VERSION:
        print(
            f"python-xmlsec links libxml2 {xmlsec.get_libxml_version()}, lxml "
            f"{etree.LIBXML_VERSION}: refusing to measure a mismatched pair",
            file=sys.stderr,
        )
        return 2

    message = samples.certificate(exporter_country="KR", importing_country="TH", items=20)
    document = _xml.parse(profiles.get("asw").encode_bytes(message))
    size = len(etree.tostring(document))
    rows = []
    ratios = []
    token_ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        hsm = token_hsm(tmp)
        for label, key_type in (("RSA-2048", "rsa"), ("P-256", "ec")):
            made = pki.create(Path(tmp) / key_type, countries=("KR",), key_type=key_type)
            key, cert, chain = made.load("KR")
            trust = TrustStore.from_paths([made.country("KR")])
            signer, verifier = Signer(), Verifier(VerificationPolicy(revocation="hard-fail"))

            def ours_sign() -> bytes:
                return etree.tostring(signer.sign(document, key=key, cert=cert, chain=chain))  # noqa: B023

            ours_signed = ours_sign()
            x_sign, x_verify = xmlsec_pair(xmlsec, made, document, key_type == "rsa")
            x_signed = x_sign()
            # Correctness gate: each verifies the other's signature.
            x_verify(ours_signed)
            verifier.verify(x_signed, trust=trust)
            times = {
                ("aswbridge", "sign"): median_seconds(
                    ours_sign, repeats=repeats, min_time=min_time
                ),
                ("aswbridge", "verify"): median_seconds(
                    lambda: verifier.verify(ours_signed, trust=trust),  # noqa: B023
                    repeats=repeats,
                    min_time=min_time,
                ),
                ("xmlsec", "sign"): median_seconds(x_sign, repeats=repeats, min_time=min_time),
                ("xmlsec", "verify"): median_seconds(
                    lambda: x_verify(x_signed),  # noqa: B023
                    repeats=repeats,
                    min_time=min_time,
                ),
            }
            for lib in ("aswbridge", "xmlsec"):
                s, v = times[(lib, "sign")], times[(lib, "verify")]
                rows.append(
                    (
                        label,
                        lib,
                        f"{s * 1e6:,.0f}",
                        f"{1 / s:,.0f}",
                        f"{v * 1e6:,.0f}",
                        f"{1 / v:,.0f}",
                        f"{(s + v) * 1e6:,.0f}",
                    )
                )
            ours = times[("aswbridge", "sign")] + times[("aswbridge", "verify")]
            ref = times[("xmlsec", "sign")] + times[("xmlsec", "verify")]
            ratios.append((label, ours / ref))
            if hsm is not None:
                in_token = token_key(hsm, made, f"bench-{key_type}", cert)

                def token_sign() -> bytes:
                    signed = signer.sign(document, key=in_token, cert=cert, chain=chain)  # noqa: B023
                    return etree.tostring(signed)

                verifier.verify(token_sign(), trust=trust)  # correctness gate
                t = median_seconds(token_sign, repeats=repeats, min_time=min_time)
                v = times[("aswbridge", "verify")]
                rows.append(
                    (
                        label,
                        "aswbridge, key in SoftHSM2",
                        f"{t * 1e6:,.0f}",
                        f"{1 / t:,.0f}",
                        f"{v * 1e6:,.0f}",
                        f"{1 / v:,.0f}",
                        f"{(t + v) * 1e6:,.0f}",
                    )
                )
                token_ratios.append((label, t / times[("aswbridge", "sign")]))
    header = ("key", "library", "sign µs", "sign/s", "verify µs", "verify/s", "sign+verify µs")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"20-item certificate, {size:,} bytes unsigned; median of {repeats} repeats")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                str(c).ljust(w) if i < 2 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    for label, ratio in ratios:
        print(f"ratio vs xmlsec ({label}, sign+verify): {ratio:.2f}")
    for label, ratio in token_ratios:
        print(f"ratio token vs PEM file ({label}, sign): {ratio:.2f}")
    if not token_ratios:
        print("no token rows: SoftHSM2 or python-pkcs11 is not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
