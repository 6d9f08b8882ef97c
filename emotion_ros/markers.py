"""Where each face is in 3D, for rviz2: pinhole back-projection and what to draw (no rclpy).

A face's box centre (u, v) at depth z (the depth gate's distance, metres along the optical
axis) is at ((u - cx) z / fx, (v - cy) z / fy, z) in the camera's optical frame (x right,
y down, z forward), with fx, fy, cx, cy from CameraInfo's K. Its width in metres is
w_px * z / fx. `person_markers` describes a sphere there, coloured by the confirmed
emotion, and a label above it ("alice: Happy 75 %"); the node turns these into
visualization_msgs/Marker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emotion_ros.labels import EMOTIONS

# RGBA per emotion, in EMOTIONS order; unconfirmed emotions are drawn paler
EMOTION_COLOURS = (
    (0.90, 0.10, 0.10),  # Angry
    (0.45, 0.60, 0.10),  # Disgust
    (0.60, 0.20, 0.80),  # Fear
    (1.00, 0.80, 0.10),  # Happy
    (0.20, 0.40, 0.90),  # Sad
    (1.00, 0.50, 0.00),  # Surprise
    (0.80, 0.80, 0.80),  # Neutral
)
LABEL_HEIGHT_M = 0.08


@dataclass(frozen=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_k(cls, k) -> "Intrinsics":
        """From CameraInfo.k (row-major 3x3); ValueError for a camera without calibration."""
        k = [float(value) for value in k]
        if len(k) != 9 or k[0] <= 0 or k[4] <= 0:
            raise ValueError(f"CameraInfo K has no focal length: {k}")
        return cls(fx=k[0], fy=k[4], cx=k[2], cy=k[5])


@dataclass(frozen=True)
class MarkerSpec:
    """One marker: kind "sphere" or "text", in the camera's optical frame (metres)."""

    kind: str
    marker_id: int
    position: tuple[float, float, float]
    scale: float
    rgba: tuple[float, float, float, float]
    text: str = ""


def face_position(intrinsics: Intrinsics, x: int, y: int, w: int, h: int,
                  distance_m: float) -> tuple[float, float, float]:
    """The 3D point of a face box's centre at `distance_m` along the optical axis."""
    u, v = x + w / 2.0, y + h / 2.0
    return ((u - intrinsics.cx) * distance_m / intrinsics.fx,
            (v - intrinsics.cy) * distance_m / intrinsics.fy,
            distance_m)


def person_markers(intrinsics: Intrinsics, *, track_id: int, person: str, emotion: int, share: float,
                   confirmed: bool, roi: tuple[int, int, int, int], distance_m: float,
                   fallback_distance_m: float = 0.0) -> list[MarkerSpec]:
    """A sphere at the face and a label above it; [] when the face has no usable distance
    (NaN or not positive) and no `fallback_distance_m` is given."""
    if not (math.isfinite(distance_m) and distance_m > 0):
        if fallback_distance_m <= 0:
            return []
        distance_m = fallback_distance_m
    position = face_position(intrinsics, *roi, distance_m)
    size = max(roi[2] * distance_m / intrinsics.fx, 0.05)
    red, green, blue = EMOTION_COLOURS[emotion] if 0 <= emotion < len(EMOTIONS) else (1.0, 1.0, 1.0)
    alpha = 0.9 if confirmed else 0.4
    name = EMOTIONS[emotion] if 0 <= emotion < len(EMOTIONS) else f"emotion {emotion}"
    label_at = (position[0], position[1] - size / 2 - LABEL_HEIGHT_M, position[2])  # y is down
    return [
        MarkerSpec("sphere", 2 * track_id, position, size, (red, green, blue, alpha)),
        MarkerSpec("text", 2 * track_id + 1, label_at, LABEL_HEIGHT_M, (1.0, 1.0, 1.0, 1.0),
                   f"{person}: {name} {100 * share:.0f} %" + ("" if confirmed else " ?")),
    ]
