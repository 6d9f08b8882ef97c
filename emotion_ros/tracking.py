"""Frame-to-frame face tracks with stable integer ids.

Association rule (deterministic): each track predicts its box by moving its last box with its
last velocity (constant velocity, per frame); every (track, box) pair with IoU(prediction,
box) >= min_iou is a candidate; candidates are taken greedily by decreasing IoU, ties broken
by lower track id then lower box index, each track and box used once. Unmatched boxes start
new tracks with ids 1, 2, 3, ... (never reused); a track unseen for `max_missed` consecutive
frames is dropped. Two faces that trade places between two frames trade ids: identity is the
identity node's job, tracking only follows positions.

A track must never carry one person's identity over to another, so tracks also end
- at a scene cut (`update(..., cut=True)`): every track ends and every face starts a new one;
  `SceneCutDetector` flags a cut when the colour histograms of consecutive frames differ by more
  than `CUT_DISTANCE` (Bhattacharyya distance);
- at an appearance jump: a box whose face signature (`face_signature` of its identity crop)
  differs from the track's previous one by more than `max_jump` cannot continue that track.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from emotion_ros.boxes import xywh

CUT_DISTANCE = 0.5        # Bhattacharyya distance of consecutive frames' histograms above which a cut is declared
APPEARANCE_JUMP = 0.5     # face signature distance (1 - correlation) above which a box cannot continue a track
SIGNATURE_SIZE = 8        # face signature: an 8x8 thumbnail of the identity crop's central face
_HIST_WIDTH = 160         # frames are shrunk to this width before their histogram


def frame_signature(bgr: np.ndarray) -> np.ndarray:
    """A frame's normalised 8x8x8 BGR histogram (grey frames: their 32-level histogram)."""
    scale = min(1.0, _HIST_WIDTH / bgr.shape[1])
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    if small.ndim == 2:
        hist = cv2.calcHist([small], [0], None, [32], [0, 256])
    else:
        hist = cv2.calcHist([small], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1).ravel()


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance of two normalised histograms: 0 identical, 1 disjoint."""
    return float(cv2.compareHist(a.astype(np.float32), b.astype(np.float32), cv2.HISTCMP_BHATTACHARYYA))


class SceneCutDetector:
    """`update(frame) -> True` when the frame starts a new shot (never for the first frame)."""

    def __init__(self, threshold: float = CUT_DISTANCE):
        if not 0 < threshold <= 1:
            raise ValueError(f"cut threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def update(self, bgr: np.ndarray) -> bool:
        signature = frame_signature(bgr)
        cut = self._previous is not None and (
            self._previous.shape != signature.shape or histogram_distance(self._previous, signature) > self.threshold)
        self._previous = signature
        return cut


def face_signature(crop: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm SIGNATURE_SIZE^2 thumbnail of the central half of a grey face crop."""
    height, width = crop.shape[:2]
    centre = crop[height // 4: height - height // 4, width // 4: width - width // 4]
    thumb = cv2.resize(centre, (SIGNATURE_SIZE, SIGNATURE_SIZE), interpolation=cv2.INTER_AREA)
    thumb = thumb.astype(np.float32).ravel()
    thumb -= thumb.mean()
    norm = float(np.linalg.norm(thumb))
    return thumb / norm if norm > 0 else thumb


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - correlation of two face signatures: 0 same, about 0.5 for different people, up to 2."""
    return float(1.0 - np.dot(a, b))


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
    signature: np.ndarray | None = None

    def predicted(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.box
        steps = self.missed + 1
        return x + self.velocity[0] * steps, y + self.velocity[1] * steps, w, h


class FaceTracker:
    """`update(boxes, signatures=None, cut=False) -> ids`, one id per box in the given order;
    see the module rule. `cuts` counts scene cuts, `jumps` boxes that started a new track because
    their face differed from the track they overlapped."""

    def __init__(self, max_missed: int = 5, min_iou: float = 0.3, max_jump: float = APPEARANCE_JUMP):
        if max_missed < 1:
            raise ValueError(f"max_missed must be at least 1, got {max_missed}")
        self.max_missed = max_missed
        self.min_iou = min_iou
        self.max_jump = max_jump
        self.tracks: list[Track] = []
        self._next_id = 1
        self.cuts = self.jumps = 0

    def update(self, boxes, signatures=None, cut: bool = False) -> list[int]:
        boxes = [xywh_float(b) for b in boxes]
        signatures = list(signatures) if signatures is not None else [None] * len(boxes)
        if len(signatures) != len(boxes):
            raise ValueError(f"{len(signatures)} face signatures for {len(boxes)} boxes")
        if cut:
            self.cuts += 1
            self.tracks = []
        predictions = [track.predicted() for track in self.tracks]
        candidates, jumped = [], set()
        for ti, pred in enumerate(predictions):
            for bi, box in enumerate(boxes):
                overlap = iou(pred, box)
                if overlap < self.min_iou:
                    continue
                before, now = self.tracks[ti].signature, signatures[bi]
                if before is not None and now is not None and signature_distance(before, now) > self.max_jump:
                    jumped.add(bi)
                    continue
                candidates.append((-overlap, ti, bi))
        candidates.sort()
        ids: list[int | None] = [None] * len(boxes)
        matched_tracks = set()
        for negative_iou, ti, bi in candidates:
            if -negative_iou < self.min_iou:
                break
            if ti in matched_tracks or ids[bi] is not None:
                continue
            self._move(self.tracks[ti], boxes[bi])
            self.tracks[ti].signature = signatures[bi]
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
                self.jumps += bi in jumped
                self.tracks.append(Track(self._next_id, box, signature=signatures[bi]))
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
