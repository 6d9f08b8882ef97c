"""Pairing the messages of one camera frame (pure: no rclpy; keys are integer stamps).

`StampPairer` pairs two streams by stamp. `DepthPairer` pairs each RGB image with the depth
image of the same stamp while depth is arriving, and passes RGB on alone when it is not, so a
camera without depth (a webcam, a depth-less recording) never stalls the detector:

- before any depth arrived, an RGB image waits up to `depth_timeout_s` (measured from the
  first RGB image) for its partner; after that, RGB images pass alone (`missing` turns True,
  the node warns once);
- once depth arrives, RGB images wait for their partner again, as long as depth keeps
  arriving (the last depth image is younger than `depth_timeout_s`).
"""

from __future__ import annotations


def stamp_key(header) -> int:
    """A header's stamp as integer nanoseconds, for pairing messages of one frame."""
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


class StampPairer:
    """Pairs messages of two streams (0 and 1) that carry the same stamp.

    Only the newest `keep` unpaired messages of each stream wait for a partner, and a pair
    discards everything older than itself, so a lost message never stalls the stream.
    """

    KEEP = 4

    def __init__(self, keep: int = KEEP):
        self._keep = keep
        self._waiting = ({}, {})

    def add(self, stream: int, key: int, msg):
        """Store `msg`; return (stream-0 msg, stream-1 msg) once both of stamp `key` are in, else None."""
        partner = self._waiting[1 - stream].pop(key, None)
        if partner is None:
            waiting = self._waiting[stream]
            waiting[key] = msg
            while len(waiting) > self._keep:
                waiting.pop(min(waiting))
            return None
        for waiting in self._waiting:
            for old in [k for k in waiting if k < key]:
                del waiting[old]
        return (msg, partner) if stream == 0 else (partner, msg)

    def clear(self) -> None:
        for waiting in self._waiting:
            waiting.clear()


RGB, DEPTH = 0, 1


class DepthPairer:
    """(rgb, depth) pairs while depth arrives, (rgb, None) when it does not; see the module rule.
    `now` is any monotonic time in seconds (the node's steady clock)."""

    def __init__(self, depth_timeout_s: float = 0.5, keep: int = StampPairer.KEEP):
        self.depth_timeout_s = depth_timeout_s
        self._pairer = StampPairer(keep)
        self._first_rgb: float | None = None
        self._last_depth: float | None = None

    def expecting_depth(self, now: float) -> bool:
        """True while an RGB image should wait for its depth partner."""
        if self._last_depth is not None:
            return now - self._last_depth <= self.depth_timeout_s
        return self._first_rgb is None or now - self._first_rgb <= self.depth_timeout_s

    def missing(self, now: float) -> bool:
        """True when depth was expected and none has arrived for `depth_timeout_s`."""
        return self._first_rgb is not None and not self.expecting_depth(now)

    def add(self, stream: int, key: int, msg, now: float):
        """Store one message; return (rgb, depth or None) when a frame is ready, else None."""
        if stream == DEPTH:
            self._last_depth = now
            return self._pairer.add(DEPTH, key, msg)
        if self._first_rgb is None:
            self._first_rgb = now
        if not self.expecting_depth(now):
            self._pairer.clear()
            return msg, None
        return self._pairer.add(RGB, key, msg)
