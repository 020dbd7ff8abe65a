"""A throwaway SoftHSM2 for tests and demos: a PKCS#11 token in a folder, holding keys
imported from PEM files (SoftHSM2 marks imported keys sensitive and not extractable).

::

    hsm = SoftHsm.create(tmp_path / "hsm")       # writes softhsm2.conf and tokens/
    hsm.activate()                                # SOFTHSM2_CONF for this process
    hsm.init_token("KR-CUSTOMS", pin="1234")
    uri = hsm.import_key("authority.key.pem", token="KR-CUSTOMS", label="authority",
                         pin="1234")
    signing = SigningKey.from_files(key=uri, cert="authority.pem")

SoftHSM2 reads ``SOFTHSM2_CONF`` when its module starts; a process loads it once, so use
one :class:`SoftHsm` (one folder) per process and make more tokens in it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from aswbridge.errors import ConfigurationError

if TYPE_CHECKING:
    from aswbridge.security.pki import Pki

__all__ = ["SOFTHSM_MODULES", "TEST_TOKEN", "SoftHsm", "softhsm_module", "token_for_pki"]

#: The label of the token ``aswbridge pki init --pkcs11`` makes.
TEST_TOKEN = "aswbridge-test"

#: Where SoftHSM2's module is installed (Debian/Ubuntu, multiarch, source builds, macOS).
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 module of this machine, if installed (with softhsm2-util)."""
    if shutil.which("softhsm2-util") is None:
        return None
    return next((m for m in SOFTHSM_MODULES if Path(m).is_file()), None)


@attrs.frozen(kw_only=True)
class SoftHsm:
    """A SoftHSM2 configuration and token folder under ``path``."""

    path: Path
    module: str

    @classmethod
    def create(cls, path: str | Path) -> SoftHsm:
        """Write ``softhsm2.conf`` and an empty ``tokens/`` folder under ``path``.

        Raises:
            ConfigurationError: SoftHSM2 is not installed (Debian: ``apt-get install
                softhsm2``).
        """
        module = softhsm_module()
        if module is None:
            raise ConfigurationError("SoftHSM2 is not installed (apt-get install softhsm2)")
        root = Path(path).resolve()
        (root / "tokens").mkdir(parents=True, exist_ok=True)
        (root / "softhsm2.conf").write_text(
            f"directories.tokendir = {root / 'tokens'}\n"
            "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            encoding="utf-8",
        )
        return cls(path=root, module=module)

    @property
    def conf(self) -> Path:
        """The configuration file (``SOFTHSM2_CONF``)."""
        return self.path / "softhsm2.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment a process needs to see these tokens."""
        return {"SOFTHSM2_CONF": str(self.conf)}

    def activate(self) -> None:
        """Point this process (and its children) at these tokens."""
        os.environ.update(self.env)

    def _util(self, *args: str) -> None:
        done = subprocess.run(
            ["softhsm2-util", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        if done.returncode != 0:
            raise ConfigurationError(
                f"softhsm2-util {args[0]} failed: {(done.stderr or done.stdout).strip()}"
            )

    def init_token(self, label: str, *, pin: str, so_pin: str = "so-pin-not-used") -> Path:
        """Make a new token ``label`` with the user ``pin``; return its folder (move it
        away and back to play a token removed and plugged in again)."""
        before = set((self.path / "tokens").iterdir())
        self._util("--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin)
        (folder,) = set((self.path / "tokens").iterdir()) - before
        return folder

    def import_key(
        self, key_pem: str | Path, *, token: str, label: str, pin: str, key_id: str = "01"
    ) -> str:
        """Import a PEM private key into ``token`` (sensitive, not extractable) and
        return its ``pkcs11:`` URI (module path included, no PIN)."""
        from aswbridge.security import load_private_key

        key = load_private_key(key_pem)
        pkcs8 = self.path / f".import-{os.getpid()}.p8"
        fd = os.open(pkcs8, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        try:
            self._util(
                "--import",
                str(pkcs8),
                "--token",
                token,
                "--label",
                label,
                "--id",
                key_id,
                "--pin",
                pin,
            )
        finally:
            pkcs8.unlink()
        return self.uri(token=token, label=label)

    def uri(self, *, token: str, label: str) -> str:
        """The ``pkcs11:`` URI of key ``label`` in ``token``, with this module's path."""
        return f"pkcs11:token={quote(token)};object={quote(label)}?module-path={quote(self.module)}"


def token_for_pki(made: Pki, path: str | Path) -> tuple[SoftHsm, dict[str, str]]:
    """A SoftHSM2 under ``path`` with one token, :data:`TEST_TOKEN`, holding every
    authority's and exporter's key of the test PKI ``made`` (labels ``ID-authority``,
    ``ID-exporter``, ...) and the bridge's (``bridge``), imported non-extractable.

    The PIN is random, in ``path/pin`` (readable by its owner only). Returns the SoftHSM2
    and the keys' URIs by label (with ``module-path`` and ``pin-source``).
    """
    hsm = SoftHsm.create(path)
    pin = secrets.token_hex(8)
    pin_file = hsm.path / "pin"
    fd = os.open(pin_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(pin + "\n")
    hsm.init_token(TEST_TOKEN, pin=pin)
    keys = {
        f"{cc}-{who}": made.signer(cc, who)[0]
        for cc in made.countries
        for who in ("authority", "exporter")
    }
    keys["bridge"] = made.bridge[0]
    uris = {}
    for number, (label, pem) in enumerate(keys.items(), 1):
        uri = hsm.import_key(pem, token=TEST_TOKEN, label=label, pin=pin, key_id=f"{number:04x}")
        uris[label] = f"{uri}&pin-source=file:{quote(str(pin_file))}"
    return hsm, uris
