"""Frame-to-frame face tracks with stable integer ids.

Association rule (deterministic): each track predicts its box by moving its last box with its
last velocity (constant velocity, per frame); every (track, box) pair with IoU(prediction,
box) >= min_iou is a candidate; candidates are taken greedily by decreasing IoU, ties broken
by lower track id then lower box index, each track and box used once. Unmatched boxes start
new tracks with ids 1, 2, 3, ... (never reused); a track unseen for `max_missed` consecutive
frames is dropped. Two faces that trade places between two frames trade ids: identity is the
identity node's job, tracking only follows positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from emotion_ros.boxes import xywh

xywh_float = partial(xywh, number=float)


def iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes or Detection-like objects."""
    ax, ay, aw, ah = xywh_float(a)
    bx, by, bw, bh = xywh_float(b)
    iw = min(ax + aw, bx + bw) - max(ax, bx)
    ih = min(ay + ah, by + bh) - max(ay, by)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


@dataclass
class Track:
    id: int
    box: tuple[float, float, float, float]
    velocity: tuple[float, float] = (0.0, 0.0)
    missed: int = 0

    def predicted(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.box
        steps = self.missed + 1
        return x + self.velocity[0] * steps, y + self.velocity[1] * steps, w, h


class FaceTracker:
    """`update(boxes) -> ids`, one id per box in the given order; see the module rule."""

    def __init__(self, max_missed: int = 5, min_iou: float = 0.3):
        if max_missed < 1:
            raise ValueError(f"max_missed must be at least 1, got {max_missed}")
        self.max_missed = max_missed
        self.min_iou = min_iou
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, boxes) -> list[int]:
        boxes = [xywh_float(b) for b in boxes]
        predictions = [track.predicted() for track in self.tracks]
        candidates = sorted(
            (-iou(pred, box), ti, bi)
            for ti, pred in enumerate(predictions) for bi, box in enumerate(boxes))
        ids: list[int | None] = [None] * len(boxes)
        matched_tracks = set()
        for negative_iou, ti, bi in candidates:
            if -negative_iou < self.min_iou:
                break
            if ti in matched_tracks or ids[bi] is not None:
                continue
            self._move(self.tracks[ti], boxes[bi])
            matched_tracks.add(ti)
            ids[bi] = self.tracks[ti].id
        survivors = []
        for ti, track in enumerate(self.tracks):
            if ti not in matched_tracks:
                track.missed += 1
                if track.missed >= self.max_missed:
                    continue
            survivors.append(track)
        self.tracks = survivors
        for bi, box in enumerate(boxes):
            if ids[bi] is None:
                self.tracks.append(Track(self._next_id, box))
                ids[bi] = self._next_id
                self._next_id += 1
        return ids

    @staticmethod
    def _move(track: Track, box: tuple[float, float, float, float]) -> None:
        steps = track.missed + 1
        (ox, oy, ow, oh), (nx, ny, nw, nh) = track.box, box
        track.velocity = ((nx + nw / 2 - ox - ow / 2) / steps, (ny + nh / 2 - oy - oh / 2) / steps)
        track.box = box
        track.missed = 0
