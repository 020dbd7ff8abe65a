"""The HTML report of a demo run: one self-contained page (no external assets, no
JavaScript): the steps and their results, the exchange as a sequence diagram, each
certificate as its paper form with the customs decision, the refusals with their
reasons, and a link to every exchanged message. Every text is escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from aswbridge.demo.diagram import sequence_svg
from aswbridge.demo.forms import CSS as FORM_CSS
from aswbridge.demo.forms import certificate_html
from aswbridge.model import Message, VerificationReply, VerificationRequest

if TYPE_CHECKING:
    from aswbridge.demo.story import Story
    from aswbridge.demo.timeline import Timeline

__all__ = ["render_report", "write_report"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d242b;margin:0;
 background:#f6f7f9}
main{max-width:1440px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;
 border-bottom:2px solid #1f3b57;padding-bottom:4px}
h3{font-size:15px;margin:22px 0 4px}
.banner{background:#fff3cd;border:1px solid #e0c56e;padding:6px 10px;border-radius:4px;
 margin:10px 0;font-size:13px}
table.steps{border-collapse:collapse;background:#fff;width:100%}
table.steps td,table.steps th{border:1px solid #d5dbe1;padding:5px 8px;text-align:left;
 vertical-align:top}
td.t{white-space:nowrap}
.ok{color:#1f7a35;font-weight:600}.bad{color:#b3261e;font-weight:600}
.diagram{overflow-x:auto;background:#fff;border:1px solid #d5dbe1;padding:8px}
.diagram svg{display:block;margin:0 auto;max-width:100%;min-width:900px;height:auto}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:4px;padding:8px 12px;margin:8px 0}
code,.mono{font:12px ui-monospace,monospace}
ul.files{columns:2;font:12px ui-monospace,monospace;padding-left:18px}
a{color:#1f4f8a}
"""


def _link(path: str) -> str:
    return f'<a href="{escape(quote(path))}">{escape(path)}</a>'


def _steps(timeline: Timeline) -> str:
    rows = []
    for step in timeline.steps:
        mark = '<span class="ok">✓</span>' if step.ok else '<span class="bad">✗</span>'
        rows.append(
            f"<tr><td>{step.number}</td><td>{escape(step.title)}</td><td>{mark} "
            f'{escape(step.outcome)}</td><td class="t">{step.seconds:.2f} s</td></tr>'
        )
    return (
        '<table class="steps"><tr><th>#</th><th>Step</th><th>What happened</th>'
        f"<th>Time</th></tr>{''.join(rows)}</table>"
    )


def _related(message: Message) -> str:
    doc = message.document
    env = message.envelope
    route = f"{env.sender.system} → {env.receiver.system}"
    if isinstance(doc, VerificationRequest):
        items = ", ".join(str(n) for n in doc.items) or "all items"
        text = (
            f"<b>Verification request</b> ({escape(route)}, {doc.request_date}) by "
            f"{escape(doc.requesting_authority.name)} on {escape(items)}: "
            f"{escape(doc.reason)}"
        )
    elif isinstance(doc, VerificationReply):
        text = (
            f"<b>Verification reply</b> ({escape(route)}, {doc.reply_date}) by "
            f"{escape(doc.replying_authority.name)}: <b>{escape(doc.result)}</b>"
            + (f" — {escape(doc.remarks)}" if doc.remarks else "")
        )
    else:
        text = f"<b>{escape(message.kind)}</b> ({escape(route)})"
    return f'<div class="card">{text}</div>'


def render_report(*, timeline: Timeline, story: Story, seconds: float) -> str:
    """The report page as a string."""
    ok = not story.failed
    verdict = (
        '<span class="ok">every step happened as expected</span>'
        if ok
        else f'<span class="bad">failed: {escape("; ".join(story.failed))}</span>'
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>aswbridge demo report</title>",
        f"<style>{_CSS}{FORM_CSS}</style></head><body><main>",
        "<h1>aswbridge demo: a regional e-CO exchange, bridge to bridge</h1>",
        f"<div>Run {escape(when)} · {seconds:.1f} s · {verdict}</div>",
        '<div class="banner">The partners are mock services on loopback and every key and '
        "certificate comes from a throwaway <b>TEST ONLY</b> PKI made for this run. "
        "The bridges, their stores, transports and checks are the real ones.</div>",
        '<h2 id="story">The story</h2>',
        _steps(timeline),
        '<h2 id="exchange">The exchange</h2>',
        "<p>Solid arrows carry messages, dashed ones answers (acknowledgements, look-ups); "
        "boxes on a bridge's lifeline say what it checked. Red: a failure or a refusal. "
        "Hover for the full text.</p>",
        f'<div class="diagram">{sequence_svg(timeline.events, timeline.steps)}</div>',
        '<h2 id="certificates">The certificates, as an officer reads them</h2>',
    ]
    for exhibit in story.exhibits:
        parts.append(f"<h3>{escape(exhibit.title)}</h3>")
        parts.append(f"<div>Message file: {_link(exhibit.file)}</div>")
        parts.append(certificate_html(exhibit.message, decision=exhibit.decision))
        parts.extend(_related(m) for m in exhibit.related)
    parts.append('<h2 id="refused">Refused</h2>')
    if story.refusals:
        rows = "".join(
            f"<tr><td>{escape(r.title)}</td><td><code>{escape(r.code)}</code></td>"
            f"<td>{escape(r.reason)}</td><td>{_link(r.file) if r.file else ''}</td></tr>"
            for r in story.refusals
        )
        parts.append(
            '<table class="steps"><tr><th>Message</th><th>Code</th><th>Reason</th>'
            f"<th>File</th></tr>{rows}</table>"
        )
    else:
        parts.append("<p>Nothing was refused.</p>")
    parts.append('<h2 id="messages">Every message exchanged</h2>')
    files = "".join(f"<li>{_link(f)}</li>" for f in story.stage.archive.files)
    parts.append(f'<ul class="files">{files}</ul>')
    parts.append(
        "<p>Also in this folder: <code>config/</code> (each bridge's TOML configuration), "
        "<code>store/</code> (each bridge's SQLite store), <code>pki/</code> (the TEST-ONLY "
        "PKI), <code>demo.log</code> (the library's log) and <code>summary.json</code>.</p>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)


def write_report(*, out: Path, timeline: Timeline, story: Story, seconds: float) -> Path:
    """Write ``report.html`` into ``out`` and return its path."""
    path = out / "report.html"
    path.write_text(
        render_report(timeline=timeline, story=story, seconds=seconds), encoding="utf-8"
    )
    return path
