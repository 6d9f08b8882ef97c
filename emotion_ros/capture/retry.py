"""Keeping a source alive: exponential back-off and a source that re-opens itself."""

from __future__ import annotations

import time
from typing import Callable

import cv2

from emotion_ros.capture.base import Frame, FrameSource, SourceError


class Backoff:
    """Exponential back-off delays: `initial`, x`factor` after each failure, capped."""

    def __init__(self, initial: float = 0.5, factor: float = 2.0, maximum: float = 5.0):
        if initial <= 0 or factor < 1 or maximum < initial:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")
        self.initial, self.factor, self.maximum = initial, factor, maximum
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class RetryingSource:
    """Keeps a source alive: re-opens it after a failure with exponential back-off.

    `poll()` never sleeps and never raises SourceError: it returns a Frame, or None when no
    frame is available now (source down, waiting for the next attempt) or the stream ended
    (`ended` is then True). `report(message)` is called once when an outage starts and once
    when the source is back, not at every failed attempt. A source that has not delivered a
    single frame `give_up_after_s` seconds after the first attempt (a missing file or camera)
    is given up: `ended` becomes True and `error` names the failure (0 = retry forever). A
    source lost after its first frame (a camera unplugged mid-stream) is retried until it is
    back. `clock` is injectable for tests.
    """

    def __init__(self, opener: Callable[[], FrameSource], *,
                 backoff: Backoff | None = None,
                 report: Callable[[str], None] = print,
                 give_up_after_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self._opener = opener
        self._backoff = backoff or Backoff()
        self._report = report
        self._give_up_after_s = give_up_after_s
        self._clock = clock
        self._source: FrameSource | None = None
        self._started = self._retry_at = clock()
        self._down_since: float | None = None
        self._attempts = 0
        self._delivered = False
        self.ended = False
        self.error = ""
        self.has_depth = False

    def poll(self) -> Frame | None:
        if self.ended:
            return None
        if self._source is None:
            if self._clock() < self._retry_at:
                return None
            try:
                self._source = self._opener()
            except SourceError as err:
                self._fail(err)
                return None
            self.has_depth = self._source.has_depth
        try:
            frame = self._source.read()
        except SourceError as err:
            self._drop()
            self._fail(err)
            return None
        if frame is None:
            self.ended = True
            self._drop()
            return None
        if self._down_since is not None:
            self._report(f"source back after {self._clock() - self._down_since:.1f} s "
                         f"({self._attempts} failed attempts)")
        self._down_since = None
        self._attempts = 0
        self._delivered = True
        self._backoff.reset()
        return frame

    def _fail(self, err: SourceError) -> None:
        now = self._clock()
        if not self._delivered and self._give_up_after_s and now - self._started >= self._give_up_after_s:
            self.ended = True
            self.error = f"{err} (gave up after {self._attempts + 1} attempts in {now - self._started:.1f} s)"
            return
        delay = self._backoff.next_delay()
        if self._down_since is None:
            self._down_since = now
            self._report(f"source failed: {err}; retrying with back-off up to "
                         f"{self._backoff.maximum:g} s")
        self._attempts += 1
        self._retry_at = now + delay

    def _drop(self) -> None:
        source, self._source = self._source, None
        try:
            source.close()
        except (SourceError, OSError, cv2.error):  # a dead device may fail to close
            pass

    def close(self) -> None:
        if self._source is not None:
            self._drop()
