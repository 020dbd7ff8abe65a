"""Role-bound trust: each attack replayed through the library and the command line.

* an exporter's key certifies its own certificate (``SIGNER_NOT_AUTHORITY``);
* one country's CA mints a certificate for another, whatever form the anchors take;
* an exporter's declaration signed by a certificate of another role or country;
* a sender writes its own ``OriginalSigner``: the bridge names only whom it verified;
* ``sign`` refuses a certificate marked for another role; ``pki fingerprint`` prints what
  partners compare.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

import aswbridge
from aswbridge import cli, profiles, samples
from aswbridge.errors import ConfigurationError, SecurityError
from aswbridge.model import SignerRef
from aswbridge.pipeline import SigningKey
from aswbridge.security import (
    Signer,
    TrustStore,
    Verifier,
    fingerprint,
    load_certificates,
    load_private_key,
    pki,
    roles,
)
from aswbridge.security.binding import bind


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("ID", "KR", "VN"))


def encode(message: aswbridge.Message | None = None) -> etree._Element:
    return profiles.get("asw").encode(message or samples.form_ak_id_kr())


def sign_with(
    made: pki.Pki,
    cc: str,
    who: str,
    element: etree._Element | None = None,
    *,
    declaration: tuple[str, str] | None = None,
) -> bytes:
    """The sample ID certificate, certified by ``cc``/``who`` (any tool could do this)."""
    element = encode() if element is None else element
    if declaration is not None:
        key, cert, chain = made.load(*declaration)
        element = Signer().sign_declaration(element, key=key, cert=cert, chain=chain)
    key, cert, chain = made.load(cc, who)
    signed = Signer().sign(element, key=key, cert=cert, chain=chain)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(SecurityError) as caught:
        call()
    return str(caught.value.code)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- the library ------------------------------------------------------------------------


def test_the_authority_certifies(made: pki.Pki) -> None:
    trust = TrustStore.from_paths([made.path])
    _, message = aswbridge.read(sign_with(made, "ID", "authority"), trust=trust)
    assert message.document.issuing_country == "ID"  # type: ignore[union-attr]


def test_an_exporter_cannot_certify_its_own_certificate(made: pki.Pki) -> None:
    data = sign_with(made, "ID", "exporter")
    trust = TrustStore.from_paths([made.path])
    assert code_of(lambda: aswbridge.read(data, trust=trust)) == "SIGNER_NOT_AUTHORITY"
    assert (
        code_of(lambda: aswbridge.translate(data, source="asw", target="unipass", trust=trust))
        == "SIGNER_NOT_AUTHORITY"
    )
    verified = Verifier().verify(data, trust=trust)
    assert verified.authority.roles == {roles.EXPORTER}
    assert code_of(lambda: bind(verified)) == "SIGNER_NOT_AUTHORITY"


def test_a_pinned_certificate_is_the_authority_whatever_its_marks(made: pki.Pki) -> None:
    """A pin names the one certificate allowed for an authority id: it is entitled."""
    data = sign_with(made, "ID", "exporter")
    trust = TrustStore.from_paths([made.path])
    exporter = fingerprint(made.load("ID", "exporter")[1])
    aswbridge.read(data, trust=trust, pins={"KEMENDAG": exporter})
    authority = fingerprint(made.load("ID")[1])
    assert (
        code_of(
            lambda: aswbridge.read(
                sign_with(made, "ID", "exporter"), trust=trust, pins={"KEMENDAG": authority}
            )
        )
        == "SIGNER_NOT_ISSUER"
    )


def test_a_role_anchor_entitles_what_it_issued(made: pki.Pki) -> None:
    """``ID:authority=`` anchors: everything under them certifies for ID, nothing else."""
    issuing = made.country("ID") / "issuing-ca.pem"
    data = sign_with(made, "ID", "exporter")
    aswbridge.read(data, trust=TrustStore.from_paths([f"ID:authority={issuing}"]))
    as_exporter = TrustStore.from_paths([f"ID:exporter={issuing}"])
    assert code_of(lambda: aswbridge.read(data, trust=as_exporter)) == "SIGNER_NOT_AUTHORITY"


def test_a_country_oid_replaces_aswbridge_s(made: pki.Pki) -> None:
    """A partner whose authority certificates carry its own OID configures it."""
    data = sign_with(made, "ID", "authority")
    other = TrustStore.from_paths([made.path], oids={"ID": {"authority": ["1.2.3.4"]}})
    assert code_of(lambda: aswbridge.read(data, trust=other)) == "SIGNER_NOT_AUTHORITY"
    own = TrustStore.from_paths(
        [made.path], oids={"ID": {"authority": [roles.ROLE_OIDS["authority"]]}}
    )
    aswbridge.read(data, trust=own)
    with pytest.raises(ConfigurationError, match="OIDs"):
        TrustStore.from_paths([made.path], oids={"ID": {"authority": ["not an oid"]}})


# --- one country's CA signs for another ---------------------------------------------------


def _ca(tmp: Path, country: str | None) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Name]:
    """A root CA of our own making; its subject names ``country`` (or none)."""
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(x509.NameOID.COMMON_NAME, "TEST ONLY rogue root")]
    if country:
        attributes.append(x509.NameAttribute(x509.NameOID.COUNTRY_NAME, country))
    name = x509.Name(attributes)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now + timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = tmp / f"rogue-{country or 'none'}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, name


def minted_for_id(tmp: Path, country: str | None) -> tuple[Path, bytes]:
    """A foreign CA mints ``C=ID`` authority certificate and certifies an ID certificate."""
    root, ca_key, ca_name = _ca(tmp, country)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, "TEST ONLY minted"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=300))
        .not_valid_after(now + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(roles.ROLE_OIDS["authority"])]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    signed = Signer().sign(encode(), key=key, cert=cert)
    return root, etree.tostring(signed)


@pytest.mark.parametrize("form", ["file", "declared", "folder"])
def test_one_country_s_ca_cannot_sign_for_another(made: pki.Pki, tmp_path: Path, form: str) -> None:
    root, data = minted_for_id(tmp_path, "VN")
    genuine = made.country("ID") / "root-ca.pem"
    anchors: list[str | Path] = {
        "file": [root, genuine],
        "declared": [f"VN={root}", f"ID={genuine}"],
        "folder": [tmp_path, made.country("ID")],
    }[form]
    if form == "folder":
        (tmp_path / "VN").mkdir()
        root.rename(tmp_path / "VN" / "root-ca.pem")
    trust = TrustStore.from_paths(anchors)
    assert code_of(lambda: aswbridge.read(data, trust=trust)) == "SIGNER_NOT_ISSUER"


def test_an_anchor_naming_no_country_anchors_no_authority(tmp_path: Path) -> None:
    root, data = minted_for_id(tmp_path, None)
    trust = TrustStore.from_paths([root])
    assert code_of(lambda: aswbridge.read(data, trust=trust)) == "SIGNER_NOT_ISSUER"
    aswbridge.read(data, trust=TrustStore.from_paths([f"ID={root}"]))  # declared: binds


def test_a_declared_country_must_match_the_anchor_s_own(made: pki.Pki) -> None:
    with pytest.raises(ConfigurationError, match="names C=VN but is configured for ID"):
        TrustStore.from_paths([f"ID={made.country('VN') / 'root-ca.pem'}"])


# --- the exporter's declaration ---------------------------------------------------------


@pytest.mark.parametrize(
    ("declarant", "code"),
    [
        pytest.param(("ID", "exporter"), None, id="the-exporter"),
        pytest.param(("KR", "exporter"), "SIGNER_NOT_EXPORTER", id="another-country-s-exporter"),
        pytest.param(("ID", "authority"), "SIGNER_NOT_EXPORTER", id="the-authority"),
    ],
)
def test_the_exporter_s_certificate_is_bound_to_the_exporter(
    made: pki.Pki, declarant: tuple[str, str], code: str | None
) -> None:
    data = sign_with(made, "ID", "authority", declaration=declarant)
    trust = TrustStore.from_paths([made.path])
    if code is None:
        aswbridge.read(data, trust=trust)
    else:
        assert code_of(lambda: aswbridge.read(data, trust=trust)) == code


# --- the original signer ------------------------------------------------------------------


def test_an_original_signer_written_by_the_sender_is_replaced(made: pki.Pki) -> None:
    made_up = SignerRef(subject="CN=Somebody Trusted,C=KR", fingerprint="ab" * 32)
    message = samples.form_ak_id_kr()
    forged = attrs.evolve(message, envelope=attrs.evolve(message.envelope, original_signer=made_up))
    data = sign_with(made, "ID", "authority", encode(forged))
    trust = TrustStore.from_paths([made.path])
    bridge_key, bridge_cert = made.bridge
    signing = SigningKey.from_files(key=str(bridge_key), cert=str(bridge_cert))
    out = aswbridge.translate(data, source="asw", target="unipass", trust=trust, signing=signing)
    bridge = fingerprint(load_certificates(bridge_cert)[0])
    _, received = aswbridge.read(out, trust=trust, bridges=[bridge])
    named = received.envelope.original_signer
    authority = made.load("ID")[1]
    assert named == SignerRef(
        subject=authority.subject.rfc4514_string(), fingerprint=fingerprint(authority)
    )
    assert b"Somebody Trusted" not in out
    # unverified, nobody is named: the sender's claim is dropped, not passed on
    plain = aswbridge.translate(
        profiles.get("asw").encode_bytes(forged), source="asw", target="unipass"
    )
    assert b"Somebody Trusted" not in plain


def test_a_bridge_pinned_by_subject_must_hold_the_bridge_role(
    made: pki.Pki, tmp_path: Path
) -> None:
    """A subject can be copied by any trusted CA: a subject pin needs the role too."""
    bridge_key, bridge_cert = made.bridge
    cert = load_certificates(bridge_cert)[0]
    message = samples.form_ak_id_kr()
    vouched = attrs.evolve(
        message,
        envelope=attrs.evolve(
            message.envelope, original_signer=SignerRef(subject="CN=x", fingerprint="cd" * 32)
        ),
    )
    signed = Signer().sign(encode(vouched), key=load_private_key(bridge_key), cert=cert)
    data = etree.tostring(signed)
    trust = TrustStore.from_paths([made.path])
    _, read = aswbridge.read(data, trust=trust, bridges=[cert.subject.rfc4514_string()])
    assert read.envelope.original_signer == vouched.envelope.original_signer
    # a trusted CA that copies the bridge's subject into a certificate of its own mints no
    # bridge: the message is then judged as the authority's, and refused
    root, ca_key, ca_name = _ca(tmp_path, "KR")
    key = ec.generate_private_key(ec.SECP256R1())
    copy = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    forged = etree.tostring(Signer().sign(encode(vouched), key=key, cert=copy))
    both = TrustStore.from_paths([made.path, root])
    assert (
        code_of(lambda: aswbridge.read(forged, trust=both, bridges=[cert.subject.rfc4514_string()]))
        == "SIGNER_NOT_ISSUER"
    )


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def only_security(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("security", "translate"))


@pytest.mark.usefixtures("only_security")
@pytest.mark.parametrize("command", ["verify", "translate"])
def test_cli_refuses_an_exporter_certifying(
    made: pki.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    source = tmp_path / "co.xml"
    source.write_bytes(sign_with(made, "ID", "exporter"))
    extra = ["--from", "asw", "--to", "unipass"] if command == "translate" else []
    status, out, err = run(capsys, command, "--trust", str(made.path), *extra, str(source))
    assert status == 1 and out == ""
    assert "SIGNER_NOT_AUTHORITY: " in err and "Traceback" not in err
    pin = f"KEMENDAG={fingerprint(made.load('ID', 'exporter')[1])}"
    status, out, err = run(
        capsys, command, "--trust", str(made.path), "--pin", pin, *extra, str(source)
    )
    assert status == 0, err


@pytest.mark.usefixtures("only_security")
@pytest.mark.parametrize("declared", [False, True], ids=["files", "declared-files"])
def test_cli_file_anchors_bind_a_country(
    made: pki.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str], declared: bool
) -> None:
    root, data = minted_for_id(tmp_path, "VN")
    source = tmp_path / "co.xml"
    source.write_bytes(data)
    genuine = made.country("ID") / "root-ca.pem"
    anchors = [f"VN={root}", f"ID={genuine}"] if declared else [str(root), str(genuine)]
    status, _, err = run(
        capsys, "verify", "--trust", anchors[0], "--trust", anchors[1], str(source)
    )
    assert status == 1 and "SIGNER_NOT_ISSUER: " in err, err


@pytest.mark.usefixtures("only_security")
@pytest.mark.parametrize(("who", "exporter"), [("exporter", False), ("authority", True)])
def test_cli_sign_refuses_a_certificate_of_another_role(
    made: pki.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str], who: str, exporter: bool
) -> None:
    source = tmp_path / "co.xml"
    source.write_bytes(profiles.get("asw").encode_bytes(samples.form_ak_id_kr()))
    key, cert, chain = made.signer("ID", who)
    status, out, err = run(
        capsys,
        "sign",
        "--key",
        str(key),
        "--cert",
        str(cert),
        "--chain",
        str(chain),
        *(["--exporter"] if exporter else []),
        str(source),
    )
    code = "SIGNER_NOT_EXPORTER" if exporter else "SIGNER_NOT_AUTHORITY"
    assert status == 1 and out == "" and f"{code}: " in err, err


@pytest.mark.usefixtures("only_security")
def test_cli_pki_fingerprint(made: pki.Pki, capsys: pytest.CaptureFixture[str]) -> None:
    path = made.bridge[1]
    status, out, _ = run(capsys, "pki", "fingerprint", str(path))
    cert = load_certificates(path)[0]
    assert status == 0
    assert f"SHA256 {fingerprint(cert)}" in out and "roles: bridge" in out
    assert cert.subject.rfc4514_string() in out


@pytest.mark.usefixtures("only_security")
def test_cli_translate_trust_options_without_trust_are_a_usage_error(
    made: pki.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "co.xml"
    source.write_bytes(sign_with(made, "ID", "authority"))
    status, out, err = run(
        capsys,
        "translate",
        "--from",
        "asw",
        "--to",
        "unipass",
        "--pin",
        "KEMENDAG=" + "ab" * 32,
        str(source),
    )
    assert status == 2 and out == "" and "--pin, --bridge and --crl need --trust" in err
