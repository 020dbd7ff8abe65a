"""Draw the panels of examples/grafana-dashboard.json from a real relay's /metrics.

Runs the relay (``aswbridge run`` with ``[metrics] listen``, a SQLite store, the output
signed) between the mock NSW and mock UNI-PASS (10 % of requests answered 503), queues
certificates both ways for about a minute, scrapes ``/metrics`` every two seconds, and
writes an HTML page drawing the dashboard's main panels from those scrapes, computed as
the dashboard's PromQL would (rates from counter deltas, quantiles from histogram bucket
deltas). It is not Grafana: it shows what the dashboard shows, from real figures. With
``--png``, headless Chromium screenshots the page.

Usage: ``python tools/render_dashboard.py OUT.html [--png OUT.png] [--seconds 60]``
"""

from __future__ import annotations

import argparse
import contextlib
import html
import itertools
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _cluster import MockProcess, Relay, asw_certificates, unipass_certificates  # noqa: E402

from aswbridge.security import pki  # noqa: E402

Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]
COLOURS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c"]


def scrape(url: str) -> Scrape:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def series(
    scrapes: Sequence[tuple[float, Scrape]],
    name: str,
    by: Sequence[str],
    rate: bool = False,
    where: dict[str, str] | None = None,
) -> dict[str, list[float]]:
    """One line per label combination of ``by`` (summed), as values or per-second rates."""
    lines: dict[str, list[float]] = {}
    for i, (_, sample) in enumerate(scrapes):
        sums: dict[str, float] = {}
        for (metric, labels), value in sample.items():
            found = dict(labels)
            if metric != name or any(found.get(k) != v for k, v in (where or {}).items()):
                continue
            key = " ".join(found.get(k, "") for k in by)
            sums[key] = sums.get(key, 0.0) + value
        for key, value in sums.items():
            lines.setdefault(key, [0.0] * len(scrapes))[i] = value
    if rate:
        times = [t for t, _ in scrapes]
        for key, values in lines.items():
            lines[key] = [0.0] + [
                max(0.0, (values[i] - values[i - 1]) / (times[i] - times[i - 1]))
                for i in range(1, len(values))
            ]
    return lines


def quantile(scrapes: Sequence[tuple[float, Scrape]], q: float, partner: str) -> list[float]:
    """``histogram_quantile(q, rate(aswbridge_delivery_seconds_bucket))`` per scrape."""
    out = [0.0]
    for (_, before), (_, after) in itertools.pairwise(scrapes):
        buckets = []
        for (metric, labels), value in after.items():
            found = dict(labels)
            if metric == "aswbridge_delivery_seconds_bucket" and found["partner"] == partner:
                buckets.append((float(found["le"]), value - before.get((metric, labels), 0.0)))
        buckets.sort()
        total = buckets[-1][1] if buckets else 0.0
        if total <= 0:
            out.append(out[-1])
            continue
        rank, previous_le, previous_n = q * total, 0.0, 0.0
        for le, n in buckets:
            if n >= rank:
                share = (rank - previous_n) / (n - previous_n) if n > previous_n else 1.0
                out.append(previous_le + (min(le, 86_400) - previous_le) * share)
                break
            previous_le, previous_n = le, n
    return out


def chart(title: str, lines: dict[str, list[float]], unit: str) -> str:
    width, height, pad = 540, 190, 36
    top = max([max(v) for v in lines.values()] + [1e-9]) * 1.1
    parts = [f'<svg width="{width}" height="{height + 50}">']
    for i in range(5):
        y = pad + (height - pad) * i / 4
        parts.append(f'<line x1="{pad}" x2="{width}" y1="{y}" y2="{y}" stroke="#2c3235"/>')
        parts.append(
            f'<text x="2" y="{y + 4}" fill="#8e8e8e" font-size="10">{top * (4 - i) / 4:.3g}</text>'
        )
    for n, (key, values) in enumerate(sorted(lines.items())):
        step = (width - pad) / max(1, len(values) - 1)
        points = " ".join(
            f"{pad + i * step:.1f},{pad + (height - pad) * (1 - v / top):.1f}"
            for i, v in enumerate(values)
        )
        colour = COLOURS[n % len(COLOURS)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{pad + 150 * (n % 3)}" y="{height + 20 + 14 * (n // 3)}" '
            f'fill="{colour}" font-size="11">{html.escape(key or "all")}</text>'
        )
    parts.append("</svg>")
    return (
        f'<div class="panel"><h3>{html.escape(title)} <small>{unit}</small></h3>'
        f"{''.join(parts)}</div>"
    )


def stat(title: str, text: str, good: bool) -> str:
    colour = "#1a7f37" if good else "#c4162a"
    return (
        f'<div class="stat" style="background:{colour}"><h3>{html.escape(title)}</h3>'
        f"<p>{html.escape(text)}</p></div>"
    )


def run(seconds: float, folder: Path) -> list[tuple[float, Scrape]]:
    test_pki = pki.create(folder / "pki", countries=["TH", "KR"])
    key, cert = test_pki.bridge
    nsw = MockProcess("nsw", "--country", "TH", "--seed", "1", "--fail-rate", "0.1")
    unipass = MockProcess("unipass", "--seed", "2", "--fail-rate", "0.1")
    config = folder / "bridge.toml"
    config.write_text(
        f'[bridge]\ncountry = "TH"\nstore = "relay.db"\nallow_unsigned = true\n'
        f'poll_interval = 0.2\n[nsw]\nurl = "{nsw.url}"\n[unipass]\nurl = "{unipass.url}"\n'
        f"[retry]\ninitial = 0.2\nmaximum = 2\n"
        f'[trust]\nsign_key = "{key}"\nsign_cert = "{cert}"\n'
        f'[metrics]\nlisten = "127.0.0.1:19464"\n'
    )
    relay = Relay(config, folder / "relay.log")
    relay.start()
    scrapes: list[tuple[float, Scrape]] = []
    outgoing = iter(asw_certificates(int(seconds * 2), "dash-th"))
    incoming = iter(unipass_certificates(int(seconds), "dash-kr"))
    try:
        start = time.monotonic()
        while (now := time.monotonic()) - start < seconds:
            nsw.outbound(next(outgoing))
            if int(now - start) % 2 == 0:
                unipass.outbound(next(incoming))
            if int(now - start) == int(seconds * 0.4):
                unipass.faults(fail_rate=1.0)  # UNI-PASS down for a while: the queue grows
            if int(now - start) == int(seconds * 0.6):
                unipass.faults(fail_rate=0.1)
            with contextlib.suppress(OSError):
                scrapes.append((now, scrape("http://127.0.0.1:19464/metrics")))
            time.sleep(max(0.0, 2.0 - (time.monotonic() - now)))
    finally:
        relay.stop()
        nsw.close()
        unipass.close()
    return scrapes


def page(scrapes: list[tuple[float, Scrape]]) -> str:
    last = scrapes[-1][1]
    up = {dict(k[1])["partner"]: v for k, v in last.items() if k[0] == "aswbridge_partner_up"}
    dead = sum(
        v
        for k, v in last.items()
        if k[0] == "aswbridge_queue_depth" and dict(k[1]).get("state") == "dead"
    )
    expiry = min(
        (v for k, v in last.items() if k[0] == "aswbridge_certificate_expiry_days"), default=0.0
    )
    stats = [
        stat(
            "Ready: store up",
            "up" if last.get(("aswbridge_store_up", ())) else "down",
            bool(last.get(("aswbridge_store_up", ()))),
        ),
        stat(
            "Partners answering",
            ", ".join(f"{p} {'up' if v else 'down'}" for p, v in sorted(up.items())),
            all(up.values()),
        ),
        stat("Dead letters", f"{dead:.0f}", dead == 0),
        stat("Days to expiry", f"{expiry:.0f}", expiry > 30),
    ]
    panels = [
        chart(
            "Delivered per second",
            series(scrapes, "aswbridge_messages_delivered_total", ["partner", "kind"], rate=True),
            "msg/s",
        ),
        chart(
            "Received per second",
            series(scrapes, "aswbridge_messages_received_total", ["partner", "kind"], rate=True),
            "msg/s",
        ),
        chart(
            "Queue depth",
            series(scrapes, "aswbridge_queue_depth", ["partner", "state"]),
            "messages",
        ),
        chart(
            "Delivery latency p50 / p95 (queued to delivered)",
            {
                f"p{int(q * 100)} {p}": quantile(scrapes, q, p)
                for q in (0.5, 0.95)
                for p in ("nsw", "unipass")
            },
            "s",
        ),
    ]
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ background:#111217; color:#ccccdc; font-family:sans-serif; margin:16px; }}
h1 {{ font-size:18px; }} h3 {{ font-size:13px; margin:4px 0; }} small {{ color:#8e8e8e; }}
.row {{ display:flex; gap:10px; flex-wrap:wrap; margin-bottom:10px; }}
.panel {{ background:#181b1f; border:1px solid #2c3235; padding:8px; }}
.stat {{ padding:8px 14px; min-width:200px; color:white; }}
.stat p {{ font-size:22px; margin:4px 0; }}
</style></head><body>
<h1>aswbridge relay: panels of examples/grafana-dashboard.json, drawn from {len(scrapes)}
scrapes of a real relay's /metrics over {scrapes[-1][0] - scrapes[0][0]:.0f} s (UNI-PASS
down in the middle; not a Grafana rendering)</h1>
<div class="row">{"".join(stats)}</div><div class="row">{"".join(panels)}</div>
</body></html>"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aswbridge-dash-") as tmp:
        args.out.write_text(page(run(args.seconds, Path(tmp))), encoding="utf-8")
    if args.png:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--screenshot={args.png.resolve()}",
                "--window-size=1200,900",
                "--hide-scrollbars",
                args.out.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
