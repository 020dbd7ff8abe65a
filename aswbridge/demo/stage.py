"""The demo's stage: a throwaway PKI, three mock partners on loopback and two bridges.

Indonesia's NSW and Viet Nam's NSW each plug in their own bridge (the realistic
deployment: one bridge per NSW); both bridges talk to the same UNI-PASS service and each
takes from it only what is addressed to its own country. Each bridge is built from a
TOML configuration written to the output folder, exactly as ``aswbridge run`` would
build it, with a short retry policy so that the demo's outage lasts seconds.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from aswbridge.config import RelayConfig, load_config
from aswbridge.demo.recording import (
    Archive,
    RecordingSide,
    Watch,
    recording_translator,
)
from aswbridge.demo.timeline import Timeline
from aswbridge.errors import DemoError
from aswbridge.model import Message
from aswbridge.pipeline import SigningKey, write
from aswbridge.relay import Bridge
from aswbridge.relay.factory import build_sides, configured_translator
from aswbridge.security import pki
from aswbridge.store import open_store
from aswbridge.testing.mocks import MockNsw, MockServer, MockUnipass

__all__ = ["DemoError", "Stage"]

#: The demo's retry policy: short, so that an outage is ridden out in about a second.
RETRY = {"initial": 0.2, "maximum": 0.5, "jitter": 0.05, "max_attempts": 10, "horizon": 60}

_CONFIG = """\
# The configuration of the bridge of {name}'s NSW in the demo (made by `aswbridge demo`).
# The partners are mock services on loopback; the PKI is a throwaway TEST-ONLY one.
[bridge]
country = "{country}"
store = "../store/bridge-{cc}.db"
workers = 2

[nsw]
url = "{nsw}"
read_timeout = 5
deadline = 10

[unipass]
url = "{unipass}"
read_timeout = 5
deadline = 10

[retry]
{retry}

[trust]
# the issuing authorities this bridge accepts: its own country's and Korea's
anchors = ["../pki/{country}", "../pki/KR"]
sign_key = "../pki/bridge/bridge.key.pem"
sign_cert = "../pki/bridge/bridge.pem"
"""


_STEP_FOLDER = re.compile(r"\d\d-[a-z-]+")


class Stage:
    """Everything the story runs on; use as a context manager.

    Args:
        out: the output folder (the PKI, configurations, stores and messages go there).
        timeline: where the recording wrappers send their events.
    """

    def __init__(self, *, out: Path, timeline: Timeline) -> None:
        self.out = out
        self.timeline = timeline
        self.archive = Archive(root=out, step=self._step_slug)
        self.slug = "setup"
        self.watch = Watch(event=timeline.event, archive=self.archive)
        self.nsw_id = MockNsw(country="ID", respond=False)
        self.nsw_vn = MockNsw(country="VN", respond=False)
        self.unipass = MockUnipass(respond=False)
        self.bridges: dict[str, Bridge] = {}
        self.sides: dict[str, dict[str, RecordingSide]] = {}
        self._stack = contextlib.ExitStack()

    def _step_slug(self) -> tuple[int, str]:
        return self.timeline.current, self.slug

    # --- life cycle -----------------------------------------------------------------------

    def __enter__(self) -> Stage:
        try:
            self._setup()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _clear(self) -> None:
        """Remove what an earlier run left (its stores would remember every message)."""
        for cc in ("id", "vn"):
            for suffix in ("", "-wal", "-shm", "-journal"):
                (self.out / "store" / f"bridge-{cc}.db{suffix}").unlink(missing_ok=True)
        messages = self.out / "messages"
        if messages.is_dir():
            for folder in messages.iterdir():
                if folder.is_dir() and _STEP_FOLDER.fullmatch(folder.name):
                    shutil.rmtree(folder)

    def _setup(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self._clear()
        started = time.perf_counter()
        self.pki = pki.create(self.out / "pki")
        # an impostor's PKI: the same names, but no bridge trusts its roots
        self.impostor = pki.create(self.out / "pki-impostor")
        self.timeline.event(
            actor="Demo",
            target=None,
            text=f"throwaway TEST-ONLY PKI in {self.out / 'pki'} (and an impostor's)",
            duration_ms=(time.perf_counter() - started) * 1000,
            status="info",
        )
        for mock in (self.nsw_id, self.unipass, self.nsw_vn):
            self._stack.enter_context(mock)
        self.timeline.event(
            actor="Demo",
            target=None,
            text=(
                f"mock NSW Indonesia {self.nsw_id.url}, mock UNI-PASS {self.unipass.url}, "
                f"mock NSW Viet Nam {self.nsw_vn.url}"
            ),
            status="info",
        )
        for cc, name, nsw in (("ID", "Indonesia", self.nsw_id), ("VN", "Viet Nam", self.nsw_vn)):
            started = time.perf_counter()
            config = self._configure(cc, name, nsw)
            self.bridges[cc] = self._bridge(cc, config)
            self.timeline.event(
                actor=f"Bridge-{cc}",
                target=None,
                text=f"started from config/bridge-{cc.lower()}.toml (SQLite store, trust {cc}+KR)",
                duration_ms=(time.perf_counter() - started) * 1000,
                status="info",
            )

    def _configure(self, cc: str, name: str, nsw: MockServer) -> RelayConfig:
        folder = self.out / "config"
        folder.mkdir(exist_ok=True)
        (self.out / "store").mkdir(exist_ok=True)
        retry = "\n".join(f"{k} = {v}" for k, v in RETRY.items())
        path = folder / f"bridge-{cc.lower()}.toml"
        path.write_text(
            _CONFIG.format(
                name=name,
                country=cc,
                cc=cc.lower(),
                nsw=nsw.url,
                unipass=self.unipass.url,
                retry=retry,
            ),
            encoding="utf-8",
        )
        return load_config(path)

    def _bridge(self, cc: str, config: RelayConfig) -> Bridge:
        lifeline = f"Bridge-{cc}"
        nsw, unipass = build_sides(config)
        sides = {
            "nsw": RecordingSide(inner=nsw, bridge=lifeline, partner=f"NSW-{cc}", watch=self.watch),
            "unipass": RecordingSide(
                inner=unipass,  # pulls only what is addressed to this bridge's country
                bridge=lifeline,
                partner="UNI-PASS",
                watch=self.watch,
            ),
        }
        self.sides[cc] = sides
        store = open_store(config.store)
        self._stack.callback(store.close)
        for side in sides.values():
            self._stack.callback(side.close)
        translate = recording_translator(
            inner=configured_translator(config), bridge=lifeline, watch=self.watch
        )
        return Bridge(
            nsw=sides["nsw"],
            unipass=sides["unipass"],
            store=store,
            translate=translate,
            country=config.country,
            policy=config.retry,
            batch=config.batch,
            lease_s=config.lease_seconds,
            workers=config.workers,
        )

    # --- acting -----------------------------------------------------------------------------

    def signing_key(self, cc: str, *, impostor: bool = False) -> SigningKey:
        """The issuing authority's TEST-ONLY signing key of country ``cc``."""
        key, cert, chain = (self.impostor if impostor else self.pki).load(cc)
        return SigningKey(key=key, cert=cert, chain=tuple(chain))

    def signed(self, message: Message, *, profile: str, by: str, impostor: bool = False) -> bytes:
        """``message`` encoded in ``profile`` and signed by country ``by``'s authority."""
        return write(message, profile=profile, signing=self.signing_key(by, impostor=impostor))

    def inject(self, mock: MockServer, body: bytes, *, actor: str, text: str) -> None:
        """Queue ``body`` at a mock as if its system sent it (``POST /_mock/outbound``)."""
        request = urllib.request.Request(
            f"{mock.root_url}/_mock/outbound",
            data=body,
            headers={"Content-Type": "application/xml"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status != 201:
                raise DemoError(f"{actor} did not queue the message: HTTP {answer.status}")
        self.timeline.event(actor=actor, target=None, text=text, status="info")

    def run_until(self, done: Callable[[], bool], *, timeout: float = 20.0) -> bool:
        """Run passes of both bridges until ``done()`` (or the timeout); True if done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = False
            for bridge in self.bridges.values():
                busy = bridge.run_once().busy or busy
            if done():
                return True
            if not busy:
                time.sleep(0.02)
        return done()

    def busy(self) -> Iterator[str]:
        """Names of the bridges with work left (pending or in flight)."""
        for cc, bridge in self.bridges.items():
            counts = bridge.store.counts()
            if counts["pending"] or counts["in_flight"]:
                yield f"Bridge-{cc}"
