"""Watch the real relay at work: a :class:`~aswbridge.transport.base.Side` and a
translator that record every call in the :class:`~aswbridge.demo.timeline.Timeline`
and write every exchanged message to the output folder.

They wrap the real objects and change nothing: the bridge under them is the one
``aswbridge run`` builds, with its SQLite store and its HTTP transports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs

from aswbridge import pipeline, profiles, rules
from aswbridge.errors import AswBridgeError
from aswbridge.model import (
    Certificate,
    Message,
    Receipt,
    Response,
    VerificationReply,
    VerificationRequest,
)
from aswbridge.relay.translator import Translator
from aswbridge.transport.base import Delivered, Inbound, Outbound, Side, TrackState, TransportError

__all__ = ["Archive", "RecordingSide", "describe", "recording_translator"]

T = TypeVar("T")

_FORM_NAMES = {"FORM_D": "Form D", "FORM_AK": "Form AK", "FORM_RCEP": "RCEP Form"}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def describe(message: Message) -> str:
    """A short human description of a message (no personal data beyond ids)."""
    doc = message.document
    if isinstance(doc, Certificate):
        form = _FORM_NAMES.get(doc.form, doc.form)
        return f"certificate {doc.id} ({form}, {len(doc.items)} items)"
    if isinstance(doc, Response):
        given = sum(1 for d in doc.decisions if d.preference == "given")
        return f"customs decision on {doc.certificate_id}: {given}/{len(doc.decisions)} items given"
    if isinstance(doc, VerificationRequest):
        return f"verification request on {doc.certificate_id}"
    if isinstance(doc, VerificationReply):
        return f"verification reply on {doc.certificate_id}: {doc.result}"
    if isinstance(doc, Receipt):
        return f"receipt ({doc.status}) for {doc.ref_message_id}"
    return message.kind  # pragma: no cover - every kind is listed above


def _peek(body: bytes) -> Message | None:
    try:
        return pipeline.read(body)[1]
    except AswBridgeError:
        return None


def short_subject(subject: str) -> str:
    """``CN=…,O=…,C=ID`` → ``… (ID)``: the common name and the country of a signer."""
    parts = dict(p.split("=", 1) for p in subject.split(",") if "=" in p)
    name = parts.get("CN", subject)
    return f"{name} ({parts['C']})" if "C" in parts else name


class Archive:
    """Writes each exchanged message once, named by step, sender, receiver and id."""

    def __init__(self, *, root: Path, step: Callable[[], tuple[int, str]]) -> None:
        self.root = root
        self._step = step
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}
        self._written: dict[tuple[str, str, str], str] = {}
        self.files: list[str] = []

    def write(self, *, sender: str, receiver: str, kind: str, message_id: str, body: bytes) -> str:
        """Write ``body`` (once per sender, receiver and id); returns the relative path."""
        key = (sender, receiver, message_id)
        with self._lock:
            if key in self._written:
                return self._written[key]
            number, slug = self._step()
            seq = self._counts[number] = self._counts.get(number, 0) + 1
            ext = "json" if body.lstrip()[:1] == b"{" else "xml"
            folder = f"messages/{number:02d}-{slug}"
            name = f"{seq:02d}-{sender}-to-{receiver}.{kind}.{message_id}.{ext}"
            path = self.root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            relative = f"{folder}/{name}"
            self._written[key] = relative
            self.files.append(relative)
            return relative


@attrs.frozen(kw_only=True)
class Watch:
    """What a recorder needs: the timeline's event call and the archive."""

    event: Callable[..., object]
    archive: Archive


class RecordingSide:
    """A side of one bridge that records each call as an arrow of the sequence.

    Args:
        inner: the real side.
        bridge: the bridge's lifeline name (``Bridge-ID``).
        partner: the partner's lifeline name (``NSW-ID``, ``UNI-PASS``).
        watch: where events and message files go.
    """

    def __init__(self, *, inner: Side, bridge: str, partner: str, watch: Watch) -> None:
        self.inner = inner
        self.name = inner.name
        self.bridge = bridge
        self.partner = partner
        self._watch = watch
        self.failures: dict[str, list[str]] = {}
        self.pulled: list[str] = []

    def _out(self, text: str, **kw: object) -> None:
        self._watch.event(actor=self.bridge, target=self.partner, text=text, **kw)

    def deliver(self, item: Outbound) -> Delivered:
        """Deliver, recording the message and the answer (or the failure)."""
        file = self._watch.archive.write(
            sender=self.bridge,
            receiver=self.partner,
            kind=item.kind,
            message_id=item.message_id,
            body=item.body,
        )
        message = _peek(item.body)
        what = describe(message) if message else f"{item.kind} {item.message_id}"
        started = time.perf_counter()
        try:
            result = self.inner.deliver(item)
        except TransportError as exc:
            tries = self.failures.setdefault(item.message_id, [])
            remote_code = getattr(exc, "remote_code", "")  # what the partner said, kept apart
            tries.append(f"{exc.code} {remote_code}" if remote_code else exc.code)
            self._out(
                f"deliver {what}: attempt {len(tries)} failed, {tries[-1]}",
                duration_ms=_ms(started),
                status="failed",
                file=file,
            )
            raise
        again = " (a repeat, recognised)" if result.duplicate else ""
        self._out(
            f"delivered {what}, tracking {result.tracking or '-'}{again}",
            duration_ms=_ms(started),
            file=file,
        )
        return result

    def pending(self, *, limit: int = 100) -> list[str]:
        """The partner's waiting messages (not recorded: it is polled every pass)."""
        return self.inner.pending(limit=limit)

    def fetch(self, ref: str) -> Inbound:
        """Pull one message, recording it as an arrow from the partner to the bridge."""
        started = time.perf_counter()
        inbound = self.inner.fetch(ref)
        took = _ms(started)
        self.pulled.append(inbound.message_id)
        file = self._watch.archive.write(
            sender=self.partner,
            receiver=self.bridge,
            kind=inbound.kind,
            message_id=inbound.message_id,
            body=inbound.body,
        )
        message = _peek(inbound.body)
        what = describe(message) if message else f"{inbound.kind} {inbound.message_id}"
        self._watch.event(
            actor=self.partner,
            target=self.bridge,
            text=f"{what}, pulled",
            duration_ms=took,
            file=file,
        )
        return inbound

    def acknowledge(self, ref: str) -> None:
        """Acknowledge, recorded as an answer."""
        started = time.perf_counter()
        self.inner.acknowledge(ref)
        self._out(f"acknowledged {ref}", duration_ms=_ms(started), status="info")

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        """Reject with the code, recorded as a refusal."""
        started = time.perf_counter()
        self.inner.reject(ref, code=code, reason=reason)
        self._out(f"rejected {ref}: {code}", duration_ms=_ms(started), status="refused")

    def track(self, message_id: str) -> TrackState:
        """Ask the partner whether it has a message, recorded with the answer."""
        started = time.perf_counter()
        state = self.inner.track(message_id)
        self._out(
            f"asked whether it has {message_id}: {state}", duration_ms=_ms(started), status="info"
        )
        return state

    def close(self) -> None:
        """Close the real side."""
        self.inner.close()


def _schema(schema: str | Path) -> str:
    """A profile's schema as the reader knows it: a shipped one by its place among the
    shipped schemas, a package's own by its file name."""
    return Path(schema).name if Path(schema).is_absolute() else str(schema)


def rules_of(message: Message) -> int:
    """How many business rules apply to ``message`` (its document's and the envelope's)."""
    doc = message.document
    if isinstance(doc, Certificate):
        count = sum(1 for r in rules.RULES["certificate"] if r.forms is None or doc.form in r.forms)
    else:
        count = len(rules.RULES.get(message.kind, ()))
    return count + len(rules.RULES.get("envelope", ()))


def recording_translator(*, inner: Translator, bridge: str, watch: Watch) -> Translator:
    """The relay's translator, with a note on the bridge's lifeline for each message:
    the signer it verified, the schemas, the rules, or the reason it refused."""

    def run(
        data: bytes, *, source: str, target: str | Callable[[Message], str]
    ) -> pipeline.Translation:
        started = time.perf_counter()
        try:
            out = inner(data, source=source, target=target)
        except AswBridgeError as exc:
            first = exc.problems[0] if exc.problems else None
            reason = first.message if first else exc.message
            watch.event(
                actor=bridge,
                target=None,
                text=f"refused: {exc.code}: {reason}",
                duration_ms=_ms(started),
                status="refused",
            )
            raise
        took = _ms(started)
        message = out.message
        signer = out.signer
        who = short_subject(signer.subject) if signer else "unsigned (not verified)"
        src, dst = profiles.get(source), profiles.get(out.target)
        watch.event(
            actor=bridge,
            target=None,
            text=(
                f"signature of {who} verified; {_schema(src.schema)} valid; "
                f"{rules_of(message)} business rules passed; "
                f"translated to {_schema(dst.schema)}, signed by the bridge"
            ),
            duration_ms=took,
        )
        return out

    return run
