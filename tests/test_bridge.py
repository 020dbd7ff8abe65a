"""The Bridge against in-memory sides: flows, dedup, retries, dead letters, crashes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from aswbridge import samples
from aswbridge.errors import ConfigurationError, SchemaError, StoreConflict, StoreError
from aswbridge.model import Certificate, Endpoint, Message
from aswbridge.pipeline import Translation
from aswbridge.relay import Bridge
from aswbridge.store import Received, SqliteStore
from aswbridge.transport.base import (
    Delivered,
    Inbound,
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
    TrackState,
)
from aswbridge.transport.retry import RetryPolicy


class Crash(BaseException):
    """Stands for the process dying at this point."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSide:
    """A partner: a mailbox for the bridge and a receiver that dedups by message id."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.waiting: dict[str, Inbound] = {}
        self.received: list[Outbound] = []
        self.acked: list[str] = []
        self.rejected: list[tuple[str, str]] = []
        self.faults: list[BaseException] = []  # raised by deliver, one per call
        self.deliver_then: list[BaseException] = []  # raised after the receiver kept it
        self.ack_faults: list[BaseException] = []
        self.tracked: list[str] = []

    def queue(
        self, message_id: str, *, kind: str = "certificate", sender: str = "TH", variant: str = ""
    ) -> None:
        body = f"{kind}|{message_id}|{sender}{'|' + variant if variant else ''}".encode()
        self.waiting[f"ref-{message_id}"] = Inbound(
            ref=f"ref-{message_id}", message_id=message_id, kind=kind, sender=sender, body=body
        )

    @property
    def distinct(self) -> Counter[str]:
        return Counter(item.message_id for item in self.received)

    def deliver(self, item: Outbound) -> Delivered:
        if self.faults:
            raise self.faults.pop(0)
        duplicate = item.message_id in self.distinct
        self.received.append(item)
        if self.deliver_then:
            raise self.deliver_then.pop(0)
        return Delivered(
            message_id=item.message_id, tracking=f"T-{item.message_id}", duplicate=duplicate
        )

    def pending(self, *, limit: int = 100) -> list[str]:
        return list(self.waiting)[:limit]

    def fetch(self, ref: str) -> Inbound:
        return self.waiting[ref]

    def acknowledge(self, ref: str) -> None:
        if self.ack_faults:
            raise self.ack_faults.pop(0)
        self.acked.append(ref)
        self.waiting.pop(ref, None)

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        self.rejected.append((ref, code))
        self.waiting.pop(ref, None)

    def track(self, message_id: str) -> TrackState:
        self.tracked.append(message_id)
        return "delivered" if message_id in self.distinct else "unknown"

    def close(self) -> None:
        pass


PROFILE_SIDE = {"asw": "TH", "unipass": "KR"}
OTHER_PROFILE = {"asw": "unipass", "unipass": "asw"}
SAMPLE_OF = {
    "certificate": samples.form_d_th_id(),
    "response": samples.response_refusing_item(),
    "receipt": samples.receipt(),
}


def fake_message(kind: str, message_id: str, sender: str, receiver: str) -> Message:
    """A real message of ``kind`` with the fake's identity (the relay dedups by it)."""
    sample = SAMPLE_OF[kind]
    envelope = attrs.evolve(
        sample.envelope,
        message_id=message_id,
        sender=Endpoint(country=sender, system=f"{sender}-SYS"),
        receiver=Endpoint(country=receiver, system=f"{receiver}-SYS"),
    )
    message = attrs.evolve(sample, envelope=envelope)
    if isinstance(message.document, Certificate):
        message = attrs.evolve(
            message, document=attrs.evolve(message.document, issuing_country=sender)
        )
    return message


def fake_translate(
    data: bytes, *, source: str, target: str | Callable[[Message], str]
) -> Translation:
    """Bodies are ``kind|id|sender[|variant]``, for the other side's country: the variant
    changes the content only."""
    kind, message_id, sender, *variant = data.decode().split("|")
    if message_id.startswith("bad"):
        raise SchemaError("box 7 missing")
    message = fake_message(kind, message_id, sender, PROFILE_SIDE[OTHER_PROFILE[source]])
    if variant:
        message = attrs.evolve(
            message, envelope=attrs.evolve(message.envelope, correlation_id=variant[0])
        )
    target = target if isinstance(target, str) else target(message)
    out = f"{kind}|{message_id}|{PROFILE_SIDE[source]}|{PROFILE_SIDE[target]}".encode()
    return Translation(output=out, message=message, source=source, target=target)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "relay.db"


@pytest.fixture
def sides() -> tuple[FakeSide, FakeSide]:
    return FakeSide("nsw"), FakeSide("unipass")


def make_bridge(path: Path, sides: tuple[FakeSide, FakeSide], clock: Clock, **kw: object) -> Bridge:
    store = SqliteStore(path, now=clock)
    policy = kw.pop("policy", RetryPolicy(max_attempts=4, initial=1, jitter=0))
    return Bridge(
        nsw=sides[0],
        unipass=sides[1],
        store=store,
        translate=fake_translate,
        policy=policy,
        now=clock,
        country="TH",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def bridge(path: Path, sides: tuple[FakeSide, FakeSide], clock: Clock) -> Iterator[Bridge]:
    b = make_bridge(path, sides, clock)
    yield b
    b.store.close()


def test_certificate_goes_across_and_is_acknowledged(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    report = bridge.run_once()
    assert (report.pulled, report.delivered) == (1, 1)
    assert nsw.acked == ["ref-c-1"] and nsw.waiting == {}
    assert [o.body for o in unipass.received] == [b"certificate|c-1|TH|KR"]
    assert unipass.received[0].sender == "TH" and unipass.received[0].receiver == "KR"
    row = bridge.store.get("c-1")
    assert row is not None and (row.state, row.tracking) == ("done", "T-c-1")


def test_both_directions_in_one_pass(bridge: Bridge, sides: tuple[FakeSide, FakeSide]) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.queue("r-1", kind="response", sender="KR")
    bridge.run_once()
    assert list(unipass.distinct) == ["c-1"] and list(nsw.distinct) == ["r-1"]
    assert nsw.received[0].kind == "response"
    assert bridge.store.counts()["done"] == 2


def test_duplicate_inbound_is_acknowledged_but_queued_once(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    nsw.ack_faults.append(RetryableTransportError("reset"))
    nsw.ack_faults.append(RetryableTransportError("reset"))
    first = bridge.run_once()  # recorded, acknowledgement lost: still waiting at the NSW
    assert first.errors == 1 and "ref-c-1" in nsw.waiting
    second = bridge.run_once()
    assert second.duplicates == 1 and nsw.acked == ["ref-c-1"]
    assert unipass.distinct == Counter({"c-1": 1})


def test_refused_message_is_rejected_not_retried(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("bad-1")
    report = bridge.run_once()
    assert report.rejected == 1 and nsw.rejected == [("ref-bad-1", "SCHEMA_INVALID")]
    assert unipass.received == [] and bridge.store.counts()["rejected"] == 1
    nsw.queue("bad-1")  # the NSW sends it again: the same refusal, never an acceptance
    bridge.run_once()
    assert nsw.rejected == [("ref-bad-1", "SCHEMA_INVALID")] * 2 and nsw.acked == []


def test_5xx_then_success_on_the_persisted_schedule(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.faults += [RetryableTransportError("503", status=503)] * 2
    assert bridge.run_once().retried == 1
    row = bridge.store.get("c-1")
    assert row is not None and row.state == "pending" and row.next_attempt_at > clock.now
    assert bridge.run_once().retried == 0  # not due yet: nothing is sent
    clock.advance(1)
    assert bridge.run_once().retried == 1
    clock.advance(2)
    assert bridge.run_once().delivered == 1
    assert unipass.distinct == Counter({"c-1": 1})
    done = bridge.store.get("c-1")
    assert done is not None and done.attempts == 3


def test_rejection_is_dead_lettered_and_can_be_retried(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.faults.append(RemoteRejected("refused", remote_code="E_DUP_CO", status=400))
    assert bridge.run_once().dead == 1
    assert [(d.message_id, d.last_code) for d in bridge.store.dead_letters()] == [
        ("c-1", "E_DUP_CO")
    ]
    assert bridge.run_once().delivered == 0
    bridge.store.retry_dead("c-1")
    assert bridge.run_once().delivered == 1 and bridge.store.counts()["dead"] == 0


def test_gives_up_after_the_horizon(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.faults += [RetryableTransportError("down")] * 10
    for _ in range(6):
        bridge.run_once()
        clock.advance(60)
    assert bridge.store.counts()["dead"] == 1
    assert len(unipass.faults) == 6  # max_attempts=4 attempts were made, no more


def test_outcome_unknown_is_resolved_by_tracking(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.deliver_then.append(OutcomeUnknown("connection closed after send"))
    assert bridge.run_once().retried == 1
    clock.advance(5)
    assert bridge.run_once().delivered == 1
    assert unipass.tracked == ["c-1"] and len(unipass.received) == 1


@pytest.mark.parametrize("code", ["CONNECTION_LOST", "READ_TIMEOUT", "DEADLINE_EXCEEDED"])
def test_every_kind_of_lost_answer_is_resolved_by_tracking(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock, code: str
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.deliver_then.append(OutcomeUnknown("the answer was lost", code=code))
    assert bridge.run_once().retried == 1
    clock.advance(5)
    assert bridge.run_once().delivered == 1
    assert unipass.tracked == ["c-1"] and len(unipass.received) == 1  # looked up, not resent


def test_outcome_unknown_resends_the_same_bytes(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.faults.append(OutcomeUnknown("read timeout"))  # lost before the receiver kept it
    bridge.run_once()
    clock.advance(5)
    bridge.run_once()
    assert unipass.tracked == ["c-1"] and unipass.distinct == Counter({"c-1": 1})


def test_hostile_answer_keeps_the_message_pending(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    unipass.deliver_then.append(ResponseRefused("DOCTYPE in answer", cause_code="DTD_FORBIDDEN"))
    assert bridge.run_once().retried == 1
    clock.advance(5)
    assert bridge.run_once().delivered == 1
    assert unipass.distinct == Counter({"c-1": 1})


@pytest.mark.parametrize("where", ["acknowledge", "deliver", "after_deliver"])
def test_a_crash_anywhere_loses_nothing_and_counts_nothing_twice(
    path: Path, sides: tuple[FakeSide, FakeSide], clock: Clock, where: str
) -> None:
    nsw, unipass = sides
    for n in range(5):
        nsw.queue(f"c-{n}")
    {
        "acknowledge": nsw.ack_faults,
        "deliver": unipass.faults,
        "after_deliver": unipass.deliver_then,
    }[where].append(Crash())
    first = make_bridge(path, sides, clock)
    with pytest.raises(Crash):
        first.run_once()
    # restart on the same file; leases of the dead process run out
    clock.advance(600)
    second = make_bridge(path, sides, clock)
    for _ in range(3):
        second.run_once()
        clock.advance(10)
    assert set(unipass.distinct) == {f"c-{n}" for n in range(5)}
    assert all(count <= 2 for count in unipass.distinct.values())
    assert nsw.waiting == {}
    counts = second.store.counts()
    assert (counts["done"], counts["pending"], counts["in_flight"], counts["dead"]) == (5, 0, 0, 0)
    assert counts["received"] == 5
    first.store.close()
    second.store.close()


def test_stop_releases_claimed_rows_unsent(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    bridge.pull("nsw")
    bridge.stop()
    bridge.deliver_due()
    row = bridge.store.get("c-1")
    assert row is not None and (row.state, row.attempts) == ("pending", 0)
    assert unipass.received == []


def test_run_forever_returns_when_stopped(bridge: Bridge, sides: tuple[FakeSide, FakeSide]) -> None:
    sides[0].queue("c-1")
    stop = threading.Event()
    runner = threading.Thread(
        target=bridge.run_forever, args=(stop,), kwargs={"poll_interval": 0.01}
    )
    runner.start()
    for _ in range(500):
        if bridge.store.counts()["done"] == 1:
            break
        threading.Event().wait(0.01)
    stop.set()
    runner.join(timeout=10)
    assert not runner.is_alive() and bridge.store.counts()["done"] == 1


def test_an_id_reused_for_other_content_is_refused(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    bridge.run_once()
    unipass.queue("c-1", sender="KR")  # the same id from the other side, other bytes
    report = bridge.run_once()
    assert report.rejected == 1 and unipass.rejected == [("ref-c-1", "MESSAGE_ID_CONFLICT")]
    assert nsw.received == [] and bridge.store.counts()["done"] == 1


def test_an_unexpected_error_leaves_the_message_waiting(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    nsw.ack_faults.append(RuntimeError("bug"))
    assert bridge.run_once().errors == 1 and "ref-c-1" in nsw.waiting
    bridge.run_once()
    assert nsw.acked == ["ref-c-1"] and unipass.distinct == Counter({"c-1": 1})


def test_a_poison_message_does_not_hold_up_the_others(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide], clock: Clock
) -> None:
    nsw, unipass = sides
    for n in range(20):
        nsw.queue(f"c-{n}")
    original = unipass.deliver

    def deliver(item: Outbound) -> Delivered:
        if item.message_id == "c-7":
            raise RetryableTransportError("502 from a proxy", status=502)
        return original(item)

    unipass.deliver = deliver  # type: ignore[method-assign]
    for _ in range(6):
        bridge.run_once()
        clock.advance(60)
    assert set(unipass.distinct) == {f"c-{n}" for n in range(20)} - {"c-7"}
    assert [d.message_id for d in bridge.store.dead_letters()] == ["c-7"]
    assert bridge.store.counts()["done"] == 19


def test_a_pull_is_one_commit_and_every_acknowledgement_follows_it(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, _ = sides
    for n in range(5):
        nsw.queue(f"c-{n}")
    store = bridge.store
    commits: list[int] = []
    record_many = store.record_inbound_many

    def counted(received: Sequence[Received]) -> list[bool | StoreConflict]:
        commits.append(len(received))
        return record_many(received)

    recorded_when_acked: list[bool] = []
    acknowledge = nsw.acknowledge

    def checked(ref: str) -> None:
        message_id = ref.removeprefix("ref-")
        recorded_when_acked.append(
            store.get_inbound(sender="TH", message_id=message_id) is not None
        )
        acknowledge(ref)

    store.record_inbound_many = counted  # type: ignore[method-assign]
    nsw.acknowledge = checked  # type: ignore[method-assign]
    assert bridge.pull("nsw").pulled == 5
    # a commit per chunk of as many messages as workers (4): memory bounded by the workers
    assert commits == [4, 1] and recorded_when_acked == [True] * 5
    assert sorted(nsw.acked) == [f"ref-c-{n}" for n in range(5)]


def test_a_pull_the_store_cannot_record_is_not_acknowledged(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    for n in range(3):
        nsw.queue(f"c-{n}")
    record_many = bridge.store.record_inbound_many

    def full(received: Sequence[Received]) -> list[bool | StoreConflict]:
        raise StoreError("database or disk is full")

    bridge.store.record_inbound_many = full  # type: ignore[method-assign]
    assert bridge.run_once().errors == 3
    assert nsw.acked == [] and len(nsw.waiting) == 3 and bridge.store.counts()["received"] == 0
    bridge.store.record_inbound_many = record_many  # type: ignore[method-assign]
    bridge.run_once()
    assert sorted(nsw.acked) == [f"ref-c-{n}" for n in range(3)]
    assert unipass.distinct == Counter({f"c-{n}": 1 for n in range(3)})


def test_a_message_resent_within_one_pull_is_queued_once(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, unipass = sides
    nsw.queue("c-1")
    nsw.waiting["ref-again"] = attrs.evolve(nsw.waiting["ref-c-1"], ref="ref-again")
    report = bridge.run_once()
    assert (report.pulled, report.duplicates) == (1, 1)
    assert sorted(nsw.acked) == ["ref-again", "ref-c-1"]
    assert unipass.distinct == Counter({"c-1": 1})


def test_run_forever_keeps_its_threads_from_pass_to_pass(
    bridge: Bridge, sides: tuple[FakeSide, FakeSide]
) -> None:
    nsw, _ = sides
    threads: set[threading.Thread] = set()
    fetch = nsw.fetch

    def fetch_noting(ref: str) -> Inbound:
        threads.add(threading.current_thread())  # a thread, even if its id is reused
        return fetch(ref)

    nsw.fetch = fetch_noting  # type: ignore[method-assign]
    stop = threading.Event()
    runner = threading.Thread(
        target=bridge.run_forever, args=(stop,), kwargs={"poll_interval": 0.01}
    )
    runner.start()
    for n in range(12):  # one message at a time: a pass each
        nsw.queue(f"c-{n}")
        for _ in range(500):
            if bridge.store.counts()["done"] == n + 1:
                break
            threading.Event().wait(0.01)
    stop.set()
    runner.join(timeout=10)
    assert bridge.store.counts()["done"] == 12
    assert len(threads) <= bridge.workers  # not a new thread for every pass


def test_a_store_without_the_relay_methods_is_refused_at_once(
    path: Path, sides: tuple[FakeSide, FakeSide]
) -> None:
    """A store written against an older protocol fails when the relay is built, not by
    leaving every message waiting pass after pass."""

    class OldStore(SqliteStore):
        record_inbound_many = None  # type: ignore[assignment]

    store = OldStore(path)
    try:
        with pytest.raises(ConfigurationError, match="RelayStore"):
            Bridge(nsw=sides[0], unipass=sides[1], store=store, translate=fake_translate)
    finally:
        store.close()
