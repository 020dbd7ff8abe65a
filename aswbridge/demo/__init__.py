"""``aswbridge demo``: the whole story, played through the real relay on loopback.

::

    from aswbridge.demo import run_demo
    result = run_demo(Path("demo-output"))
    assert result.ok, result.failed

It creates a throwaway TEST-ONLY PKI, starts a mock UNI-PASS and mock NSWs for
Indonesia, Viet Nam, Thailand, China and Japan on loopback, builds Korea's bridge and
Indonesia's from TOML configurations (SQLite stores, HTTP transports, per-country trust
anchors, the bridge's signing key; see :mod:`aswbridge.demo.stage`), and plays the story
of :mod:`aswbridge.demo.story`. It prints a timeline, writes every
exchanged message to the output folder, the library's log to ``demo.log``, a summary to
``summary.json`` and an HTML report to ``report.html``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from aswbridge.demo.stage import DemoError, Stage
from aswbridge.demo.story import Exhibit, Refusal, Story
from aswbridge.demo.timeline import Event, Step, Timeline

__all__ = ["DemoError", "DemoResult", "Event", "Exhibit", "Refusal", "Step", "run_demo"]


@attrs.frozen(kw_only=True)
class DemoResult:
    """What a run of the demo did and where it left its outputs."""

    out: Path
    steps: tuple[Step, ...]
    events: tuple[Event, ...]
    failed: tuple[str, ...]
    files: tuple[str, ...]
    seconds: float
    report: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every step happened as expected."""
        return not self.failed


@contextlib.contextmanager
def _library_log(path: Path, *, json_format: bool, console: bool) -> Iterator[None]:
    """Send the library's INFO log to ``path``; keep the console quiet unless asked."""
    from aswbridge.logs import JsonFormatter

    logger = logging.getLogger("aswbridge")
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    saved_level, saved_propagate = logger.level, logger.propagate
    saved = [(h, h.level) for h in logger.handlers]
    floor = logger.getEffectiveLevel()
    for other, _ in saved:
        other.setLevel(max(other.level, floor) if console else logging.CRITICAL + 1)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        for other, level in saved:
            other.setLevel(level)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def run_demo(
    out: Path,
    *,
    echo: Callable[[str], None] | None = print,
    log_json: bool = False,
    log_console: bool = False,
    report: bool = True,
) -> DemoResult:
    """Play the demo into ``out`` and return what happened.

    Args:
        out: the output folder (created; files of an earlier run are replaced).
        echo: where the timeline lines go (``None``: nowhere).
        log_json: write ``demo.log`` as JSON lines instead of plain text.
        log_console: also let the library's warnings through to the console handlers.
        report: write ``report.html``.

    Raises:
        DemoError: the stage could not be set up.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    timeline = Timeline(echo=echo)
    timeline.say(f"aswbridge demo: the whole story through the real relay, on loopback -> {out}/")
    with (
        _library_log(out / "demo.log", json_format=log_json, console=log_console),
        Stage(out=out, timeline=timeline) as stage,
    ):
        story = Story(stage)
        failed = story.play()
    seconds = time.perf_counter() - started
    page = None
    if report:
        from aswbridge.demo.report import write_report

        page = write_report(out=out, timeline=timeline, story=story, seconds=seconds)
    result = DemoResult(
        out=out,
        steps=tuple(timeline.steps),
        events=tuple(timeline.events),
        failed=tuple(failed),
        files=tuple(stage.archive.files),
        seconds=seconds,
        report=page,
    )
    (out / "summary.json").write_text(json.dumps(_summary(result, story), indent=2) + "\n")
    timeline.say("")
    if result.ok:
        timeline.say(f"every step happened as expected in {seconds:.1f} s")
    else:
        timeline.say(f"FAILED: {'; '.join(result.failed)}")
    timeline.say(f"messages: {out}/messages/")
    timeline.say(f"log:      {out}/demo.log (the library's own log; --log-json for JSON lines)")
    if page is not None:
        timeline.say(f"report:   {page}")
    return result


def _summary(result: DemoResult, story: Story) -> dict[str, object]:
    return {
        "ok": result.ok,
        "seconds": round(result.seconds, 3),
        "failed": list(result.failed),
        "steps": [
            {
                "number": s.number,
                "title": s.title,
                "ok": s.ok,
                "outcome": s.outcome,
                "seconds": round(s.seconds, 3),
            }
            for s in result.steps
        ],
        "refused": [{"title": r.title, "code": r.code, "file": r.file} for r in story.refusals],
        "stats": story.stats,
        "files": list(result.files),
    }
