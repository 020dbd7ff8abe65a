"""The exchange as a sequence diagram: inline SVG drawn from the timeline's events.

Lifelines left to right, one row per event: an arrow for a message (dashed for an
answer such as an acknowledgement, red for a failure or a refusal), a box on the
lifeline for a note (what a bridge checked, what a partner did), a band per step.
Every text is escaped; each arrow and note carries its full text as a tooltip.

The drawing fits :data:`MAX_WIDTH` pixels (a 1280-pixel screen, less the page's
margins): the lanes share that width, and a label or a note may spread over its
neighbours' lanes (each event has its own row) and wraps to the room it has. Only
past :data:`MIN_LANE` pixels a lane does the drawing grow wider than the bound.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from html import escape

import attrs

from aswbridge.demo.timeline import Event, Step

__all__ = ["LIFELINES", "MAX_WIDTH", "MIN_LANE", "sequence_svg"]

#: The parties of the demo, left to right.
LIFELINES = (
    "NSW-ID",
    "Bridge-ID",
    "UNI-PASS",
    "Bridge-KR",
    "NSW-VN",
    "NSW-TH",
    "NSW-CN",
    "NSW-JP",
)

#: The widest drawing (pixels) while each lane has at least :data:`MIN_LANE`.
MAX_WIDTH = 1200
#: The narrowest lane (pixels): a lifeline's head and its name still fit.
MIN_LANE = 104
_LEFT = 64  # the time column
_LANE = 250  # the widest lane
_TOP = 56  # below the lifeline heads
_LINE = 13  # text line height
_CHAR_W = 7.6  # the width of a character of the 11 px labels (digits are wide)
_LABEL_W = 250  # the least room a label or a note gets, lanes permitting
_COLOURS = {"ok": "#1f3b57", "info": "#5b6770", "failed": "#b3261e", "refused": "#b3261e"}
_FILL = {"ok": "#e8f3ea", "info": "#eef1f4", "failed": "#fbe9e7", "refused": "#fbe9e7"}


@attrs.frozen(kw_only=True)
class _Layout:
    """Where the lanes are: ``lane`` pixels each, right of the time column."""

    lifelines: tuple[str, ...]
    lane: float

    @classmethod
    def of(cls, lifelines: Sequence[str]) -> _Layout:
        room = (MAX_WIDTH - _LEFT) / max(len(lifelines), 1)
        return cls(lifelines=tuple(lifelines), lane=max(MIN_LANE, min(_LANE, room)))

    @property
    def width(self) -> int:
        return math.ceil(_LEFT + self.lane * len(self.lifelines))

    def x(self, name: str) -> float:
        return _LEFT + self.lane / 2 + self.lifelines.index(name) * self.lane

    def box(self, centre: float, want: float) -> tuple[float, float]:
        """A box about ``centre`` at most ``want`` wide, moved to stay in the drawing."""
        width = min(want, self.width - _LEFT - 4)
        left = min(max(centre - width / 2, _LEFT + 2), self.width - 2 - width)
        return left, width


def _lines(text: str, width: int, most: int) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def _text(x: float, y: float, lines: list[str], **attrs: str) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else _LINE}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{spans}</text>'


def _tooltip(event: Event) -> str:
    took = f" ({event.duration_ms:.0f} ms)" if event.duration_ms is not None else ""
    return f"<title>{escape(f'{event.at:.2f}s {event.text}{took}')}</title>"


def sequence_svg(
    events: Sequence[Event], steps: Sequence[Step], *, lifelines: Sequence[str] = LIFELINES
) -> str:
    """The SVG (a complete ``<svg>`` element) of ``events`` between ``lifelines``.

    Events whose parties are not lifelines (the demo's own set-up notes) are left out.
    """
    shown = [
        e
        for e in events
        if e.actor in lifelines and (e.target is None or e.target in lifelines) and e.step
    ]
    titles = {s.number: s for s in steps}
    body: list[str] = []
    y = _TOP + 10
    current = 0
    layout = _Layout.of(lifelines)
    width = layout.width
    for event in shown:
        if event.step != current:
            current = event.step
            step = titles.get(current)
            title = f"{current}. {step.title}" if step else f"{current}."
            mark = "" if step is None or step.ok is None else ("  ✓" if step.ok else "  ✗ failed")
            body.append(
                f'<rect x="0" y="{y:.1f}" width="{width}" height="22" class="band"/>'
                + _text(8, y + 15, [title + mark], class_="step")
            )
            y += 32
        colour = _COLOURS[event.status]
        if event.target is None:
            left, box = layout.box(layout.x(event.actor), _LABEL_W - 14)
            lines = _lines(event.text, int((box - 12) / _CHAR_W), 8)
            height = 8 + _LINE * len(lines)
            x = left + box / 2
            body.append(
                f"<g>{_tooltip(event)}"
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{box:.1f}" '
                f'height="{height}" rx="4" fill="{_FILL[event.status]}" stroke="{colour}"/>'
                + _text(x, y + 13, lines, class_="note", text_anchor="middle", fill=colour)
                + "</g>"
            )
            body.append(_text(6, y + 13, [f"{event.at:.2f}s"], class_="time"))
            y += height + 10
            continue
        x1, x2 = layout.x(event.actor), layout.x(event.target)
        left, room = layout.box((x1 + x2) / 2, max(abs(x2 - x1) - 8, _LABEL_W))
        lines = _lines(event.text, int(room / _CHAR_W), 3)
        label_y = y + _LINE - 2
        arrow_y = y + _LINE * len(lines) + 4
        dash = ' stroke-dasharray="5 4"' if event.status == "info" else ""
        marker = "bad" if event.status in ("failed", "refused") else "head"
        body.append(
            f"<g>{_tooltip(event)}"
            + _text(
                left + room / 2, label_y, lines, class_="label", text_anchor="middle", fill=colour
            )
            + f'<line x1="{x1:.1f}" y1="{arrow_y:.1f}" x2="{x2:.1f}" y2="{arrow_y:.1f}" '
            f'stroke="{colour}" stroke-width="1.4"{dash} marker-end="url(#{marker})"/></g>'
        )
        body.append(_text(6, arrow_y + 4, [f"{event.at:.2f}s"], class_="time"))
        y = arrow_y + 14
    height = y + 16
    heads = []
    head = min(124.0, layout.lane - 8)
    for name in lifelines:
        x = layout.x(name)
        heads.append(
            f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 6:.1f}" class="life"/>'
            f'<rect x="{x - head / 2:.1f}" y="8" width="{head:.1f}" height="30" rx="5" '
            'class="head"/>' + _text(x, 28, [name], class_="headtext", text_anchor="middle")
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" '
        f'aria-label="sequence diagram of the exchange">'
        "<defs>"
        '<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f3b57"/></marker>'
        '<marker id="bad" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#b3261e"/></marker>'
        "</defs>"
        "<style>"
        ".life{stroke:#9aa5ae;stroke-dasharray:2 4}"
        ".head{fill:#1f3b57}.headtext{fill:#fff;font:600 13px sans-serif}"
        ".band{fill:#f1ece1}.step{font:600 12px sans-serif;fill:#3d3320}"
        ".label{font:11px sans-serif}.note{font:11px sans-serif}"
        ".time{font:10px monospace;fill:#7a848c}"
        "</style>" + "".join(heads) + "".join(body) + "</svg>"
    )
