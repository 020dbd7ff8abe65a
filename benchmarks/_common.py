"""Timing and memory helpers shared by the benchmarks (standard library only).

* :func:`loops_for` – how many calls make one repeat last at least ``min_time`` seconds;
* :func:`timings` / :func:`measure` – the times per call of several functions over
  repeats (or their medians), the repeats interleaved so that a noisy neighbour slows
  every function alike; :func:`paired_ratio` compares two of them repeat by repeat;
  the clock is the
  process's CPU time by default, so that time spent preempted on a shared machine is
  not counted (pass ``clock=time.perf_counter`` for wall-clock time);
* :func:`rss_mb` – the current resident set size (not the peak: ``ru_maxrss`` is kept
  across ``execve``, so a benchmark started from a large parent would inherit its peak);
* :func:`table` – a small fixed-width text table.
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

__all__ = ["loops_for", "measure", "paired_ratio", "rss_mb", "table", "timings"]

K = TypeVar("K", bound=Hashable)


Clock = Callable[[], float]


def loops_for(func: Callable[[], Any], *, min_time: float, clock: Clock = time.process_time) -> int:
    """The smallest 1-2-5 loop count whose run lasts at least ``min_time`` seconds."""
    number = 1
    while True:
        for factor in (1, 2, 5):
            loops = number * factor
            start = clock()
            for _ in range(loops):
                func()
            if clock() - start >= min_time:
                return loops
        number *= 10


def timings(
    funcs: Mapping[K, Callable[[], Any]],
    *,
    repeats: int,
    min_time: float,
    warmup: int = 3,
    clock: Clock = time.process_time,
) -> dict[K, list[float]]:
    """Seconds per call of each function in each of ``repeats`` interleaved repeats.

    Each function is warmed up, then given a loop count lasting at least ``min_time``
    seconds; every repeat runs each function once in turn (GC enabled, as in service).
    """
    loops: dict[K, int] = {}
    for key, func in funcs.items():
        for _ in range(warmup):
            func()
        loops[key] = loops_for(func, min_time=min_time, clock=clock)
    result: dict[K, list[float]] = {key: [] for key in funcs}
    for _ in range(repeats):
        for key, func in funcs.items():
            n = loops[key]
            start = clock()
            for _ in range(n):
                func()
            result[key].append((clock() - start) / n)
    return result


def measure(
    funcs: Mapping[K, Callable[[], Any]],
    *,
    repeats: int,
    min_time: float,
    warmup: int = 3,
    clock: Clock = time.process_time,
) -> dict[K, float]:
    """Median seconds per call of each function (see :func:`timings`)."""
    found = timings(funcs, repeats=repeats, min_time=min_time, warmup=warmup, clock=clock)
    return {key: statistics.median(values) for key, values in found.items()}


def paired_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """The median of the per-repeat ratios: robust to load that drifts between repeats."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def rss_mb(*, collect: bool = True) -> float:
    """The current resident set size in MB (10⁶ bytes), after a full GC by default."""
    if collect:
        gc.collect()
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    # No /proc: fall back on the peak, which never shrinks (kB on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows of text as a fixed-width table: first column left-aligned, the rest right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [
                str(first).ljust(widths[0]),
                *(str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True)),
            ]
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
