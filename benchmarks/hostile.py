"""Hostile inputs: what the worst inputs found cost, each in a fresh process.

Every case goes through a public entry point the relay uses: ``aswbridge.translate``
for messages (XML and canonical JSON), and the transports' ``pending()`` against a
loopback partner for answers. Each case runs in its own child process; the table gives
its CPU time and its peak resident memory, next to a valid 200-item certificate (the
baseline, same run) and a child that only imports aswbridge.

Run: ``python benchmarks/hostile.py`` (about a minute).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table


def _asw(items: int) -> bytes:
    from aswbridge import pipeline, samples

    return pipeline.write(samples.many_items(items), profile="asw")


def _attributes_on_one_element() -> bytes:
    attributes = "".join(f' a{i}=""' for i in range(600_000))
    return _asw(1).replace(b"<MessageHeader>", f"<MessageHeader{attributes}>".encode(), 1)


def _attributes_everywhere() -> bytes:
    data = _asw(200)
    extra = b"".join(b' x%d=""' % i for i in range(8))
    for tag in sorted(set(re.findall(rb"<([A-Za-z]+)>", data))):
        data = data.replace(b"<%s>" % tag, b"<%s%s>" % (tag, extra))
    return data


def _sibling_errors_at_the_caps() -> bytes:
    """97 items of 990 empty invoices each: about 96,000 schema errors, each of whose
    paths libxml2 computes by counting siblings (the worst shape under the caps)."""
    data = _asw(1)
    start, end = data.index(b"<GoodsItem>"), data.index(b"</GoodsItem>") + 12
    item = data[start:end]
    at = item.index(b"<Invoice>")
    item = item[:at] + b"<Invoice/>" * 990 + item[at:]
    return data[:start] + item * 97 + data[end:]


def _siblings_in_a_small_document() -> bytes:
    """9,900 empty items side by side: under 10,000 elements, children are not capped."""
    data = _asw(1)
    at = data.index(b"<GoodsItem>")
    return data[:at] + b"<GoodsItem/>" * 9_900 + data[at:]


def _every_value_wrong() -> bytes:
    data = _asw(980)
    return data[:40] + re.sub(rb">[^<]+</", b">#</", data[40:])


def _canonical(amount: str) -> bytes:
    from aswbridge import canonical, samples

    text = canonical.dumps(samples.form_ak_id_kr())
    return text.replace(b'"8820.00"', f'"{amount}"'.encode(), 1)


MESSAGES: dict[str, tuple[Callable[[], bytes], str]] = {
    "valid 200-item certificate (baseline)": (lambda: _asw(200), "asw"),
    "8 MB: 600k attributes on one element": (_attributes_on_one_element, "asw"),
    "8 bad attributes on every element": (_attributes_everywhere, "asw"),
    "96k sibling schema errors (at the caps)": (_sibling_errors_at_the_caps, "asw"),
    "9.9k sibling errors, small document": (_siblings_in_a_small_document, "asw"),
    "every value wrong, 980 items": (_every_value_wrong, "asw"),
    'canonical amount "1e999999999"': (lambda: _canonical("1e999999999"), "canonical"),
    "canonical amount of 8M digits": (lambda: _canonical("9" * 8_000_000), "canonical"),
}

ANSWERS: dict[str, tuple[str, str, bytes]] = {
    "NSW listing nested 1M deep": (
        "nsw",
        "application/json",
        b'{"items": ' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}",
    ),
    "UNI-PASS answer with 600k attributes": (
        "unipass",
        "text/xml",
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b"<PendingHeaders"
        + b"".join(b' a%d=""' % i for i in range(600_000))
        + b"/></e:Body></e:Envelope>",
    ),
    "UNI-PASS fault of 7 MB text": (
        "unipass",
        "text/xml",
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
        b"<faultcode>e:Client</faultcode><faultstring>"
        + b"x" * 7_000_000
        + b"</faultstring></e:Fault></e:Body></e:Envelope>",
    ),
}


def _run_message(name: str) -> str:
    import aswbridge
    from aswbridge.errors import AswBridgeError

    build, source = MESSAGES[name]
    data = build()
    start = time.process_time()
    try:
        aswbridge.translate(data, source=source, target="canonical")
        outcome = "translated"
    except AswBridgeError as exc:
        outcome = exc.code
    return f"{len(data)}\t{time.process_time() - start:.3f}\t{outcome}"


def _run_answer(name: str) -> str:
    from aswbridge.errors import AswBridgeError
    from aswbridge.transport.nsw import NswHttpSide
    from aswbridge.transport.unipass import UnipassSide

    side_name, content_type, body = ANSWERS[name]

    class Partner(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200 if side_name == "nsw" else 500)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    side = NswHttpSide(url=url) if side_name == "nsw" else UnipassSide(url=url)
    start = time.process_time()
    try:
        side.pending()
        outcome = "accepted"
    except AswBridgeError as exc:
        outcome = f"{exc.code} {getattr(exc, 'cause_code', '') or ''}".strip()
        outcome += f" ({len(exc.message)} chars)" if len(exc.message) > 200 else ""
    seconds = time.process_time() - start
    side.close()
    server.shutdown()
    return f"{len(body)}\t{seconds:.3f}\t{outcome}"


def _child(kind: str, name: str) -> tuple[list[str], float]:
    """Run one case in a fresh interpreter: its output fields and its peak RSS (MB)."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--case", kind, name], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{name}: the child failed ({status})")
    return out.strip().split("\t"), usage.ru_maxrss / 1024


def main() -> None:
    _fields, idle = _child("idle", "")
    print(f"hostile inputs, each in a fresh process (import only: {idle:.0f} MB peak RSS)\n")
    rows = []
    for kind, names in (("message", MESSAGES), ("answer", ANSWERS)):
        for name in names:
            (size, seconds, outcome), peak = _child(kind, name)
            rows.append([name, f"{int(size) / 1e6:.2f}", seconds, f"{peak:.0f}", outcome])
    print(table(["case", "MB in", "CPU s", "peak RSS MB", "outcome"], rows))
    worst = max(rows[1:], key=lambda r: float(r[3]))
    print(
        f"\nworst peak: {worst[3]} MB ({worst[0]}); the baseline's: {rows[0][3]} MB; "
        f"ratio {float(worst[3]) / float(rows[0][3]):.1f}x"
    )


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--case":
        kind, name = sys.argv[2], sys.argv[3]
        if kind == "message":
            print(_run_message(name))
        elif kind == "answer":
            print(_run_answer(name))
        else:
            import aswbridge  # noqa: F401

            print("0\t0\tidle")
    else:
        main()
