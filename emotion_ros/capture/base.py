"""What every frame source shares: the Frame, the SourceError, the source protocol, playback pacing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One camera frame; depth (uint16 mm, 0 = no reading) is registered to rgb (BGR)."""

    rgb: np.ndarray
    depth: np.ndarray | None
    timestamp: float
    index: int


class SourceError(RuntimeError):
    """A frame source cannot be opened or read; the message names the device or file."""


class FrameSource(Protocol):
    has_depth: bool

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class Source:
    has_depth = False

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Pacer:
    """Sleeps so that media times are played back at the rate they were recorded."""

    def __init__(self, enabled: bool, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._enabled, self._clock, self._sleep = enabled, clock, sleep
        self._origin: tuple[float, float] | None = None

    def wait(self, media_time: float) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if self._origin is None:
            self._origin = (now, media_time)
            return
        delay = (media_time - self._origin[1]) - (now - self._origin[0])
        if delay > 0:
            self._sleep(delay)
