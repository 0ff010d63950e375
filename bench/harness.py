"""Run a benchmark and its floor alternately, several times after a warm-up, and report the
medians and their ratio. Alternating spreads machine noise evenly over both."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    name: str
    ours_seconds: float
    floor_seconds: float
    target_ratio: float | None  # None: a reference measurement, with no target of its own
    runs: int
    peak_mb: float | None = None
    # What the run did (rows written, messages queued), so a ratio can be read in context.
    detail: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.ours_seconds / self.floor_seconds if self.floor_seconds else float("inf")

    @property
    def meets_target(self) -> bool | None:
        return None if self.target_ratio is None else self.ratio <= self.target_ratio

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 3), "meets_target": self.meets_target}

    def line(self) -> str:
        peak = f"  peak {self.peak_mb:.1f} MB" if self.peak_mb is not None else ""
        if "rps" in self.detail:  # under load: the throughputs and the tail latency
            peak += (f"  {self.detail['rps']:.0f} vs {self.detail['floor_rps']:.0f} req/s, "
                     f"p99 {self.detail['p99_ms']:.0f} ms")
        target = ("reference, no target" if self.target_ratio is None else
                  f"target <= {self.target_ratio}x  "
                  + ("ok" if self.meets_target else "OVER TARGET"))
        return (f"{self.name:<28} ours {self.ours_seconds * 1000:9.1f} ms   floor "
                f"{self.floor_seconds * 1000:9.1f} ms   ratio {self.ratio:5.2f}x   "
                f"{target}{peak}")


@dataclass
class Step:
    """A timed function with untimed work around every call: e.g. emptying tables before and
    rolling back after, so that every run does the full work and only the work is timed."""

    run: Callable[[], object]
    setup: Callable[[], object] | None = None
    teardown: Callable[[], object] | None = None


def _timed(step: Callable[[], object] | Step) -> float:
    if not isinstance(step, Step):
        step = Step(step)
    if step.setup:
        step.setup()
    try:
        start = time.perf_counter()
        step.run()
        return time.perf_counter() - start
    finally:
        if step.teardown:
            step.teardown()


def compare(name: str, ours: Callable[[], object] | Step, floor: Callable[[], object] | Step,
            target_ratio: float, runs: int = 5, measure_memory: bool = False) -> Result:
    _timed(ours), _timed(floor)  # warm-up: imports, caches, page cache
    ours_times, floor_times = [], []
    for _ in range(runs):
        ours_times.append(_timed(ours))
        floor_times.append(_timed(floor))
    peak = None
    if measure_memory:
        tracemalloc.start()
        _timed(ours)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return Result(name, statistics.median(ours_times), statistics.median(floor_times),
                  target_ratio, runs, peak)
