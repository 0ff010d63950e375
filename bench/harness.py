"""Run a benchmark and its floor alternately, several times after a warm-up, and report the
medians and their ratio. Alternating spreads machine noise evenly over both."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Result:
    name: str
    ours_seconds: float
    floor_seconds: float
    target_ratio: float
    runs: int
    peak_mb: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours_seconds / self.floor_seconds if self.floor_seconds else float("inf")

    @property
    def meets_target(self) -> bool:
        return self.ratio <= self.target_ratio

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 3), "meets_target": self.meets_target}

    def line(self) -> str:
        peak = f"  peak {self.peak_mb:.1f} MB" if self.peak_mb is not None else ""
        verdict = "ok" if self.meets_target else "OVER TARGET"
        return (f"{self.name:<28} ours {self.ours_seconds * 1000:9.1f} ms   floor "
                f"{self.floor_seconds * 1000:9.1f} ms   ratio {self.ratio:5.2f}x   target "
                f"<= {self.target_ratio}x  {verdict}{peak}")


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def compare(name: str, ours: Callable[[], object], floor: Callable[[], object],
            target_ratio: float, runs: int = 5, measure_memory: bool = False) -> Result:
    ours(), floor()  # warm-up: imports, caches, page cache
    ours_times, floor_times = [], []
    for _ in range(runs):
        ours_times.append(_timed(ours))
        floor_times.append(_timed(floor))
    peak = None
    if measure_memory:
        tracemalloc.start()
        ours()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return Result(name, statistics.median(ours_times), statistics.median(floor_times),
                  target_ratio, runs, peak)
