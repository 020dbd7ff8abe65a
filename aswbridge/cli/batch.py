"""Translate a folder of messages, one file at a time, with progress and a summary.

Memory stays bounded whatever the number of files: files are streamed from the
folder, each result is written at once, and refusals go to ``refused.jsonl`` in the
output folder as they happen (the summary on the terminal shows the first few).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from aswbridge.errors import AswBridgeError, ConfigurationError

SHOWN = 20  # refusals listed in the terminal summary; all of them are in refused.jsonl


def _files(folder: Path) -> Iterator[Path]:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file() and not entry.name.startswith("."):
                yield Path(entry.path)


class Progress:
    """A one-line progress bar on a terminal; silent when stderr is not a terminal."""

    def __init__(self, total: int, *, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def update(self, done: int, refused: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < self.total):
            return
        self.last = now
        width = 30
        filled = width * done // max(self.total, 1)
        rate = done / max(now - self.started, 1e-9)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
            f"  refused {refused}  {rate:,.0f}/s "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def translate_folder(
    source: Path, target: Path, translate: Callable[[bytes, str], bytes], *, suffix: str
) -> int:
    """Translate every file of ``source`` into ``target``; 0 if none was refused, else 1."""
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {target}: {exc.strerror}") from None
    total = sum(1 for _ in _files(source))
    progress = Progress(total)
    done = refused = 0
    codes: Counter[str] = Counter()
    shown: list[str] = []
    report_path = target / "refused.jsonl"
    with report_path.open("w", encoding="utf-8") as report:
        for path in _files(source):
            try:
                out = translate(path.read_bytes(), path.name)
            except AswBridgeError as exc:
                if isinstance(exc, ConfigurationError):
                    raise
                refused += 1
                problems = [p.as_dict() for p in exc.problems]
                codes[problems[0]["code"]] += 1
                report.write(json.dumps({"file": path.name, "problems": problems}) + "\n")
                if len(shown) < SHOWN:
                    first = exc.problems[0]
                    shown.append(f"  {path.name}: {first}")
            else:
                tmp = target / f".{path.stem}{suffix}.tmp"
                tmp.write_bytes(out)
                tmp.replace(target / f"{path.stem}{suffix}")
            done += 1
            progress.update(done, refused)
    progress.close()
    print(f"{done - refused} of {done} translated into {target}", file=sys.stderr)
    if refused:
        print(
            f"{refused} refused ({', '.join(f'{c} x{n}' for c, n in codes.most_common())}):",
            file=sys.stderr,
        )
        print("\n".join(shown), file=sys.stderr)
        if refused > len(shown):
            print(f"  ... and {refused - len(shown)} more", file=sys.stderr)
        print(f"every refusal with its problems: {report_path}", file=sys.stderr)
    else:
        report_path.unlink()
    return 1 if refused else 0
