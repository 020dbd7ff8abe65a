"""The story the demo plays through the real relay, step by step.

Korea's bridge serves UNI-PASS and the NSWs of Indonesia, Viet Nam, Thailand and China;
Indonesia's own bridge carries its certificates to Korea beside it.

1. Indonesia's Form AK certificate travels to Korea on Indonesia's bridge (verified,
   translated, signed, delivered to UNI-PASS);
2. Korea's customs decision comes back to Indonesia on Korea's bridge (each direction
   of the link has one carrier);
3. Korean certificates for Viet Nam and Thailand: Korea's bridge routes each by its
   verified receiver;
4. Viet Nam hands its certificate on as an OASIS UBL 2.4 certificate, which a third
   party checks with the official schema alone;
5. Viet Nam asks Korea to verify it, and Korea's reply comes back;
6. China joins with its profile package: a Chinese certificate to Korea, the decision
   back in China's own message set;
7. Japan joins in UBL: a certificate for Japan is refused with ``NO_ROUTE`` until Japan
   is added to the configuration of Korea's bridge, then they flow;
8. Thailand's NSW goes down: its certificates wait (its breaker open), the others keep
   flowing, and Thailand's arrive when it is back;
9. two forged certificates are refused, each with its reason, and never delivered;
10. UNI-PASS goes down, then loses an answer: Indonesia's bridge rides it out;
11. every system holds each message exactly once, and each was carried by one bridge.

Each step waits for what must have happened (read from the mocks and the stores) and
says so; a step that does not see it within its time fails, and the demo exits 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
from lxml import etree

from aswbridge import _xml, pipeline, profiles, samples
from aswbridge.demo.recording import describe
from aswbridge.demo.regional import RegionalSteps
from aswbridge.demo.stage import Stage, lane
from aswbridge.model import Certificate, Message
from aswbridge.testing.mocks import Faults, MockServer

__all__ = ["EXPECTED", "Exhibit", "Refusal", "Story"]

#: What each system holds at the end of the story, by kind of message.
EXPECTED: dict[str, dict[str, int]] = {
    "UNI-PASS": {"certificate": 3, "verification_request": 1},  # ID twice, CN once
    "NSW-ID": {"certificate": 1, "response": 1},
    "NSW-VN": {"certificate": 2, "verification_reply": 1},
    "NSW-TH": {"certificate": 4},
    "NSW-CN": {"response": 1},
    "NSW-JP": {"certificate": 2},  # the one refused before Japan joined is not here
}

_ASW = "{urn:aswbridge:reference:asw:1}"
_UBL = "urn:oasis:names:specification:ubl:schema:xsd:"


@attrs.frozen(kw_only=True)
class Exhibit:
    """A certificate as its receiver got it, with the customs decision on it, if any."""

    title: str
    message: Message
    file: str
    decision: Message | None = None
    related: tuple[Message, ...] = ()


@attrs.frozen(kw_only=True)
class Refusal:
    """A message the bridge refused: what it was, the code and the reason."""

    title: str
    code: str
    reason: str
    file: str


def forge(body: bytes) -> bytes:
    """Raise the first FOB value tenfold after signing (the signature no longer fits)."""
    root = _xml.parse(body)
    amount = root.find(f".//{_ASW}FOBValue/{_ASW}Amount")
    if amount is None or amount.text is None:  # pragma: no cover - the sample has FOB
        raise ValueError("no FOB value to alter")
    amount.text = f"{Decimal(amount.text) * 10:.2f}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Story(RegionalSteps):
    """Plays the steps on a :class:`Stage` and keeps what the report shows."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.timeline = stage.timeline
        self.exhibits: list[Exhibit] = []
        self.refusals: list[Refusal] = []
        self.related: list[Message] = []
        self.failed: list[str] = []
        self.stats: dict[str, dict[str, Any]] = {}
        self.cert_id_kr: Message | None = None
        self.cert_kr_vn: Message | None = None

    @property
    def steps(self) -> list[tuple[str, str, Callable[[], str | None]]]:
        """(slug, title, play) of every step, in order; play returns the outcome, or
        ``None`` when it did not happen as expected."""
        return [
            ("id-to-kr", "An Indonesian Form AK certificate travels to Korea", self.id_to_kr),
            ("decision", "Korea's customs decision comes back to Indonesia", self.decision),
            (
                "kr-to-asean",
                "Korea's bridge routes certificates to Viet Nam and Thailand",
                self.kr_to_asean,
            ),
            ("ubl", "Viet Nam hands it on in UBL; a third party reads it", self.ubl),
            ("verification", "Viet Nam asks Korea to verify it; the reply", self.verification),
            ("china", "China joins with its profile package", self.china),
            ("japan", "Japan joins in UBL by a change of configuration", self.japan),
            ("isolation", "Thailand's NSW goes down; the others keep flowing", self.isolation),
            ("forged", "Forged certificates are refused", self.forged),
            ("outage", "UNI-PASS goes down; the bridge rides it out", self.outage),
            ("once", "Every system has each message exactly once, from one carrier", self.once),
        ]

    def play(self) -> list[str]:
        """Play every step; returns the titles of the steps that failed."""
        for slug, title, act in self.steps:
            self.stage.slug = slug
            step = self.timeline.begin(title)
            try:
                outcome = act()
            except Exception as exc:  # a step that breaks fails; the others still play
                outcome = None
                self.timeline.say(f"{'':8}error: {type(exc).__name__}: {exc}")
            if outcome is None:
                self.failed.append(f"{step.number} {title}")
                self.timeline.end(step, ok=False, outcome="did not happen as expected")
            else:
                self.timeline.end(step, ok=True, outcome=outcome)
        return self.failed

    # --- the steps ------------------------------------------------------------------------

    def id_to_kr(self) -> str | None:
        """Indonesia's signed Form AK, pulled, verified, translated, signed, delivered."""
        stage = self.stage
        cert = samples.form_ak_id_kr()
        self.cert_id_kr = cert
        mid = cert.envelope.message_id
        stage.inject(
            stage.nsw["ID"],
            stage.signed(cert, profile="asw", by="ID"),
            actor="NSW-ID",
            text=f"Indonesia's Ministry of Trade signs {describe(cert)} for Korea",
        )
        if not stage.run_until(
            lambda: stage.received(stage.unipass, mid) and bool(stage.settled(stage.nsw["ID"], mid))
        ):
            return None
        if stage.pulled_by().get(mid) != {"Bridge-ID"}:
            return None
        record = stage.unipass.mailbox.received[mid]
        self._exhibit(
            "Indonesia → Korea, as UNI-PASS received it", record.body, "Bridge-ID", "UNI-PASS", mid
        )
        return (
            f"UNI-PASS has it (tracking {record.tracking}); NSW-ID got the acknowledgement; "
            "Korea's bridge, which only delivers to NSW-ID, did not pull it"
        )

    def decision(self) -> str | None:
        """Korea Customs' signed decision (item 3 refused) back to Indonesia's NSW."""
        stage = self.stage
        if self.cert_id_kr is None:
            return None
        response = samples.response_for(self.cert_id_kr, refuse={3: samples.REFUSAL_REASON})
        mid = response.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(response, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs signs its {describe(response)} (item 3 refused)",
        )
        if not stage.run_until(lambda: stage.received(stage.nsw["ID"], mid)):
            return None
        if stage.pulled_by().get(mid) != {"Bridge-KR"}:
            return None
        got = pipeline.read(stage.nsw["ID"].mailbox.received[mid].body)[1]
        if self.exhibits:
            self.exhibits[0] = attrs.evolve(self.exhibits[0], decision=got)
        return (
            "NSW-ID has Korea's decision (box 4): preference given to 19 of 20 items; "
            "Korea's bridge carried it, Indonesia's does not pull from UNI-PASS"
        )

    def kr_to_asean(self) -> str | None:
        """Korean certificates for Viet Nam and Thailand: one pull from UNI-PASS, each
        delivered to the NSW of its verified receiver and to no other."""
        stage = self.stage
        cert = samples.form_ak_kr_vn()
        self.cert_kr_vn = cert
        to_th = samples.certificate("FORM_AK", "KR", "TH", 4, name="demo-kr-th")
        for message, country in ((cert, "Viet Nam"), (to_th, "Thailand")):
            stage.inject(
                stage.unipass,
                stage.signed(message, profile="unipass", by="KR"),
                actor="UNI-PASS",
                text=f"Korea Customs Service signs {describe(message)} for {country}",
            )
        vn, th = cert.envelope.message_id, to_th.envelope.message_id
        if not stage.run_until(
            lambda: stage.received(stage.nsw["VN"], vn) and stage.received(stage.nsw["TH"], th)
        ):
            return None
        if stage.received(stage.nsw["TH"], vn) or stage.received(stage.nsw["VN"], th):
            return None
        record = stage.nsw["VN"].mailbox.received[vn]
        self._exhibit(
            "Korea → Viet Nam, as NSW-VN received it", record.body, "Bridge-KR", "NSW-VN", vn
        )
        return (
            f"NSW-VN has its certificate (tracking {record.tracking}), NSW-TH has its own "
            f"(tracking {stage.nsw['TH'].mailbox.received[th].tracking}): each NSW only its own"
        )

    def ubl(self) -> str | None:
        """The certificate NSW-VN received, as an OASIS UBL 2.4 ``CertificateOfOrigin``,
        checked the way a third party would: the official schema, nothing of aswbridge's."""
        stage = self.stage
        cert = self.cert_kr_vn
        if cert is None or cert.envelope.message_id not in stage.nsw["VN"].mailbox.received:
            return None
        mid = cert.envelope.message_id
        received = stage.nsw["VN"].mailbox.received[mid].body
        document = cert.document
        assert isinstance(document, Certificate)
        ubl = pipeline.translate(
            received, source="asw", target="ubl", today=document.issue_date + timedelta(days=1)
        )
        stage.timeline.event(
            actor="NSW-VN",
            target=None,
            status="info",
            text="NSW-VN writes the certificate as UBL 2.4 for a third party",
        )
        # the third party: the official OASIS schema file, a plain XSD validation
        official = _xml.load_schema(_xml.schema_path(profiles.get("ubl").schema))
        root = _xml.parse(ubl)
        if not official.validate(root):
            first = str(official.error_log).splitlines()[:1]
            self.timeline.say(f"{'':10}not valid UBL: {' '.join(first)}")
            return None
        ns = {
            "c": f"{_UBL}CertificateOfOrigin-2",
            "cbc": f"{_UBL}CommonBasicComponents-2",
            "cac": f"{_UBL}CommonAggregateComponents-2",
        }
        number = root.xpath("string(/c:CertificateOfOrigin/cbc:ID)", namespaces=ns)
        items = root.xpath(
            "/c:CertificateOfOrigin/cac:CertificateOfOriginApplication/cac:Shipment/cac:GoodsItem",
            namespaces=ns,
        )
        assert isinstance(items, list)
        if number != document.id or len(items) != len(document.items):
            return None
        file = stage.archive.write(
            sender="NSW-VN", receiver="third-party", kind="certificate", message_id=mid, body=ubl
        )
        self.exhibits.append(
            Exhibit(
                title="Korea → Viet Nam, handed on in UBL 2.4",
                message=pipeline.read(ubl)[1],
                file=file,
            )
        )
        stage.timeline.event(
            actor="NSW-VN",
            target=None,
            status="ok",
            file=file,
            text=f"a third party checks it with UBL-CertificateOfOrigin-2.4.xsd (OASIS): "
            f"valid; {number}, {len(items)} cac:GoodsItem",
        )
        return (
            f"valid against the official OASIS schema; CO {number} at cbc:ID, "
            f"{len(items)} goods items at cac:GoodsItem"
        )

    def verification(self) -> str | None:
        """Viet Nam's verification request to Korea, and Korea's reply back."""
        stage = self.stage
        if self.cert_kr_vn is None:
            return None
        request = samples.verification_request_for(self.cert_kr_vn)
        rid = request.envelope.message_id
        stage.inject(
            stage.nsw["VN"],
            stage.signed(request, profile="asw", by="VN"),
            actor="NSW-VN",
            text=f"Vietnam Customs signs a {describe(request)}",
        )
        if not stage.run_until(lambda: stage.received(stage.unipass, rid)):
            return None
        reply = samples.verification_reply_for(request)
        pid = reply.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(reply, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs Service signs its {describe(reply)}",
        )
        if not stage.run_until(lambda: stage.received(stage.nsw["VN"], pid)):
            return None
        got = pipeline.read(stage.nsw["VN"].mailbox.received[pid].body)[1]
        sent = pipeline.read(stage.unipass.mailbox.received[rid].body)[1]
        for exhibit_index, exhibit in enumerate(self.exhibits):
            if exhibit.message.envelope.message_id == request.envelope.correlation_id:
                self.exhibits[exhibit_index] = attrs.evolve(exhibit, related=(sent, got))
        result = getattr(got.document, "result", "?")
        return f"UNI-PASS has the request; NSW-VN has Korea's reply: {result}"

    def forged(self) -> str | None:
        """An altered and an impostor-signed certificate: refused, never delivered."""
        stage = self.stage
        altered = samples.certificate(
            exporter_country="ID", importing_country="KR", items=3, name="demo-forged-altered"
        )
        impostor = samples.certificate(
            exporter_country="ID", importing_country="KR", items=3, name="demo-forged-impostor"
        )
        stage.inject(
            stage.nsw["ID"],
            forge(stage.signed(altered, profile="asw", by="ID")),
            actor="NSW-ID",
            text=f"{describe(altered)}: signed, then its FOB value raised tenfold",
        )
        stage.inject(
            stage.nsw["ID"],
            stage.signed(impostor, profile="asw", by="ID", impostor=True),
            actor="NSW-ID",
            text=f"{describe(impostor)}: signed by an impostor's key in the authority's name",
        )
        ids = [m.envelope.message_id for m in (altered, impostor)]
        if not stage.run_until(lambda: all(stage.settled(stage.nsw["ID"], i) for i in ids)):
            return None
        codes = [self._refused(message, at=stage.nsw["ID"]) for message in (altered, impostor)]
        if None in codes or any(stage.received(stage.unipass, i) for i in ids):
            return None
        return (
            f"both refused ({', '.join(map(str, codes))}), sent back to NSW-ID, none reached "
            "UNI-PASS"
        )

    def outage(self) -> str | None:
        """503s, then a lost answer: the bridge retries and UNI-PASS takes it once."""
        stage = self.stage
        unipass = stage.unipass
        cert = samples.certificate(
            exporter_country="ID", importing_country="KR", items=5, name="demo-outage"
        )
        mid = cert.envelope.message_id
        unipass.faults = Faults(fail_rate=1.0)
        self.timeline.event(
            actor="UNI-PASS",
            target=None,
            status="failed",
            text="goes down: every call is answered 503 Service Unavailable",
        )
        stage.inject(
            stage.nsw["ID"],
            stage.signed(cert, profile="asw", by="ID"),
            actor="NSW-ID",
            text=f"Indonesia's Ministry of Trade signs {describe(cert)} for Korea",
        )
        failures = stage.sides("ID")["KR"].failures

        def weather() -> None:
            tries = len(failures.get(mid, []))
            if tries == 3 and unipass.faults.fail_rate:
                unipass.faults = Faults(drop_rate=1.0)
                self.timeline.event(
                    actor="UNI-PASS",
                    target=None,
                    status="failed",
                    text="is back, but drops each connection before answering",
                )
            elif tries == 4 and unipass.faults.drop_rate:
                unipass.faults = Faults()
                self.timeline.event(
                    actor="UNI-PASS", target=None, status="info", text="answers normally again"
                )

        def done() -> bool:
            weather()
            row = stage.bridges["ID"].store.get(mid)
            return row is not None and row.state == "done"

        if not stage.run_until(done, timeout=30):
            unipass.faults = Faults()
            return None
        row = stage.bridges["ID"].store.get(mid)
        assert row is not None
        seen = ", ".join(failures.get(mid, []))
        return (
            f"delivered on attempt {row.attempts} after {len(failures.get(mid, []))} failures "
            f"({seen}); UNI-PASS holds it once"
        )

    def once(self) -> str | None:
        """Each system holds each message id once, each pulled by one bridge; nothing
        waiting, no dead letters."""
        stage = self.stage
        systems = {"UNI-PASS": stage.unipass, **{lane(cc): m for cc, m in stage.nsw.items()}}
        self.stats = {name: mock.stats() for name, mock in systems.items()}
        ok = True
        for name, stats in self.stats.items():
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(stats["by_kind"].items()))
            self.timeline.say(
                f"{'':10}{name}: {stats['distinct']} distinct messages ({kinds}) in "
                f"{stats['received']} deliveries; sent {stats['queued']}, "
                f"{stats['pending']} left waiting"
            )
            # "received" counts deliveries, repeats included; "distinct" counts message
            # ids: a resend after a lost answer is recognised, never taken twice
            ok = ok and stats["by_kind"] == EXPECTED[name] and stats["pending"] == 0
        twice = [mid for mid, bridges in stage.pulled_by().items() if len(bridges) > 1]
        busy = list(stage.busy())
        dead = sum(len(b.store.dead_letters()) for b in stage.bridges.values())
        if busy or dead or twice or not ok:
            return None
        partners = stage.bridges["KR"].store.counts_by_side()
        done = ", ".join(
            f"{lane('KR' if side == 'local' else side)} {counts['done']}"
            for side, counts in sorted(partners.items())
        )
        repeats = sum(s["received"] - s["distinct"] for s in self.stats.values())
        again = f" ({repeats} resend recognised as a repeat)" if repeats else ""
        return (
            f"each message taken once{again}, each pulled by one bridge; Korea's bridge "
            f"delivered {done}; nothing waiting, no dead letters"
        )

    # --- helpers ----------------------------------------------------------------------------

    def _refused(self, message: Message, *, at: MockServer) -> str | None:
        """The code ``message`` was refused with at its source ``at`` (kept for the
        report), or None when it was not refused."""
        mid = message.envelope.message_id
        item = next((q for q in at.mailbox.queued.values() if q.message_id == mid), None)
        if item is None or item.state != "rejected":
            return None
        files = [f for f in self.stage.archive.files if mid in f]
        self.refusals.append(
            Refusal(
                title=describe(message),
                code=item.code,
                reason=item.reason,
                file=files[0] if files else "",
            )
        )
        return item.code

    def _exhibit(self, title: str, body: bytes, sender: str, receiver: str, mid: str) -> None:
        file = self.stage.archive.write(
            sender=sender, receiver=receiver, kind="certificate", message_id=mid, body=body
        )
        self.exhibits.append(Exhibit(title=title, message=pipeline.read(body)[1], file=file))
