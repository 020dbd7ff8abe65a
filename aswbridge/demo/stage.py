"""The demo's stage: a throwaway PKI, mock systems on loopback and two bridges of a mesh.

Korea's bridge serves UNI-PASS (its local side) and partners in Indonesia, Viet Nam,
Thailand and China (Japan joins during the story); Indonesia's NSW also runs its own
bridge, whose only partner is Korea. On that link each direction is carried by one
bridge: Indonesia's pulls from its NSW and delivers to UNI-PASS, Korea's pulls from
UNI-PASS and delivers to Indonesia's NSW (each names the other's system with
``pull = false``). Each bridge is built from a TOML configuration written to the output
folder, exactly as ``aswbridge run`` reads it, with a short retry policy so that an
outage lasts about a second.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import attrs

from aswbridge import profiles
from aswbridge.config import RelayConfig, load_config
from aswbridge.demo.cast import ChinaProfile, china_profile
from aswbridge.demo.recording import Archive, RecordingSide, Watch, recording_translator
from aswbridge.demo.timeline import Timeline
from aswbridge.errors import DemoError
from aswbridge.model import Message
from aswbridge.pipeline import SigningKey, write
from aswbridge.relay import Bridge
from aswbridge.relay.factory import build_links, configured_translator
from aswbridge.relay.routing import Link
from aswbridge.relay.translator import Translator
from aswbridge.security import pki
from aswbridge.store import open_store
from aswbridge.testing.mocks import MockNsw, MockServer, MockUnipass

__all__ = ["DemoError", "Partner", "Stage", "lane"]

#: The demo's retry policy: short, so that an outage is ridden out in about a second.
RETRY = {"initial": 0.15, "maximum": 0.3, "jitter": 0.05, "max_attempts": 10, "horizon": 60}

#: The NSWs of the story and the profile each speaks (China's is set at run time).
NSWS = {"ID": "asw", "VN": "asw", "TH": "asw", "CN": "cn", "JP": "ubl"}
#: The countries' names, for the narration.
NAMES = {
    "KR": "Korea",
    "ID": "Indonesia",
    "VN": "Viet Nam",
    "TH": "Thailand",
    "CN": "China",
    "JP": "Japan",
}

_HEAD = """\
# The configuration of {name}'s bridge in the demo (made by `aswbridge demo`).
# The systems are mock services on loopback; the PKI is a throwaway TEST-ONLY one.
[bridge]
country = "{country}"
store = "../store/bridge-{cc}.db"
workers = 2

[local]
profile = "{profile}"
url = "{url}"
read_timeout = 5
deadline = 10

[retry]
{retry}

[trust]
sign_key = "../pki/bridge/bridge.key.pem"
sign_cert = "../pki/bridge/bridge.pem"
"""

_PARTNER = """
[[partners]]
country = "{country}"
profile = "{profile}"
url = "{url}"
pull = {pull}
read_timeout = 5
deadline = 10
"""

_STEP_FOLDER = re.compile(r"\d\d-[a-z-]+")


def lane(country: str) -> str:
    """The lifeline of a country's system: ``UNI-PASS`` for Korea, ``NSW-CC`` otherwise."""
    return "UNI-PASS" if country == "KR" else f"NSW-{country}"


@attrs.frozen(kw_only=True)
class Partner:
    """One ``[[partners]]`` entry of a bridge in the demo."""

    country: str
    pull: bool = True


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
        self.china: ChinaProfile = china_profile()
        self.nsw = {
            cc: MockNsw(
                country=cc, profile=self.china.name if cc == "CN" else profile, respond=False
            )
            for cc, profile in NSWS.items()
        }
        self.unipass = MockUnipass(respond=False)
        self.bridges: dict[str, Bridge] = {}
        self.partners: dict[str, list[Partner]] = {
            "KR": [
                Partner(country="ID", pull=False),
                Partner(country="VN"),
                Partner(country="TH"),
                Partner(country="CN"),
            ],
            "ID": [Partner(country="KR", pull=False)],
        }
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
        for cc in ("id", "kr"):
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
        self.pki = pki.create(self.out / "pki", countries=("KR", *NSWS))
        # an impostor's PKI: the same names, but no bridge trusts its roots
        self.impostor = pki.create(self.out / "pki-impostor", countries=("ID",))
        self.timeline.event(
            actor="Demo",
            target=None,
            text=f"throwaway TEST-ONLY PKI in {self.out / 'pki'} (and an impostor's)",
            duration_ms=(time.perf_counter() - started) * 1000,
            status="info",
        )
        if self.china.register is not None:
            profiles.register(self.china.register)
            self._stack.callback(profiles.unregister, self.china.register.name)
        for mock in (self.unipass, *self.nsw.values()):
            self._stack.enter_context(mock)
        nsws = ", ".join(f"{cc} {m.url} ({m.profile})" for cc, m in self.nsw.items())
        self.timeline.event(
            actor="Demo",
            target=None,
            text=f"mock UNI-PASS {self.unipass.url}; mock NSWs {nsws}",
            status="info",
        )
        for cc in ("KR", "ID"):
            started = time.perf_counter()
            self.bridges[cc] = self._bridge(cc, self.configure(cc))
            served = ", ".join(
                f"{p.country}{'' if p.pull else ' (deliver only)'}" for p in self.partners[cc]
            )
            self.timeline.event(
                actor=f"Bridge-{cc}",
                target=None,
                text=f"started from config/bridge-{cc.lower()}.toml: partners {served}",
                duration_ms=(time.perf_counter() - started) * 1000,
                status="info",
            )

    def config_path(self, cc: str) -> Path:
        """Where the configuration of country ``cc``'s bridge is written."""
        return self.out / "config" / f"bridge-{cc.lower()}.toml"

    def configure(self, cc: str) -> RelayConfig:
        """Write the configuration of ``cc``'s bridge (its partners as they are now) and
        read it back as ``aswbridge run`` would."""
        path = self.config_path(cc)
        path.parent.mkdir(exist_ok=True)
        (self.out / "store").mkdir(exist_ok=True)
        local = self.unipass if cc == "KR" else self.nsw[cc]
        text = _HEAD.format(
            name=NAMES[cc],
            country=cc,
            cc=cc.lower(),
            profile="unipass" if cc == "KR" else NSWS[cc],
            url=local.url,
            retry="\n".join(f"{k} = {v}" for k, v in RETRY.items()),
        )
        countries = [cc] + [p.country for p in self.partners[cc]]
        for partner in self.partners[cc]:
            korea = partner.country == "KR"
            nsw = None if korea else self.nsw[partner.country]
            text += _PARTNER.format(
                country=partner.country,
                profile="unipass" if nsw is None else nsw.profile,
                url=self.unipass.url if nsw is None else nsw.url,
                pull=json.dumps(partner.pull),
            )
        for country in countries:  # each country's signers count for that country only
            text += f'\n[trust.{country}]\nanchors = ["../pki/{country}"]\n'
        path.write_text(text, encoding="utf-8")
        return load_config(path)

    def _links(self, cc: str, config: RelayConfig, *, keep: Bridge | None = None) -> list[Link]:
        """The configured sides, each wrapped to record its calls in the timeline (a side
        ``keep`` already serves unchanged is kept as it is)."""
        links = []
        for link in build_links(config, keep=keep.links if keep else None):
            if not isinstance(link.side, RecordingSide):
                recorded = RecordingSide(
                    inner=link.side,
                    bridge=f"Bridge-{cc}",
                    partner=lane(link.country or cc),
                    watch=self.watch,
                )
                self._stack.callback(recorded.close)
                link = attrs.evolve(link, side=recorded)
            links.append(link)
        return links

    def _translator(self, cc: str, config: RelayConfig) -> Translator:
        return recording_translator(
            inner=configured_translator(config), bridge=f"Bridge-{cc}", watch=self.watch
        )

    def _bridge(self, cc: str, config: RelayConfig) -> Bridge:
        store = open_store(config.store)
        self._stack.callback(store.close)
        return Bridge(
            links=self._links(cc, config),
            store=store,
            translate=self._translator(cc, config),
            country=config.country,
            policy=config.retry,
            batch=config.batch,
            lease_s=config.lease_seconds,
            workers=config.workers,
            breaker_threshold=3,
            breaker_cooldown=0.3,
        )

    def join(self, cc: str, partner: Partner) -> None:
        """Add ``partner`` to the configuration file of ``cc``'s bridge and reload it as
        SIGHUP does: the trust and the partners are taken up without a restart, the
        sides already served are kept as they are."""
        self.partners[cc].append(partner)
        config = self.configure(cc)
        bridge = self.bridges[cc]
        bridge.reconfigure(translate=self._translator(cc, config), notify=None)
        bridge.relink(self._links(cc, config, keep=bridge))

    def sides(self, cc: str) -> Mapping[str, RecordingSide]:
        """The recorded sides of ``cc``'s bridge, by side name."""
        return {
            name: side
            for name, side in self.bridges[cc].sides.items()
            if isinstance(side, RecordingSide)
        }

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
        self._post(mock, "/_mock/outbound", body, actor=actor, expect=201)
        self.timeline.event(actor=actor, target=None, text=text, status="info")

    def faults(self, mock: MockServer, *, actor: str, text: str, **faults: float) -> None:
        """Change a running mock's faults as a tester would (``POST /_mock/faults``)."""
        self._post(mock, "/_mock/faults", json.dumps(faults).encode(), actor=actor, expect=200)
        self.timeline.event(
            actor=actor, target=None, text=text, status="failed" if any(faults.values()) else "info"
        )

    def _post(self, mock: MockServer, path: str, body: bytes, *, actor: str, expect: int) -> None:
        kind = "application/json" if path == "/_mock/faults" else "application/xml"
        request = urllib.request.Request(
            f"{mock.root_url}{path}", data=body, headers={"Content-Type": kind}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status != expect:
                raise DemoError(f"{actor}: POST {path} answered HTTP {answer.status}")

    def run_until(self, done: Callable[[], bool], *, timeout: float = 20.0) -> bool:
        """Run passes of every bridge until ``done()`` (or the timeout); True if done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = False
            for bridge in list(self.bridges.values()):
                busy = bridge.run_once().busy or busy
            if done():
                return True
            if not busy:
                time.sleep(0.02)
        return done()

    @staticmethod
    def settled(mock: MockServer, message_id: str) -> str | None:
        """The state of a message queued at ``mock`` once a bridge settled it."""
        for item in mock.mailbox.queued.values():
            if item.message_id == message_id and item.state != "pending":
                return item.state
        return None

    @staticmethod
    def received(mock: MockServer, message_id: str) -> bool:
        """True when ``mock`` has received ``message_id``."""
        return message_id in mock.mailbox.received

    def busy(self) -> Iterator[str]:
        """Names of the bridges with work left (pending or in flight)."""
        for cc, bridge in self.bridges.items():
            counts = bridge.store.counts()
            if counts["pending"] or counts["in_flight"]:
                yield f"Bridge-{cc}"

    def pulled_by(self) -> Mapping[str, set[str]]:
        """For each message id pulled from a system, the bridges that pulled it."""
        carriers: dict[str, set[str]] = {}
        for cc in self.bridges:
            for side in self.sides(cc).values():
                for message_id in side.pulled:
                    carriers.setdefault(message_id, set()).add(f"Bridge-{cc}")
        return carriers
