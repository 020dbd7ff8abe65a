"""The Bridge: pull from every side, verify, dedup, route, translate, queue, deliver, durably.

One pass (:meth:`Bridge.run_once`):

1. **pull** each side's pending messages (the sides in parallel). Each one is read once,
   through the pipeline: verified, decoded, routed by its verified receiver
   (:mod:`aswbridge.relay.routing`) and translated to that side's profile. Identity (sender,
   message id), routing and the dedup digest come from that verified message, never from
   the wire; a transport's own metadata (a header naming a message id or sender) must
   agree with it or the message is refused (``MESSAGE_ID_MISMATCH``, ``SENDER_MISMATCH``).
   The new messages of one pull are read as many at a time as there are workers (what a
   pull holds in memory is bounded by them); the new ones of each such chunk are recorded
   in the inbox, each with its translation queued in the outbox, in **one transaction**;
   only then is each acknowledged at its source.

   * A refused message (unsafe XML, schema, signature, business rules) is recorded under
     its content digest, never under the id it claims: a forgery cannot take the id of
     the genuine message that follows. Its source gets a ``reject`` with the code.
   * A verified message whose id was already used by its sender for other content is
     refused with ``ID_REUSED``: journaled, listed as a dead letter, rejected at its
     source and answered with a failed receipt. Never acknowledged as a duplicate.
   * An identical resend (same verified content) is a duplicate: acknowledged again,
     not delivered again.
2. **deliver** the due outbox rows under a lease: success marks the row done with the
   receiver's tracking number; a retryable fault (connection, timeout, 5xx, outcome unknown)
   schedules the next attempt in the row, from the retry policy; a rejection, or the end of
   the retry horizon, dead-letters it. After an unknown outcome the next attempt first asks
   the receiver (``track``) and resends the same bytes only if it does not have them.
   The rows are shared between the sides in turn, and a side whose circuit breaker is
   open (:mod:`aswbridge.relay.breaker`) gets none: its messages wait, pending.

A hostile partner hurts only itself: whatever one side's listing raises (a transport
error, an answer nested too deep to read, a bug) costs that side this pass, and whatever
fetching or reading one message raises leaves that message waiting; the other sides, and
the other messages, are served as usual.

A crash at any point loses nothing: an un-recorded message is still pending at its source;
a recorded one is a duplicate when fetched again; a claimed row's lease expires and it is
sent again, byte-identical, under the same message id, which the receiver recognises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from aswbridge._settings import POLL_INTERVAL, Range
from aswbridge.errors import (
    AswBridgeError,
    ConfigurationError,
    IdReused,
    KeyUnavailable,
    MessageError,
    MessageIdMismatch,
    RouteRefused,
    SecurityError,
    SenderMismatch,
    StoreConflict,
)
from aswbridge.logs import escape
from aswbridge.relay.breaker import Breaker
from aswbridge.relay.checkpoints import checkpoint
from aswbridge.relay.delivery import Delivery, PassReport
from aswbridge.relay.notify import Notifier
from aswbridge.relay.pools import Pools
from aswbridge.relay.routing import Link, route
from aswbridge.relay.translator import PROFILE_OF, Translator
from aswbridge.store.base import (
    InboxEntry,
    OutboxEntry,
    Outgoing,
    Received,
    RelayStore,
    Store,
    digest,
    utcnow,
)
from aswbridge.transport.base import (
    Inbound,
    Side,
    TransportError,
)
from aswbridge.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from aswbridge.model import Message
    from aswbridge.pipeline import Translation

log = logging.getLogger("aswbridge.relay")

_T = TypeVar("_T")
#: What became of one pulled message (a :class:`PassReport` field) and the (sender,
#: message id) it was answered as, if it was answered.
_Answer = tuple[str, tuple[str, str] | None]


@attrs.frozen(kw_only=True)
class _Taken:
    """A verified, translated new message, to record with the others of its pull."""

    inbound: Inbound
    translation: Translation
    received: Received


class Bridge:
    """Composes the local side and its partners (two-party: the NSW and UNI-PASS), the
    pipeline and the store.

    Args:
        nsw: the NSW side (speaks the ``asw`` profile unless ``profiles`` says otherwise).
        unipass: the UNI-PASS side (speaks the ``unipass`` profile, likewise).
        store: the durable store.
        translate: the pipeline step: verifies, decodes and translates bytes of one profile
            to the other, returning a :class:`~aswbridge.pipeline.Translation` (see
            :func:`~aswbridge.relay.translator.pipeline_translator`).
        country: the local side's country (ISO 3166 alpha-2): messages from it must be
            sent by that country, messages to it must be addressed to it ("": any).
        policy: the retry policy of deliveries.
        batch: messages pulled per side and rows claimed per pass.
        lease_s: how long a claimed row is ours before another worker may take it.
        workers: messages read and deliveries made in parallel (a pull records as many in
            one commit).
        notify: builds the failed receipt that tells a producer its message was
            dead-lettered (see :func:`~aswbridge.relay.notify.failure_receipt`); None: no
            receipt is sent.
        profiles: the profile each side speaks, by side name (``{"nsw": "cn"}`` for a
            single window registered as profile ``cn``); the defaults are ``asw`` and
            ``unipass``.
        links: instead of ``nsw`` and ``unipass``, the sides of a mesh: the local side
            and any number of partners (see :mod:`aswbridge.relay.routing`).
        breaker_threshold, breaker_cooldown: a side's breaker opens after that many
            transport failures in a row and lets one probe through after that many
            seconds (see :mod:`aswbridge.relay.breaker`).
        now: the clock.

    Every message goes where its verified receiver is (:func:`~aswbridge.relay.routing.route`):
    the two-party relay is the mesh of one local NSW (``nsw``, the ``country`` given) and
    one partner, UNI-PASS (``unipass``, Korea).
    """

    def __init__(
        self,
        *,
        nsw: Side | None = None,
        unipass: Side | None = None,
        store: Store,
        translate: Translator,
        country: str = "",
        policy: RetryPolicy | None = None,
        batch: int = 50,
        lease_s: float = 120.0,
        workers: int = 4,
        notify: Notifier | None = None,
        profiles: Mapping[str, str] | None = None,
        links: Sequence[Link] = (),
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        Range(1, 100_000, integer=True).validate("batch", batch)
        Range(1, 1_024, integer=True).validate("workers", workers)
        Range(0, 86_400, low_open=True).validate("lease_s", lease_s)
        if not isinstance(store, RelayStore):  # else each pass fails and leaves all waiting
            raise ConfigurationError(
                f"store {type(store).__name__} lacks methods of aswbridge.store.RelayStore"
            )
        if links and (nsw is not None or unipass is not None or profiles):
            raise ConfigurationError("give links, or nsw and unipass (with profiles), not both")
        if not links:
            if nsw is None or unipass is None:
                raise ConfigurationError("nsw and unipass are required without links")
            named = {**PROFILE_OF, **(profiles or {})}
            links = (
                Link(
                    name="nsw",
                    side=nsw,
                    country=country.upper() or None,
                    profile=named["nsw"],
                    local=True,
                ),
                Link(name="unipass", side=unipass, country="KR", profile=named["unipass"]),
            )
        self._breaker_settings = (breaker_threshold, breaker_cooldown)
        self.breakers: dict[str, Breaker] = {}
        self.links: Mapping[str, Link] = {}
        self.sides: Mapping[str, Side] = {}
        self._install(links)
        self._turn = 0
        self.store = store
        self.country = country
        self.policy = policy or RetryPolicy()
        # calls with no row to persist (list, fetch, acknowledge) retry once, briefly
        self._quick = attrs.evolve(self.policy, initial=0.1, maximum=1.0, jitter=0.1)
        self.batch = batch
        self.lease_s = lease_s
        self.workers = workers
        self._translate = translate
        self._notify = notify
        self._now = now
        self._stop = threading.Event()
        self._pools = Pools()
        self._delivery = Delivery(
            sides=self.sides,
            store=store,
            policy=self.policy,
            notify=notify,
            now=now,
            stopping=lambda: self._stop.is_set(),
        )

    def _install(self, links: Sequence[Link]) -> None:
        named = {link.name: link for link in links}
        if len(named) != len(links) or [link.local for link in links].count(True) != 1:
            raise ConfigurationError("links: one local side, and side names used once")
        threshold, cooldown = self._breaker_settings
        self.breakers = {
            name: self.breakers.get(name) or Breaker(threshold=threshold, cooldown=cooldown)
            for name in named
        }
        self.profiles = {name: link.profile for name, link in named.items()}
        self.sides = {name: link.side for name, link in named.items()}
        self.links = named

    def relink(self, links: Sequence[Link]) -> list[Side]:
        """Serve these sides from the next pass on (partners added, changed, disabled).

        The local side keeps its name. Work in flight finishes on the sides it started
        with; the queue of a side that is gone is held (its rows stay pending, never
        dead) until a side of that name is back. Returns the sides no longer used, for
        the caller to close once the pass in flight is over.

        Raises:
            ConfigurationError: no single local side, a name twice, or the local side
                renamed (a two-party store and a mesh store name their sides apart).
        """
        local = next((link.name for link in links if link.local), None)
        if local is None or local not in self.links or not self.links[local].local:
            raise ConfigurationError(f"links: the local side must keep its name ({local})")
        before = dict(self.sides)
        self._install(links)
        self._delivery.sides = self.sides
        kept = {id(side) for side in self.sides.values()}
        return [side for side in before.values() if id(side) not in kept]

    def reconfigure(self, *, translate: Translator, notify: Notifier | None) -> None:
        """Translate (verify, sign) and build failed receipts with these from now on:
        a reload's new trust anchors and signing key. Work in flight finishes as it was."""
        self._translate = translate
        self._notify = self._delivery._notify = notify

    # --- inbound ----------------------------------------------------------------------

    def pull(self, side_name: str, report: PassReport | None = None) -> PassReport:
        """Pull, record and acknowledge what one side has waiting for us."""
        report = report or PassReport()
        side = self.sides[side_name]
        try:
            refs = self._quick.call(lambda: side.pending(limit=self.batch), max_attempts=2)
        except TransportError as exc:
            log.warning("%s: cannot list pending messages: %s", side_name, escape(exc.message))
            report.errors += 1
            return report
        except Exception as exc:  # a hostile listing costs this side this pass, no more
            log.warning(
                "%s: cannot list pending messages: %s: %s",
                side_name,
                type(exc).__name__,
                escape(str(exc)[:500]),
            )
            report.errors += 1
            return report
        if not refs:
            return report
        answers: list[_Answer] = []
        with self._pools.pool(f"pull-{side_name}", self.workers) as pool:
            # as many messages as there are workers are read at once; their new ones share
            # one commit and each is acknowledged after it, before the next are fetched:
            # what a pull holds (bodies, translations) is bounded by the workers, not the batch
            for start in range(0, len(refs), self.workers):
                chunk = refs[start : start + self.workers]
                taken = list(pool.map(lambda ref: self._pull_one(side_name, side, ref), chunk))
                fresh = [t for t in taken if isinstance(t, _Taken)]
                answers += [t for t in taken if not isinstance(t, _Taken)]
                recorded = self._record(side_name, fresh)
                answers += pool.map(
                    lambda pair: self._settle(side_name, side, *pair),
                    zip(fresh, recorded, strict=True),
                )
        answered: list[tuple[str, str]] = []
        for outcome, key in answers:
            setattr(report, outcome, getattr(report, outcome) + 1)
            if key is not None:
                answered.append(key)
        self.store.mark_acknowledged_many(answered)  # the journal notes the answers, at once
        return report

    def _guarded(self, side_name: str, ref: str, work: Callable[[], _T]) -> _T | _Answer:
        """``work()`` on one message; whatever fails leaves that message waiting at its
        source (it is taken again later), and the pull goes on with the others."""
        try:
            return work()
        except (TransportError, KeyUnavailable) as exc:  # both pass: it is taken again later
            log.warning(
                "%s: message %s left waiting: %s", side_name, escape(ref), escape(exc.message)
            )
            return "errors", None
        except Exception:  # a bug must not stop the other messages; this one stays waiting
            log.exception(
                "%s: message %s left waiting after an unexpected error", side_name, escape(ref)
            )
            return "errors", None

    def _pull_one(self, side_name: str, side: Side, ref: str) -> _Taken | _Answer:
        if self._stop.is_set():
            return "skipped", None
        return self._guarded(
            side_name,
            ref,
            lambda: self._take(
                side_name, side, self._quick.call(lambda: side.fetch(ref), max_attempts=2)
            ),
        )

    def _take(self, side_name: str, side: Side, inbound: Inbound) -> _Taken | _Answer:
        """Read one message through the pipeline: refuse it, or make it ready to record."""
        try:
            translation = self._translate(
                inbound.body,
                source=self.profiles[side_name],
                target=lambda message: route(self.links, side_name, message).profile,
            )
            _check_claims(inbound, translation.message)
            dest = route(self.links, side_name, translation.message).name
        except (MessageError, SecurityError) as exc:
            problems = "; ".join(str(p) for p in exc.problems)[:2000]
            verified = exc.verified if isinstance(exc, RouteRefused) else None
            return self._refuse(
                side_name,
                side,
                inbound,
                code=exc.code,
                reason=problems,
                content=digest(inbound.body),
                message=verified,
            )
        message = translation.message
        sender, message_id = message.envelope.sender.country, message.envelope.message_id
        warnings = "; ".join(str(w) for w in translation.warnings)[:2000]
        if warnings:
            log.warning(
                "%s: %s %s from %s accepted with warnings: %s",
                side_name,
                message.kind,
                message_id,
                sender,
                warnings,
            )
        outgoing = Outgoing(
            message_id=message_id,
            dest=dest,
            kind=message.kind,
            body=translation.output,
            sender=sender,
            receiver=message.envelope.receiver.country,
            source=side_name,
            source_message_id=message_id,
        )
        received = Received(
            sender=sender,
            message_id=message_id,
            source=side_name,
            kind=message.kind,
            digest=translation.digest,
            outgoing=(outgoing,),
            reason=f"warnings: {warnings}" if warnings else None,
        )
        return _Taken(inbound=inbound, translation=translation, received=received)

    def _record(
        self, side_name: str, fresh: Sequence[_Taken]
    ) -> Sequence[bool | StoreConflict | None]:
        """Record new messages of one pull in one commit (None each: not recorded)."""
        if not fresh:
            return []
        try:
            return self.store.record_inbound_many([t.received for t in fresh])
        except Exception:  # e.g. the disk is full: nothing was acknowledged, all stay waiting
            log.exception("%s: %d messages left waiting: not recorded", side_name, len(fresh))
            return [None] * len(fresh)

    def _settle(
        self, side_name: str, side: Side, taken: _Taken, recorded: bool | StoreConflict | None
    ) -> _Answer:
        """Answer a message at its source as its recording went: acknowledged if it was
        recorded now, as its inbox row says if it was seen before, refused if its id is
        taken by other content."""
        inbound, received = taken.inbound, taken.received
        if recorded is None:
            return "errors", None

        def settle() -> _Answer:
            if isinstance(recorded, StoreConflict):  # the id is taken: never replace it
                return self._refuse(
                    side_name,
                    side,
                    inbound,
                    code=recorded.code,
                    reason=recorded.message,
                    content=received.digest,
                    translation=taken.translation,
                )
            if recorded:
                log.info(
                    "%s: %s %s from %s queued for %s",
                    side_name,
                    received.kind,
                    received.message_id,
                    received.sender,
                    received.outgoing[0].dest,
                )
                checkpoint("after_record_before_ack")
                self._acknowledge(side, inbound)
                return "pulled", received.key
            # seen before (a resend, or another relay recorded it a moment ago)
            seen = self.store.get_inbound(sender=received.sender, message_id=received.message_id)
            if seen is None:  # pragma: no cover - the store has it committed
                raise AswBridgeError(f"inbound {received.message_id} not recorded")
            if seen.digest not in (received.digest, digest(inbound.body)):
                return self._refuse(
                    side_name,
                    side,
                    inbound,
                    code=IdReused.code,
                    content=received.digest,
                    translation=taken.translation,
                    reason=f"message id {received.message_id} from {received.sender} was"
                    f" already used for other content (sha256 {seen.digest[:16]}); this"
                    f" content (sha256 {received.digest[:16]}) is refused: a new message"
                    " needs a new id",
                )
            log.info("%s: duplicate %s %s answered again", side_name, seen.kind, seen.message_id)
            self._answer(side, inbound, seen)
            return "duplicates", received.key

        return self._guarded(side_name, inbound.ref, settle)

    def _refuse(
        self,
        side_name: str,
        side: Side,
        inbound: Inbound,
        *,
        code: str,
        reason: str,
        content: str,
        translation: Translation | None = None,
        message: Message | None = None,
    ) -> tuple[str, tuple[str, str]]:
        """Record a refusal under its content digest (it claims no id) and tell its source.

        A verified ``message`` names the refusal; a translated one (``translation``) is also
        answered with a failed receipt."""
        message = translation.message if translation is not None else message
        if message is not None:
            envelope = message.envelope
            sender, message_id = envelope.sender.country, envelope.message_id
            kind = message.kind
        else:  # nothing verified: only what the transport said, to find it in the journal
            sender, message_id = inbound.sender, inbound.message_id or f"ref:{inbound.ref}"
            kind = inbound.kind or "unknown"
        key = (f"{sender or '-'}#{content[:16]}", message_id)
        log.warning(
            "%s: %s %s from %s refused: %s: %s",
            side_name,
            kind,
            message_id,
            sender or "an unverified sender",
            code,
            reason,
        )
        notice: tuple[Outgoing, ...] = ()
        if translation is not None and self._notify is not None:
            notice = self._receipt(side_name, translation, key, code=code, reason=reason)
        recorded = self.store.record_inbound(
            sender=key[0],
            message_id=message_id,
            source=side_name,
            kind=kind,
            digest=content,
            outcome="rejected",
            code=code,
            reason=reason,
            outgoing=notice,
        )
        if recorded:
            checkpoint("after_record_before_ack")
        seen = self.store.get_inbound(sender=key[0], message_id=message_id)
        if seen is None:  # pragma: no cover - the store just committed it
            raise AswBridgeError(f"refusal of {message_id} not recorded")
        self._answer(side, inbound, seen)
        return ("rejected" if recorded else "duplicates"), key

    def _receipt(
        self,
        side_name: str,
        translation: Translation,
        key: tuple[str, str],
        *,
        code: str,
        reason: str,
    ) -> tuple[Outgoing, ...]:
        """The failed receipt telling a verified producer its message was refused."""
        assert self._notify is not None
        message = translation.message
        refused = OutboxEntry(
            message_id="#".join(reversed(key)),  # the receipt's id derives from it: unique
            dest=route(self.links, side_name, message).name,
            kind=message.kind,
            body=translation.output,
            state="dead",
            attempts=0,
            created_at=self._now(),
            next_attempt_at=self._now(),
            sender=message.envelope.sender.country,
            receiver=message.envelope.receiver.country,
            source=side_name,
            source_message_id=message.envelope.message_id,
        )
        try:
            built = self._notify(refused, code=code, reason=reason, now=self._now())
        except Exception:  # the refusal matters more than the receipt
            log.exception("%s: no failed receipt could be built for %s", side_name, key[1])
            return ()
        return (built,) if built is not None else ()

    def _acknowledge(self, side: Side, inbound: Inbound) -> None:
        self._quick.call(lambda: side.acknowledge(inbound.ref), max_attempts=2)

    def _answer(self, side: Side, inbound: Inbound, seen: InboxEntry) -> None:
        """Acknowledge or reject at the source, as the inbox row says."""
        if seen.outcome == "accepted":
            self._acknowledge(side, inbound)
            return
        code, reason = seen.code or "REFUSED", seen.reason or ""
        self._quick.call(lambda: side.reject(inbound.ref, code=code, reason=reason), max_attempts=2)

    # --- outbound ---------------------------------------------------------------------

    def deliver_due(self, report: PassReport | None = None) -> PassReport:
        """Deliver up to ``batch`` due outbox rows, ``workers`` at a time, shared fairly
        between the sides.

        Rows are claimed side by side, at most ``workers`` in all at a time, so a lease
        only has to outlast one call's deadline, however large the batch. A side whose
        breaker is open gets none (its rows wait, pending); a disabled side gets none.
        """
        report = report or PassReport()
        with self._pools.pool("deliver", self.workers) as pool:
            done = 0
            while done < self.batch and not self._stop.is_set():
                rows = self._claim_fairly(min(self.workers, self.batch - done))
                if not rows:
                    break
                done += len(rows)
                outcomes = self._delivery.chunk(pool, rows, report)
                for row, outcome in zip(rows, outcomes, strict=True):
                    if outcome in ("delivered", "retry"):
                        self._breaker_saw(row.dest, ok=outcome == "delivered")
        return report

    def _claim_fairly(self, limit: int) -> list[OutboxEntry]:
        """Up to ``limit`` due rows: each side its share in turn, what a side leaves
        unused to the others."""
        now = time.monotonic()
        names = [name for name, link in self.links.items() if link.enabled]
        self._turn = (self._turn + 1) % max(1, len(names))
        hungry = names[self._turn :] + names[: self._turn]
        rows: list[OutboxEntry] = []
        while hungry and len(rows) < limit:
            share = max(1, (limit - len(rows)) // len(hungry))
            still = []
            for name in hungry:
                allowed = min(
                    self.breakers[name].allowance(normal=share, now=now), limit - len(rows)
                )
                if allowed <= 0:
                    continue
                got = self.store.claim(
                    limit=allowed,
                    lease_s=self.lease_s,
                    dest=name,
                    max_wait=self.policy.longest_wait,
                )
                rows += got
                if len(got) == allowed:
                    still.append(name)
            hungry = still
        return rows

    def _breaker_saw(self, name: str, *, ok: bool) -> None:
        changed = self.breakers[name].record(ok=ok, now=time.monotonic())
        if changed is None:
            return
        cooldown = self.breakers[name].cooldown
        detail = (
            f"deliveries fail: none sent for {cooldown:g} s, then one probe"
            if changed == "open"
            else "a delivery went through"
        )
        (log.warning if changed == "open" else log.info)(
            "%s: breaker %s (%s)", name, changed, detail
        )
        self.store.note(f"partner:{name}", event="breaker", state=changed, detail=detail)

    # --- loop -------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        """One pass: pull from every side this bridge pulls from (the sides in parallel,
        so a slow one delays only itself), then deliver what is due."""
        report = PassReport()
        names = [n for n, link in self.links.items() if link.pull and link.enabled]
        if names and not self._stop.is_set():
            with self._pools.pool("sides", len(names)) as pool:
                for pulled in pool.map(self._pull_safely, names):
                    report.add(pulled)
        if not self._stop.is_set():
            self.deliver_due(report)
        return report

    def _pull_safely(self, name: str) -> PassReport:
        report = PassReport()
        try:
            self.pull(name, report)
        except Exception:  # e.g. the store refused one answer: the other sides still run
            log.exception("%s: pull failed; the other sides are served as usual", name)
            report.errors += 1
        return report

    def run_forever(
        self, stop: threading.Event | None = None, *, poll_interval: float = 1.0
    ) -> None:
        """Run passes until ``stop`` is set; in-flight work finishes before returning."""
        POLL_INTERVAL.validate("poll_interval", poll_interval)
        if stop is not None:
            self._stop = stop
        log.info("relay for %s started", self.country or "the NSW")
        with self._pools.kept():  # threads (and what each has compiled) live across passes
            while not self._stop.is_set():
                try:
                    report = self.run_once()
                except Exception:  # e.g. the disk is full: keep trying, say so
                    log.exception("relay pass failed; trying again")
                    self._stop.wait(max(poll_interval, 1.0))
                    continue
                if not report.busy:
                    self._stop.wait(poll_interval)
        log.info("relay stopped")

    def stop(self) -> None:
        """Ask :meth:`run_forever` to finish in-flight work and return."""
        self._stop.set()


def _check_claims(inbound: Inbound, message: Message) -> None:
    """What the transport said about a message (headers) must be what was verified."""
    envelope = message.envelope
    if inbound.message_id and inbound.message_id != envelope.message_id:
        raise MessageIdMismatch(
            f"the transport names message id {inbound.message_id!r}; the verified message"
            f" is {envelope.message_id!r}"
        )
    if inbound.sender and inbound.sender != envelope.sender.country:
        raise SenderMismatch(
            f"the transport names sender {inbound.sender!r}; the verified message is from"
            f" {envelope.sender.country!r}"
        )
