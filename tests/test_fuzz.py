"""Fuzzing: mutated and random bytes into every reader; only aswbridge errors come out.

The targets and the mutator live in tools/fuzz.py, which also runs them for as long as
asked (``python tools/fuzz.py --minutes 60``); here hypothesis drives them for a few
seconds per target.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("aswbridge_tools_fuzz", TOOLS / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load()
NAMES = [
    "canonical",
    "nsw-answer",
    "unipass-answer",
    "xml:asw",
    "xml:ubl",
    "xml:unipass",
    "signed:asw",
    "signed:ubl",
    "signed:unipass",
]


@pytest.fixture(scope="module")
def found() -> Iterator[dict[str, Any]]:
    with fuzz.targets() as targets:
        yield targets


def test_every_profile_is_a_target(found: dict[str, Any]) -> None:
    from aswbridge import profiles

    assert {f"xml:{n}" for n in profiles.names()} <= set(found)
    assert {f"signed:{n}" for n in profiles.names()} <= set(found)
    assert set(NAMES) <= set(found)


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_is_read_all_the_way(found: dict[str, Any], name: str) -> None:
    """The seeds are valid: the mutations start from inputs that reach the decoder."""
    target, seeds = found[name]
    assert seeds
    assert all(fuzz.check(target, seed) is True for seed in seeds)


def test_a_crash_is_told_apart_from_a_refusal() -> None:
    def refuses(data: bytes) -> None:
        from aswbridge.errors import MalformedXml

        raise MalformedXml("no")

    def crashes(data: bytes) -> None:
        raise KeyError("bug")

    assert fuzz.check(refuses, b"") is False
    assert isinstance(fuzz.check(crashes, b""), KeyError)


def test_mutations_change_the_input_and_are_reproducible() -> None:
    seed = b"<a><b>1</b></a>"
    first = [fuzz.mutate(seed, random.Random(n), [seed]) for n in range(50)]
    again = [fuzz.mutate(seed, random.Random(n), [seed]) for n in range(50)]
    assert first == again
    assert sum(m != seed for m in first) >= 45


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_only_aswbridge_errors_come_out(
    found: dict[str, Any], name: str, data: st.DataObject
) -> None:
    target, seeds = found[name]
    if data.draw(st.integers(0, 9), label="random bytes?") == 0:
        fuzzed = data.draw(st.binary(max_size=2048), label="bytes")
    else:
        seed = data.draw(st.sampled_from(seeds), label="seed")
        rng = data.draw(st.randoms(use_true_random=False), label="rng")
        fuzzed = fuzz.mutate(seed, rng, seeds)
    outcome = fuzz.check(target, fuzzed)
    if isinstance(outcome, BaseException):
        raise AssertionError(f"{name}: {type(outcome).__name__} on {fuzzed[:200]!r}") from outcome


def _with_certificate_version(signed: bytes, version: int) -> bytes:
    """The signed message with its first KeyInfo certificate's version field changed."""
    import base64
    import re

    match = re.search(rb"<(?:ds:)?X509Certificate>([^<]+)<", signed)
    assert match is not None
    der = bytearray(base64.b64decode(b"".join(match.group(1).split())))
    at = der.index(b"\xa0\x03\x02\x01\x02")  # [0] EXPLICIT INTEGER 2 (v3)
    der[at + 4] = version
    return signed.replace(match.group(1), base64.b64encode(bytes(der)), 1)


# Crashes the long run found, kept as regressions: each must be a typed refusal.
FOUND = [
    # cryptography's InvalidVersion (not a ValueError) out of a KeyInfo certificate
    (
        "signed:unipass",
        "certificate-version-7",
        lambda s: _with_certificate_version(s, 7),
        "KEY_INFO_NOT_ALLOWED",
    ),
    # decimal.InvalidOperation out of a mailbox answer's number with a huge exponent
    (
        "nsw-answer",
        "number-exponent-overflow",
        lambda s: b"9999991e9999999999999999999999999999999999y99999999{",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "code"), [(f[0], f[2], f[3]) for f in FOUND], ids=[f[1] for f in FOUND]
)
def test_crashes_found_by_the_fuzzer_are_refused(
    found: dict[str, Any], name: str, change: Any, code: str | None
) -> None:
    from aswbridge.errors import AswBridgeError

    target, seeds = found[name]
    data = change(seeds[0])
    if code is None:  # the target contains the refusals itself: nothing else may escape
        assert not isinstance(fuzz.check(target, data), BaseException)
        return
    with pytest.raises(AswBridgeError) as refused:
        target(data)
    assert refused.value.code == code
