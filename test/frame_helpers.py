"""Helpers for tests of frame sources and writers."""

import numpy as np

from emotion_ros.capture import Frame


def make_frames(n, period=0.05, start=100.0, depth=True, size=(48, 64), seed=1):
    """`n` frames of random colour (and depth in mm) stamped `start`, `start + period`, ..."""
    rng = np.random.default_rng(seed)
    return [Frame(rng.integers(0, 256, (*size, 3), dtype=np.uint8),
                  rng.integers(0, 10001, size, dtype=np.uint16) if depth else None,
                  start + i * period, i) for i in range(n)]


def write_all(writer, frames):
    """Write `frames` with `writer` (a context manager), closing it; return the frames."""
    with writer:
        for frame in frames:
            writer.write(frame)
    return frames


def read_all(source, limit=1000):
    """Every frame a source gives, up to `limit`."""
    frames = []
    while len(frames) < limit and (frame := source.read()) is not None:
        frames.append(frame)
    return frames
