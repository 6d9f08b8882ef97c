"""Frame statistics of one node or of the whole graph (pure): rate, latency percentiles, drops.

Times are in seconds on whatever clock the caller uses (a node passes its own clock, so the
figures stay right under simulated time).
"""

from __future__ import annotations

import collections
import math

import numpy as np


def percentile(values, q: float) -> float:
    """The q-th percentile of `values`, NaN when there are none."""
    return float(np.percentile(values, q)) if len(values) else math.nan


class FrameStats:
    """Counts frames and keeps the last `window` of them for the rate and latency figures."""

    def __init__(self, window: int = 300):
        self.frames = 0
        self.dropped = 0
        self.problems = 0
        self.last_problem = ""
        self._times = collections.deque(maxlen=window)
        self._latencies = collections.deque(maxlen=window)

    def frame(self, now: float, stamp: float | None = None) -> None:
        """One frame handled at `now`; `stamp` (same clock) is when the camera took it."""
        self.frames += 1
        self._times.append(now)
        if stamp is not None:
            self._latencies.append(now - stamp)

    def drop(self, count: int = 1) -> None:
        """Frames that arrived and were skipped (overload: only the newest frame is handled)."""
        self.dropped += count

    def problem(self, message: str) -> None:
        """A bad input that was skipped."""
        self.problems += 1
        self.last_problem = message

    def rate(self) -> float:
        """Frames per second over the window (0 with fewer than two frames)."""
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    def latency_ms(self, q: float) -> float:
        return percentile(self._latencies, q) * 1000.0

    def summary(self) -> dict:
        return {"frames": self.frames, "rate_hz": round(self.rate(), 2),
                "latency_p50_ms": round(self.latency_ms(50), 1), "latency_p95_ms": round(self.latency_ms(95), 1),
                "dropped": self.dropped, "bad_input": self.problems}
