"""A byte-level fuzzer over every input aswbridge reads.

Targets (each takes bytes; only :class:`aswbridge.errors.AswBridgeError` may come out):

* ``xml:<profile>`` – parse, validate, decode, business rules, encode again: every
  registered profile, every sample message kind;
* ``signed:<profile>`` – the same with a trust store: parse, verify, validate, decode;
* ``canonical`` – canonical JSON through the same pipeline;
* ``unipass-answer`` – the UNI-PASS client's operations over a fuzzed SOAP answer;
* ``nsw-answer`` – the NSW mailbox client's operations over a fuzzed JSON or XML answer.

Inputs are seeds (valid messages and answers) mutated at the byte level: bit flips,
insertions of random bytes and of tokens that matter to XML and JSON, deletions,
duplications, splices of two seeds, truncations; and plain random bytes.

``python tools/fuzz.py --minutes 60`` runs until the time is up and prints the inputs
tried per target, every distinct crash (a non-aswbridge exception, written to
``--out``) and the slowest input. The test suite runs the same targets for a few
seconds with hypothesis (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from aswbridge import canonical, pipeline, profiles, samples
from aswbridge.errors import AswBridgeError
from aswbridge.transport._http import HttpAnswer
from aswbridge.transport.base import Outbound

Target = Callable[[bytes], None]

#: Tokens that steer a parser into its corners.
TOKENS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#xD800;",
    b'"',
    b"'",
    b"</",
    b"/>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?xml",
    b"?>",
    b"<!DOCTYPE r>",
    b' xmlns="urn:x"',
    b' xmlns:p="urn:p"',
    b" p:a='1'",
    b' Id="x"',
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b"9" * 40,
    b"1e999999999",
    b"-0",
    b"NaN",
    b"Infinity",
    b"2026-02-30",
    b"9999-12-31",
    b"0000-01-01",
    b"T24:00:00Z",
    b"+14:00",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"\\ud800"',
    b'"\\u0000"',
    b",",
    b":",
    b"null",
    b"true",
    b"1.0",
    b"-",
    b"\n",
    b"\r",
    b"\t",
    b" " * 64,
    "٣".encode(),
    b"_",
]


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to eight random byte-level mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(8)
        at = rng.randint(0, len(out))
        if op == 0 and out:  # flip bits
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif op == 2:  # a token
            out[at:at] = rng.choice(TOKENS)
        elif op == 3 and out:  # delete a range
            out[at : at + rng.randint(1, 64)] = b""
        elif op == 4 and out:  # duplicate a range
            start = rng.randrange(len(out))
            piece = out[start : start + rng.randint(1, 256)]
            out[at:at] = piece * rng.randint(1, 4)
        elif op == 5 and others:  # splice another seed
            other = rng.choice(others)
            start = rng.randint(0, len(other))
            out[at:] = other[start : start + rng.randint(1, 4096)]
        elif op == 6 and out:  # truncate
            del out[rng.randint(0, len(out)) :]
        elif op == 7 and out:  # replace a text node's content
            gt = out.find(b">", at)
            lt = out.find(b"<", gt + 1) if gt >= 0 else -1
            if 0 <= gt < lt:
                out[gt + 1 : lt] = rng.choice(TOKENS)
    return bytes(out)


# --- targets --------------------------------------------------------------------------


def _pipeline_target(pipe: pipeline.Pipeline) -> Target:
    names = list(profiles.names())

    def run(data: bytes) -> None:
        translation = pipe.translate(data, source=None, target=pipeline.CANONICAL)
        for name in names:
            pipe.write(translation.message, profile=name)
        canonical.loads(translation.output)

    return run


def _unipass_target() -> Target:
    from aswbridge.transport.unipass import UnipassSide

    side = UnipassSide(url="http://127.0.0.1:9")  # never connected: _call is replaced
    item = _outbound("unipass")

    def run(data: bytes) -> None:
        status = 500 if b"Fault" in data[:400] else 200
        side._call = lambda operation, **kwargs: HttpAnswer(  # type: ignore[method-assign]
            status=status, headers={"content-type": "text/xml"}, body=data
        )
        for call in (
            side.pending,
            lambda: side.fetch("T1"),
            lambda: side.deliver(item),
            lambda: side.track("m1"),
            lambda: side.acknowledge("T1"),
        ):
            with suppress(AswBridgeError):
                call()

    return run


def _nsw_target() -> Target:
    from aswbridge.transport.nsw import NswHttpSide

    side = NswHttpSide(url="http://127.0.0.1:9")  # never connected: requests are replaced
    item = _outbound("asw")

    def run(data: bytes) -> None:
        for status, kind in (
            (200, "application/json"),
            (400, "application/json"),
            (200, "application/xml"),
        ):
            answer = HttpAnswer(status=status, headers={"content-type": kind}, body=data)
            side._http.request = lambda *a, _answer=answer, **k: _answer  # type: ignore[method-assign]
            for call in (
                side.pending,
                lambda: side.fetch("r1"),
                lambda: side.deliver(item),
                lambda: side.track("m1"),
                lambda: side.acknowledge("r1"),
            ):
                with suppress(AswBridgeError):
                    call()

    return run


def _outbound(profile: str) -> Outbound:
    message = samples.one_item()
    return Outbound(
        message_id=message.envelope.message_id,
        kind="certificate",
        sender="KR",
        receiver="TH",
        body=pipeline.write(message, profile=profile),
    )


# --- seeds ----------------------------------------------------------------------------


def _messages() -> list[Any]:
    made = [factory() for factory in samples.SCENARIOS.values()]
    return made[:12]


def _unipass_answers() -> list[bytes]:
    """Real answers of the UNI-PASS mock to each operation the client makes."""
    from aswbridge.testing.mocks import MockUnipass
    from aswbridge.transport.unipass import UnipassSide

    bodies: list[bytes] = []
    with MockUnipass() as mock:
        side = UnipassSide(url=mock.url)
        original = side._call

        def record(operation: str, **kwargs: Any) -> HttpAnswer:
            answer = original(operation, **kwargs)
            bodies.append(answer.body)
            return answer

        side._call = record  # type: ignore[method-assign]
        item = _outbound("unipass")
        side.deliver(item)
        side.track(item.message_id)
        queued = samples.form_ak_kr_vn()
        mock.mailbox.queue(
            message_id=queued.envelope.message_id,
            kind="certificate",
            sender="KR",
            receiver="VN",
            body=pipeline.write(queued, profile="unipass"),
        )
        for ref in side.pending():
            side.fetch(ref)
            side.acknowledge(ref)
        side.close()
    fault = (
        b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<env:Body><env:Fault><faultcode>env:Client</faultcode><faultstring>no"
        b"</faultstring></env:Fault></env:Body></env:Envelope>"
    )
    return [*bodies, fault]


def _nsw_answers() -> list[bytes]:
    return [
        b'{"items": [{"ref": "r1"}, {"ref": "r2"}]}',
        b'{"code": "SCHEMA_INVALID", "message": "bad"}',
        b'{"state": "delivered", "tracking": "TH-1", "duplicate": false}',
        pipeline.write(samples.one_item(), profile="asw"),
    ]


@contextmanager
def targets() -> Iterator[dict[str, tuple[Target, list[bytes]]]]:
    """Every target with its seeds (a test PKI is made in a temporary folder)."""
    from lxml import etree

    from aswbridge.security import (
        Signer,
        TrustStore,
        load_certificates,
        load_private_key,
        pki,
    )

    messages = _messages()
    plain = pipeline.Pipeline()
    found: dict[str, tuple[Target, list[bytes]]] = {}
    for name in profiles.names():
        seeds = [pipeline.write(m, profile=name) for m in messages]
        found[f"xml:{name}"] = (_pipeline_target(plain), seeds)
    found["canonical"] = (_pipeline_target(plain), [canonical.dumps(m) for m in messages])
    found["unipass-answer"] = (_unipass_target(), _unipass_answers())
    found["nsw-answer"] = (_nsw_target(), _nsw_answers())
    with tempfile.TemporaryDirectory() as folder:
        made = pki.create(folder, countries=("KR", "VN", "TH"))
        trust = TrustStore.from_paths([made.path])
        key_path, cert_path, chain_path = made.signer("KR")
        key = load_private_key(key_path)
        cert, chain = load_certificates(cert_path)[0], load_certificates(chain_path)
        signed = pipeline.Pipeline(trust=trust)
        for name in profiles.names():
            element = profiles.get(name).encode(samples.form_ak_kr_vn())
            seed = Signer().sign(element, key=key, cert=cert, chain=chain)
            found[f"signed:{name}"] = (_pipeline_target(signed), [etree.tostring(seed)])
        yield found


def check(target: Target, data: bytes) -> BaseException | bool:
    """Run one input: True when it passed, False when refused with an aswbridge error,
    the exception when anything else came out (a crash)."""
    try:
        target(data)
    except AswBridgeError:
        return False
    except Exception as exc:  # anything else is a crash
        return exc
    return True


# --- the long run ---------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    tried: dict[str, int] = {}
    passed: dict[str, int] = {}
    crashes: dict[str, tuple[str, bytes, str]] = {}
    slowest = (0.0, "", 0)
    with targets() as found:
        names = sorted(found)
        every_seed = [s for _t, seeds in found.values() for s in seeds]
        while time.monotonic() < deadline:
            for name in names:
                target, seeds = found[name]
                if rng.random() < 0.02:
                    data = rng.randbytes(rng.randint(0, 2048))
                else:
                    data = mutate(rng.choice(seeds), rng, every_seed)
                start = time.process_time()
                crash = check(target, data)
                spent = time.process_time() - start
                tried[name] = tried.get(name, 0) + 1
                passed[name] = passed.get(name, 0) + (crash is True)
                if spent > slowest[0]:
                    slowest = (spent, name, len(data))
                if isinstance(crash, BaseException):
                    frame = traceback.extract_tb(crash.__traceback__)[-1]
                    key = f"{type(crash).__name__} at {frame.filename}:{frame.lineno}"
                    if key not in crashes:
                        crashes[key] = (name, data, "".join(traceback.format_exception(crash)))
                        args.out.mkdir(parents=True, exist_ok=True)
                        (args.out / f"crash-{len(crashes)}.bin").write_bytes(data)
                        print(f"CRASH {key} ({name}, {len(data)} bytes)", flush=True)
    total = sum(tried.values())
    print(
        f"inputs tried: {total} in {args.minutes:g} min, "
        f"{time.process_time() / 60:.1f} min of CPU (seed {args.seed})"
    )
    for name in names:
        print(f"  {name}: {tried.get(name, 0)} ({passed.get(name, 0)} read all the way)")
    print(f"crashes: {len(crashes)}")
    for key, (name, _data, text) in crashes.items():
        print(f"  {key} [{name}]\n{text}")
    print(f"slowest input: {slowest[0] * 1000:.0f} ms CPU ({slowest[1]}, {slowest[2]} bytes)")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
