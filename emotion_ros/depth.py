"""Depth gating: keep a detected face only if the registered depth says it is a real head.

Checks, in order, on a uint16 depth image in millimetres registered to the colour image
(0 = no reading):

1. "no depth": no valid reading in the centre of the box;
2. "too near" / "too far": the face distance (median depth of the box's centre) lies
   outside [min_distance_m, max_distance_m];
3. "size": the box width is not that of a human face at that distance, i.e. outside
   [expected / size_tolerance, expected * size_tolerance] with
   expected = focal_px * face_width_m / distance (focal scaled with the image width);
4. "flat": photos and screens are planes. The box interior is cut into a grid of cells,
   a plane is fitted by least squares to the cell means, and the relief (peak-to-peak
   residual) must reach min_relief_m + relief_noise_per_m2 * distance^2; the second term
   follows the Kinect v1 depth noise and step, which grow with the square of the distance
   (the default needs ~3.5 cm at 3 m, where a face shows ~5 cm over its box, so flatness
   is reliable up to about 3 m; a curved print can still pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from emotion_ros.boxes import xywh

NO_DEPTH, TOO_NEAR, TOO_FAR, SIZE, FLAT = "no depth", "too near", "too far", "size", "flat"


@dataclass(frozen=True)
class GateResult:
    """Verdict on one face: kept, median distance (NaN without readings), reason if rejected."""

    kept: bool
    distance_m: float
    reason: str


GATING_OFF = GateResult(True, math.nan, "")
"""What `DepthGate.check` returns without a depth image: everything kept, unmeasured."""


@dataclass(frozen=True)
class DepthGateConfig:
    """Thresholds of the depth gate (defaults for a Kinect v1 at 640x480)."""

    min_distance_m: float = 0.4
    max_distance_m: float = 3.0
    face_width_m: float = 0.15         # adult face width the detector's box spans
    size_tolerance: float = 1.8        # accepted ratio either way between box and expected
    focal_px: float = 525.0            # Kinect v1 RGB focal length at reference_width_px, used
                                       # only when the camera's CameraInfo is not known
    reference_width_px: int = 640
    min_relief_m: float = 0.008        # relief a face must show at (near) zero distance
    relief_noise_per_m2: float = 0.003  # extra relief required per squared metre
    relief_window_m: float = 0.3       # readings this far from the box median are ignored
    centre_fraction: float = 0.5       # part of the box (each axis) used for the distance
    relief_fraction: float = 0.8       # part of the box (each axis) used for the relief
    grid: int = 5                      # relief cells per axis

    def focal_for_width(self, width_px: int) -> float:
        return self.focal_px * width_px / self.reference_width_px

    def relief_threshold(self, distance_m: float) -> float:
        return self.min_relief_m + self.relief_noise_per_m2 * distance_m ** 2


def _inner(depth: np.ndarray, box, fraction: float) -> np.ndarray:
    """The central `fraction` (per axis) of the box, clipped to the image."""
    x, y, w, h = xywh(box)
    mx, my = w * (1 - fraction) / 2, h * (1 - fraction) / 2
    x0, y0 = max(0, int(round(x + mx))), max(0, int(round(y + my)))
    x1 = min(depth.shape[1], int(round(x + w - mx)))
    y1 = min(depth.shape[0], int(round(y + h - my)))
    return depth[y0:max(y0, y1), x0:max(x0, x1)]


def face_distance(depth: np.ndarray, box, fraction: float = 0.5) -> float:
    """Median of the valid depth readings in the box's central part, metres; NaN if none."""
    patch = _inner(depth, box, fraction)
    valid = patch[patch > 0]
    return float(np.median(valid)) / 1000.0 if valid.size else math.nan


def relief(depth: np.ndarray, box, fraction: float = 0.8, grid: int = 5,
           window_m: float = 0.3) -> float:
    """Peak-to-peak residual (m) of a plane fitted to the box's cell means; NaN if unknown.

    Readings farther than `window_m` from the box median (background, hair, holes) are left
    out; cell means, not medians, so that sensor noise dithers the Kinect's depth steps away.
    Cells with fewer than a third of their readings kept are left out; 6 cells are needed.
    """
    patch = _inner(depth, box, fraction).astype(np.float64) / 1000.0
    height, width = patch.shape
    if height < grid or width < grid:
        return math.nan
    valid = patch > 0
    if not valid.any():
        return math.nan
    valid &= np.abs(patch - np.median(patch[valid])) <= window_m
    rows = np.linspace(0, height, grid + 1).astype(int)
    cols = np.linspace(0, width, grid + 1).astype(int)
    points = []
    for i in range(grid):
        for j in range(grid):
            cell = patch[rows[i]:rows[i + 1], cols[j]:cols[j + 1]]
            keep = valid[rows[i]:rows[i + 1], cols[j]:cols[j + 1]]
            if keep.sum() * 3 >= keep.size:
                points.append((j, i, float(cell[keep].mean())))
    if len(points) < 6:
        return math.nan
    pts = np.asarray(points)
    design = np.column_stack([pts[:, 0], pts[:, 1], np.ones(len(pts))])
    coeffs, *_ = np.linalg.lstsq(design, pts[:, 2], rcond=None)
    residual = pts[:, 2] - design @ coeffs
    return float(residual.max() - residual.min())


class DepthGate:
    """`check(depth, box) -> GateResult`; see the module docstring for the rules."""

    def __init__(self, config: DepthGateConfig | None = None):
        self.config = config or DepthGateConfig()

    def check(self, depth: np.ndarray | None, box, focal_px: float | None = None) -> GateResult:
        """`focal_px`: the camera's focal length at this image's width (CameraInfo K[0]);
        None = the config's `focal_px`, scaled from `reference_width_px`."""
        if depth is None:
            return GATING_OFF
        cfg = self.config
        distance = face_distance(depth, box, cfg.centre_fraction)
        if math.isnan(distance):
            return GateResult(False, distance, NO_DEPTH)
        if distance < cfg.min_distance_m:
            return GateResult(False, distance, TOO_NEAR)
        if distance > cfg.max_distance_m:
            return GateResult(False, distance, TOO_FAR)
        focal = focal_px if focal_px else cfg.focal_for_width(depth.shape[1])
        expected = focal * cfg.face_width_m / distance
        ratio = xywh(box)[2] / expected
        if not 1.0 / cfg.size_tolerance <= ratio <= cfg.size_tolerance:
            return GateResult(False, distance, SIZE)
        face_relief = relief(depth, box, cfg.relief_fraction, cfg.grid, cfg.relief_window_m)
        if math.isnan(face_relief) or face_relief < cfg.relief_threshold(distance):
            return GateResult(False, distance, FLAT)
        return GateResult(True, distance, "")
