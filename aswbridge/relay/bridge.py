"""The Bridge: pull from both sides, dedup, translate, queue, deliver, with a durable store.

One pass (:meth:`Bridge.run_once`):

1. **pull** each side's pending messages; for each one not seen before, translate it to the
   other side's profile and, in **one transaction**, record it in the inbox and queue the
   translation in the outbox; only then acknowledge it at its source. A message that fails
   translation (unsafe XML, schema, signature, business rules) is recorded as rejected and
   the source gets a ``reject`` with the code: it is never retried. A duplicate (seen before)
   gets the same answer as the first time.
2. **deliver** the due outbox rows under a lease: success marks the row done with the
   receiver's tracking number; a retryable fault (connection, timeout, 5xx, outcome unknown)
   schedules the next attempt in the row, from the retry policy; a rejection, or the end of
   the retry horizon, dead-letters it. After an unknown outcome the next attempt first asks
   the receiver (``track``) and resends the same bytes only if it does not have them.

A hostile partner hurts only itself: whatever one side's listing raises (a transport
error, an answer nested too deep to read, a bug) costs that side this pass, and whatever
fetching or reading one message raises leaves that message waiting; the other side, and
the other messages, are served as usual.

A crash at any point loses nothing: an un-recorded message is still pending at its source;
a recorded one is a duplicate when fetched again; a claimed row's lease expires and it is
sent again, byte-identical, under the same message id, which the receiver recognises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import attrs

from aswbridge.errors import AswBridgeError, ConfigurationError, MessageError, SecurityError
from aswbridge.logs import escape
from aswbridge.relay.crash import crash_point
from aswbridge.relay.delivery import Delivery, PassReport
from aswbridge.relay.notify import Notifier
from aswbridge.relay.translator import (
    OTHER_SIDE,
    PROFILE_OF,
    Routing,
    Translator,
    read_routing,
)
from aswbridge.security.pkcs11 import KeyUnavailable
from aswbridge.store.base import (
    InboxOutcome,
    Outgoing,
    Store,
    StoreConflict,
    digest,
    utcnow,
)
from aswbridge.transport.base import (
    Inbound,
    Side,
    TransportError,
)
from aswbridge.transport.retry import RetryPolicy

log = logging.getLogger("aswbridge.relay")


class Bridge:
    """Composes the NSW side, the UNI-PASS side, the pipeline and the store.

    Args:
        nsw: the NSW side (speaks the ``asw`` profile unless ``profiles`` says otherwise).
        unipass: the UNI-PASS side (speaks the ``unipass`` profile, likewise).
        store: the durable store.
        translate: the pipeline step, bytes of one profile to bytes of the other (with trust
            and signing configured in it).
        country: the local NSW's country (ISO 3166 alpha-2), for logs.
        policy: the retry policy of deliveries.
        batch: messages pulled per side and rows claimed per pass.
        lease_s: how long a claimed row is ours before another worker may take it.
        workers: deliveries in parallel.
        read: routing data of a translated message (id, kind, sender, receiver).
        notify: builds the failed receipt that tells a producer its message was
            dead-lettered (see :func:`~aswbridge.relay.notify.failure_receipt`); None: no
            receipt is sent.
        profiles: the profile each side speaks, by side name (``{"nsw": "cn"}`` for a
            single window registered as profile ``cn``); the defaults are ``asw`` and
            ``unipass``.
        now: the clock.
    """

    def __init__(
        self,
        *,
        nsw: Side,
        unipass: Side,
        store: Store,
        translate: Translator,
        country: str = "",
        policy: RetryPolicy | None = None,
        batch: int = 50,
        lease_s: float = 120.0,
        workers: int = 4,
        read: Callable[[bytes], Routing] = read_routing,
        notify: Notifier | None = None,
        profiles: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        if batch < 1 or workers < 1 or lease_s <= 0:
            raise ConfigurationError("batch, workers and lease_s must be positive")
        self.sides: Mapping[str, Side] = {"nsw": nsw, "unipass": unipass}
        self.store = store
        self.country = country
        self.policy = policy or RetryPolicy()
        # calls with no row to persist (list, fetch, acknowledge) retry once, briefly
        self._quick = attrs.evolve(self.policy, initial=0.1, maximum=1.0, jitter=0.1)
        self.batch = batch
        self.lease_s = lease_s
        self.workers = workers
        self._translate = translate
        self._read = read
        self._notify = notify
        self.profiles = {**PROFILE_OF, **(profiles or {})}
        self._now = now
        self._stop = threading.Event()
        self._delivery = Delivery(
            sides=self.sides,
            store=store,
            policy=self.policy,
            notify=notify,
            now=now,
            stopping=lambda: self._stop.is_set(),
        )

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
            log.warning("%s: cannot list pending messages: %s: %s", side_name,
                        type(exc).__name__, escape(str(exc)[:500]))
            report.errors += 1
            return report
        if not refs:
            return report
        with ThreadPoolExecutor(max_workers=min(self.workers, len(refs))) as pool:
            outcomes = list(pool.map(lambda ref: self._pull_one(side_name, side, ref), refs))
        answered: list[tuple[str, str]] = []
        for outcome, key in outcomes:
            setattr(report, outcome, getattr(report, outcome) + 1)
            if key is not None:
                answered.append(key)
        self.store.mark_acknowledged_many(answered)  # the journal notes the answers, at once
        return report

    def _pull_one(self, side_name: str, side: Side, ref: str) -> tuple[str, tuple[str, str] | None]:
        if self._stop.is_set():
            return "skipped", None
        try:
            inbound = self._quick.call(lambda: side.fetch(ref), max_attempts=2)
            return self._take(side_name, side, inbound), (inbound.sender, inbound.message_id)
        except (TransportError, KeyUnavailable) as exc:  # both pass: it is taken again later
            log.warning("%s: message %s left waiting: %s", side_name, escape(ref),
                        escape(exc.message))
            return "errors", None
        except Exception:  # a bug must not stop the other messages; this one stays waiting
            log.exception("%s: message %s left waiting after an unexpected error", side_name,
                          escape(ref))
            return "errors", None

    def _take(self, side_name: str, side: Side, inbound: Inbound) -> str:
        seen = self.store.get_inbound(sender=inbound.sender, message_id=inbound.message_id)
        outcome = "duplicates"
        if seen is None:
            recorded = self._record(side_name, inbound)
            seen = self.store.get_inbound(sender=inbound.sender, message_id=inbound.message_id)
            if seen is None:  # pragma: no cover - the store just committed it
                raise AswBridgeError(f"inbound {inbound.message_id} not recorded")
            if recorded:
                outcome = "pulled" if seen.outcome == "accepted" else "rejected"
            crash_point("after_record_before_ack")
        else:
            log.info("%s: duplicate %s %s answered again", side_name, seen.kind, seen.message_id)
        if seen.outcome == "accepted":
            self._quick.call(lambda: side.acknowledge(inbound.ref), max_attempts=2)
        else:
            code, reason = seen.code or "REFUSED", seen.reason or ""
            self._quick.call(
                lambda: side.reject(inbound.ref, code=code, reason=reason), max_attempts=2
            )
        return outcome

    def _record(self, side_name: str, inbound: Inbound) -> bool:
        dest = OTHER_SIDE[side_name]

        def record(
            *,
            outcome: InboxOutcome = "accepted",
            code: str | None = None,
            reason: str | None = None,
            outgoing: tuple[Outgoing, ...] = (),
        ) -> bool:
            return self.store.record_inbound(
                sender=inbound.sender,
                message_id=inbound.message_id,
                source=side_name,
                kind=inbound.kind,
                digest=digest(inbound.body),
                outcome=outcome,
                code=code,
                reason=reason,
                outgoing=outgoing,
            )

        try:
            out = self._translate(
                inbound.body, source=self.profiles[side_name], target=self.profiles[dest]
            )
            routing = self._read(out)
        except (MessageError, SecurityError) as exc:
            problems = "; ".join(str(p) for p in exc.problems)[:2000]
            log.warning(
                "%s: %s %s from %s refused: %s",
                side_name,
                inbound.kind,
                inbound.message_id,
                inbound.sender,
                problems,
            )
            return record(outcome="rejected", code=exc.code, reason=problems)
        outgoing = Outgoing(
            message_id=routing.message_id,
            dest=dest,
            kind=routing.kind,
            body=out,
            sender=routing.sender,
            receiver=routing.receiver,
            source=side_name,
            source_message_id=inbound.message_id,
        )
        try:
            new = record(outgoing=(outgoing,))
        except StoreConflict as exc:  # the id is taken by other content: never replace it
            log.error(
                "%s: %s from %s refused: %s",
                side_name,
                inbound.message_id,
                inbound.sender,
                exc.message,
            )
            return record(outcome="rejected", code=exc.code, reason=exc.message)
        if new:
            log.info(
                "%s: %s %s from %s queued for %s as %s",
                side_name,
                inbound.kind,
                inbound.message_id,
                inbound.sender,
                dest,
                routing.message_id,
            )
        return new

    # --- outbound ---------------------------------------------------------------------

    def deliver_due(self, report: PassReport | None = None) -> PassReport:
        """Deliver up to ``batch`` due outbox rows, ``workers`` at a time.

        Rows are claimed ``workers`` at a time, so a lease only has to outlast one call's
        deadline, however large the batch.
        """
        report = report or PassReport()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            done = 0
            while done < self.batch and not self._stop.is_set():
                limit = min(self.workers, self.batch - done)
                rows = self.store.claim(limit=limit, lease_s=self.lease_s,
                                        max_wait=self.policy.longest_wait)
                if not rows:
                    break
                done += len(rows)
                self._delivery.chunk(pool, rows, report)
        return report

    # --- loop -------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        """One pass: pull from both sides, then deliver what is due."""
        report = PassReport()
        for name in ("nsw", "unipass"):
            if self._stop.is_set():
                break
            try:
                self.pull(name, report)
            except Exception:  # e.g. the store refused one answer: the other side still runs
                log.exception("%s: pull failed; the other side is served as usual", name)
                report.errors += 1
        if not self._stop.is_set():
            self.deliver_due(report)
        return report

    def run_forever(
        self, stop: threading.Event | None = None, *, poll_interval: float = 1.0
    ) -> None:
        """Run passes until ``stop`` is set; in-flight work finishes before returning."""
        if stop is not None:
            self._stop = stop
        log.info("relay for %s started", self.country or "the NSW")
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
