"""The story the demo plays through the real relay, step by step.

1. Indonesia's Form AK certificate travels to Korea (verified, translated, signed,
   delivered to UNI-PASS);
2. Korea's customs decision comes back to Indonesia's NSW;
3. a Korean Form AK certificate travels to Viet Nam (a second NSW, its own bridge);
   Viet Nam hands it on as an OASIS UBL 2.4 certificate, which a third party checks
   with the official schema alone;
4. Viet Nam asks Korea to verify it, and Korea's reply comes back;
5. two forged certificates are refused, each with its reason, and never delivered;
6. UNI-PASS goes down, then loses an answer: the bridge rides it out with retries;
7. every partner holds each message exactly once.

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
from aswbridge.demo.stage import Stage
from aswbridge.model import Certificate, Message
from aswbridge.testing.mocks import Faults, MockServer

__all__ = ["Exhibit", "Refusal", "Story"]

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


def _settled(mock: MockServer, message_id: str) -> str | None:
    """The state of a queued message at a mock once the bridge settled it."""
    for item in mock.mailbox.queued.values():
        if item.message_id == message_id and item.state != "pending":
            return item.state
    return None


def _received(mock: MockServer, message_id: str) -> bool:
    return message_id in mock.mailbox.received


def forge(body: bytes) -> bytes:
    """Raise the first FOB value tenfold after signing (the signature no longer fits)."""
    root = _xml.parse(body)
    amount = root.find(f".//{_ASW}FOBValue/{_ASW}Amount")
    if amount is None or amount.text is None:  # pragma: no cover - the sample has FOB
        raise ValueError("no FOB value to alter")
    amount.text = f"{Decimal(amount.text) * 10:.2f}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Story:
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
            ("kr-to-vn", "A Korean Form AK certificate travels to Viet Nam", self.kr_to_vn),
            ("ubl", "Viet Nam hands it on in UBL; a third party reads it", self.ubl),
            ("verification", "Viet Nam asks Korea to verify it; the reply", self.verification),
            ("forged", "Forged certificates are refused", self.forged),
            ("outage", "UNI-PASS goes down; the bridge rides it out", self.outage),
            ("once", "Every partner has each message exactly once", self.once),
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
            stage.nsw_id,
            stage.signed(cert, profile="asw", by="ID"),
            actor="NSW-ID",
            text=f"Indonesia's Ministry of Trade signs {describe(cert)} for Korea",
        )
        if not stage.run_until(
            lambda: _received(stage.unipass, mid) and _settled(stage.nsw_id, mid) is not None
        ):
            return None
        record = stage.unipass.mailbox.received[mid]
        self._exhibit(
            "Indonesia → Korea, as UNI-PASS received it", record.body, "Bridge-ID", "UNI-PASS", mid
        )
        return f"UNI-PASS has it (tracking {record.tracking}); NSW-ID got the acknowledgement"

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
        if not stage.run_until(lambda: _received(stage.nsw_id, mid)):
            return None
        got = pipeline.read(stage.nsw_id.mailbox.received[mid].body)[1]
        if self.exhibits:
            self.exhibits[0] = attrs.evolve(self.exhibits[0], decision=got)
        return "NSW-ID has Korea's decision (box 4): preference given to 19 of 20 items"

    def kr_to_vn(self) -> str | None:
        """Korea's signed Form AK to Viet Nam, taken only by Viet Nam's bridge."""
        stage = self.stage
        cert = samples.form_ak_kr_vn()
        self.cert_kr_vn = cert
        mid = cert.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(cert, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs Service signs {describe(cert)} for Viet Nam",
        )
        if not stage.run_until(lambda: _received(stage.nsw_vn, mid)):
            return None
        record = stage.nsw_vn.mailbox.received[mid]
        self._exhibit(
            "Korea → Viet Nam, as NSW-VN received it", record.body, "Bridge-VN", "NSW-VN", mid
        )
        return f"NSW-VN has it (tracking {record.tracking}); only Bridge-VN took it"

    def ubl(self) -> str | None:
        """The certificate NSW-VN received, as an OASIS UBL 2.4 ``CertificateOfOrigin``,
        checked the way a third party would: the official schema, nothing of aswbridge's."""
        stage = self.stage
        cert = self.cert_kr_vn
        if cert is None or cert.envelope.message_id not in stage.nsw_vn.mailbox.received:
            return None
        mid = cert.envelope.message_id
        received = stage.nsw_vn.mailbox.received[mid].body
        document = cert.document
        assert isinstance(document, Certificate)
        ubl = pipeline.translate(received, source="asw", target="ubl",
                                 today=document.issue_date + timedelta(days=1))
        stage.timeline.event(actor="NSW-VN", target=None, status="info",
                             text="NSW-VN writes the certificate as UBL 2.4 for a third party")
        # the third party: the official OASIS schema file, a plain XSD validation
        official = _xml.load_schema(_xml.schema_path(profiles.get("ubl").schema))
        root = _xml.parse(ubl)
        if not official.validate(root):
            first = str(official.error_log).splitlines()[:1]
            self.timeline.say(f"{'':10}not valid UBL: {' '.join(first)}")
            return None
        ns = {"c": f"{_UBL}CertificateOfOrigin-2", "cbc": f"{_UBL}CommonBasicComponents-2",
              "cac": f"{_UBL}CommonAggregateComponents-2"}
        number = root.xpath("string(/c:CertificateOfOrigin/cbc:ID)", namespaces=ns)
        items = root.xpath("/c:CertificateOfOrigin/cac:CertificateOfOriginApplication"
                           "/cac:Shipment/cac:GoodsItem", namespaces=ns)
        assert isinstance(items, list)
        if number != document.id or len(items) != len(document.items):
            return None
        file = stage.archive.write(sender="NSW-VN", receiver="third-party", kind="certificate",
                                   message_id=mid, body=ubl)
        self.exhibits.append(Exhibit(title="Korea → Viet Nam, handed on in UBL 2.4",
                                     message=pipeline.read(ubl)[1], file=file))
        stage.timeline.event(
            actor="NSW-VN", target=None, status="ok", file=file,
            text=f"a third party checks it with UBL-CertificateOfOrigin-2.4.xsd (OASIS): "
                 f"valid; {number}, {len(items)} cac:GoodsItem")
        return (f"valid against the official OASIS schema; CO {number} at cbc:ID, "
                f"{len(items)} goods items at cac:GoodsItem")

    def verification(self) -> str | None:
        """Viet Nam's verification request to Korea, and Korea's reply back."""
        stage = self.stage
        if self.cert_kr_vn is None:
            return None
        request = samples.verification_request_for(self.cert_kr_vn)
        rid = request.envelope.message_id
        stage.inject(
            stage.nsw_vn,
            stage.signed(request, profile="asw", by="VN"),
            actor="NSW-VN",
            text=f"Vietnam Customs signs a {describe(request)}",
        )
        if not stage.run_until(lambda: _received(stage.unipass, rid)):
            return None
        reply = samples.verification_reply_for(request)
        pid = reply.envelope.message_id
        stage.inject(
            stage.unipass,
            stage.signed(reply, profile="unipass", by="KR"),
            actor="UNI-PASS",
            text=f"Korea Customs Service signs its {describe(reply)}",
        )
        if not stage.run_until(lambda: _received(stage.nsw_vn, pid)):
            return None
        got = pipeline.read(stage.nsw_vn.mailbox.received[pid].body)[1]
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
            stage.nsw_id,
            forge(stage.signed(altered, profile="asw", by="ID")),
            actor="NSW-ID",
            text=f"{describe(altered)}: signed, then its FOB value raised tenfold",
        )
        stage.inject(
            stage.nsw_id,
            stage.signed(impostor, profile="asw", by="ID", impostor=True),
            actor="NSW-ID",
            text=f"{describe(impostor)}: signed by an impostor's key in the authority's name",
        )
        ids = [m.envelope.message_id for m in (altered, impostor)]
        if not stage.run_until(lambda: all(_settled(stage.nsw_id, i) for i in ids)):
            return None
        codes = []
        for message, mid in zip((altered, impostor), ids, strict=True):
            item = next(q for q in stage.nsw_id.mailbox.queued.values() if q.message_id == mid)
            if item.state != "rejected" or _received(stage.unipass, mid):
                return None
            files = [f for f in stage.archive.files if mid in f]
            self.refusals.append(
                Refusal(
                    title=describe(message),
                    code=item.code,
                    reason=item.reason,
                    file=files[0] if files else "",
                )
            )
            codes.append(item.code)
        return f"both refused ({', '.join(codes)}), sent back to NSW-ID, none reached UNI-PASS"

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
            stage.nsw_id,
            stage.signed(cert, profile="asw", by="ID"),
            actor="NSW-ID",
            text=f"Indonesia's Ministry of Trade signs {describe(cert)} for Korea",
        )
        failures = stage.sides["ID"]["unipass"].failures

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
            f"({seen}); the resend after the lost answer was recognised as a repeat"
        )

    def once(self) -> str | None:
        """Each partner holds each message id once; nothing waiting, no dead letters."""
        stage = self.stage
        self.stats = {
            "NSW-ID": stage.nsw_id.stats(),
            "UNI-PASS": stage.unipass.stats(),
            "NSW-VN": stage.nsw_vn.stats(),
        }
        expected = {
            "NSW-ID": {"response": 1},
            "UNI-PASS": {"certificate": 2, "verification_request": 1},
            "NSW-VN": {"certificate": 1, "verification_reply": 1},
        }
        ok = True
        for name, stats in self.stats.items():
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(stats["by_kind"].items()))
            line = (
                f"{name}: {stats['distinct']} distinct messages ({kinds}) in "
                f"{stats['received']} deliveries; sent {stats['queued']}, "
                f"{stats['pending']} left waiting"
            )
            self.timeline.say(f"{'':10}{line}")
            # "received" counts deliveries, repeats included; "distinct" counts message
            # ids: a resend after a lost answer is recognised, never taken twice
            good = stats["by_kind"] == expected[name] and stats["pending"] == 0
            ok = ok and good
        busy = list(stage.busy())
        dead = sum(len(b.store.dead_letters()) for b in stage.bridges.values())
        if busy or dead or not ok:
            return None
        repeats = sum(s["received"] - s["distinct"] for s in self.stats.values())
        return (
            f"each message taken once ({repeats} resend recognised as a repeat); "
            "nothing waiting, no dead letters"
        )

    # --- helpers ----------------------------------------------------------------------------

    def _exhibit(self, title: str, body: bytes, sender: str, receiver: str, mid: str) -> None:
        file = self.stage.archive.write(
            sender=sender, receiver=receiver, kind="certificate", message_id=mid, body=body
        )
        self.exhibits.append(Exhibit(title=title, message=pipeline.read(body)[1], file=file))
