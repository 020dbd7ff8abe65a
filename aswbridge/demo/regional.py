"""The steps of the story where the mesh grows and copes: China joins with its profile
package, Japan joins in UBL by a change of configuration, and Thailand's NSW goes down
while the others keep flowing."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aswbridge import pipeline, samples
from aswbridge.demo.cast import china_to_korea, korea_to_japan
from aswbridge.demo.recording import describe
from aswbridge.demo.stage import NAMES, Partner

if TYPE_CHECKING:
    from aswbridge.demo.stage import Stage
    from aswbridge.demo.timeline import Timeline
    from aswbridge.model import Message
    from aswbridge.testing.mocks import MockServer

__all__ = ["RegionalSteps"]


class RegionalSteps:
    """The regional steps of :class:`~aswbridge.demo.story.Story`."""

    stage: Stage
    timeline: Timeline

    def _exhibit(self, title: str, body: bytes, sender: str, receiver: str, mid: str) -> None:
        raise NotImplementedError

    def _refused(self, message: Message, *, at: MockServer) -> str | None:
        raise NotImplementedError

    def china(self) -> str | None:
        """A Chinese certificate to Korea in China's message set; the decision back in it."""
        stage = self.stage
        nsw = stage.nsw["CN"]
        cert = china_to_korea("demo-rcep-cn-kr")
        mid = cert.envelope.message_id
        stage.inject(
            nsw,
            stage.signed(cert, profile=nsw.profile, by="CN"),
            actor="NSW-CN",
            text=f"China's customs sign {describe(cert)} for Korea, in profile {nsw.profile}",
        )
        stage.timeline.event(actor="NSW-CN", target=None, status="info", text=stage.china.how)
        if not stage.run_until(lambda: stage.received(stage.unipass, mid)):
            return None
        self._exhibit(
            "China → Korea, as UNI-PASS received it",
            stage.unipass.mailbox.received[mid].body,
            "Bridge-KR",
            "UNI-PASS",
            mid,
        )
        response = samples.response_for(cert)
        rid = response.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(response, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs signs its {describe(response)}",
        )
        if not stage.run_until(lambda: stage.received(nsw, rid)):
            return None
        profile = pipeline.read(nsw.mailbox.received[rid].body)[0]
        if profile != nsw.profile:
            return None
        return f"UNI-PASS has China's certificate; NSW-CN has Korea's decision in profile {profile}"

    def japan(self) -> str | None:
        """A certificate for Japan before Japan is a partner: ``NO_ROUTE`` at its source.
        Japan's NSW is added to the file; the next certificate reaches it, in UBL."""
        stage = self.stage
        nsw = stage.nsw["JP"]
        early = korea_to_japan("demo-rcep-kr-jp-early")
        stage.inject(
            stage.unipass,
            stage.signed(early, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs Service signs {describe(early)} for Japan, not yet a partner",
        )
        eid = early.envelope.message_id
        if not stage.run_until(lambda: stage.settled(stage.unipass, eid) is not None):
            return None
        code = self._refused(early, at=stage.unipass)
        if code != "NO_ROUTE":
            return None
        started = time.perf_counter()
        stage.join("KR", Partner(country="JP"))
        stage.timeline.event(
            actor="Bridge-KR",
            target=None,
            status="info",
            text="Japan added to config/bridge-kr.toml as a partner speaking ubl; the file "
            "reloaded as on SIGHUP, without a restart",
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        cert = korea_to_japan("demo-rcep-kr-jp")
        mid = cert.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(cert, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs Service signs {describe(cert)} for Japan",
        )
        if not stage.run_until(lambda: stage.received(nsw, mid)):
            return None
        record = nsw.mailbox.received[mid]
        if pipeline.read(record.body)[0] != "ubl":
            return None
        self._exhibit(
            "Korea → Japan, as NSW-JP received it (UBL 2.4)",
            record.body,
            "Bridge-KR",
            "NSW-JP",
            mid,
        )
        return (
            f"refused with {code} before Japan joined; after the change NSW-JP has the next "
            f"one in UBL 2.4 (tracking {record.tracking})"
        )

    def isolation(self) -> str | None:
        """NSW-TH answers 503 to everything: its certificates wait as pending behind an
        open breaker while Viet Nam's, Indonesia's and Japan's go through; then they flow."""
        stage = self.stage
        thailand = stage.nsw["TH"]
        korea = stage.bridges["KR"]
        stage.faults(
            thailand,
            actor="NSW-TH",
            fail_rate=1.0,
            text="goes down (POST /_mock/faults): every call is answered 503",
        )
        certs = {
            "TH": [
                samples.certificate("FORM_AK", "KR", "TH", 2, name=f"demo-down-th-{n}")
                for n in range(3)
            ],
            "VN": [samples.certificate("FORM_AK", "KR", "VN", 2, name="demo-down-vn")],
            "ID": [samples.certificate("FORM_AK", "KR", "ID", 2, name="demo-down-id")],
            "JP": [korea_to_japan("demo-down-jp")],
        }
        for cc, messages in certs.items():
            for message in messages:
                stage.inject(
                    stage.unipass,
                    stage.signed(message, profile="unipass", by="KR"),
                    actor="UNI-PASS",
                    text=f"Korea Customs Service signs {describe(message)} for {NAMES[cc]}",
                )
        started = time.perf_counter()

        def others_done() -> bool:
            return (
                all(
                    stage.received(stage.nsw[cc], m.envelope.message_id)
                    for cc, messages in certs.items()
                    if cc != "TH"
                    for m in messages
                )
                and korea.breakers["TH"].state == "open"
            )

        if not stage.run_until(others_done):
            return None
        others_s = time.perf_counter() - started
        waiting = korea.store.counts_by_side().get("TH", {})
        if waiting.get("pending", 0) != len(certs["TH"]) or waiting.get("dead", 0):
            return None
        stage.faults(
            thailand,
            actor="NSW-TH",
            fail_rate=0.0,
            text="is back (POST /_mock/faults): answers normally again",
        )
        thai = [m.envelope.message_id for m in certs["TH"]]
        if not stage.run_until(lambda: all(stage.received(thailand, i) for i in thai)):
            return None
        return (
            f"Viet Nam, Indonesia and Japan had theirs in {others_s:.2f} s while Thailand was "
            f"down; Thailand's {len(thai)} waited pending (breaker open, none dead) and "
            "arrived once it was back"
        )
