import math

import numpy as np
import pytest

from emotion_ros.depth import (GATING_OFF, DepthGate, DepthGateConfig, GateResult,
                               face_distance)
from emotion_ros.detection import Detection

H, W, FOCAL, FACE_M = 480, 640, 525.0, 0.15
WALL_M = 2.8


def face_box(distance_m, cx=320, cy=240, scale=1.0):
    side = int(round(FOCAL * FACE_M / distance_m * scale))
    return Detection(cx - side // 2, cy - side // 2, side, int(side * 1.2), 0.9)


def kinect_noise(z_m, seed=0):
    """Kinect v1-like: Gaussian noise growing with z^2, then disparity steps."""
    z = z_m + np.random.default_rng(seed).normal(0, 1, z_m.shape) * 1.425e-3 * z_m ** 2
    raw = np.round((np.arctan(z / 0.1236) - 1.1863) * 2842.5)
    return 0.1236 * np.tan(raw / 2842.5 + 1.1863)


def scene(box, distance_m, shape="round", tilt_m=0.0, noise=True, seed=0):
    """Depth in mm: a wall, and a head (ellipsoid with a nose) or a flat print in the box."""
    z = np.full((H, W), WALL_M)
    x, y, w, h = box.x, box.y, box.w, box.h
    pad = w // 8
    if shape == "round":
        v, u = np.mgrid[-pad:h + pad, -pad:w + pad].astype(float)
        u = (u + 0.5 - w / 2) / (w / 2 + pad)
        v = (v + 0.5 - h / 2) / (h / 2 + pad)
        r2 = u ** 2 + v ** 2
        head = distance_m + 0.08 * (1 - np.sqrt(np.clip(1 - r2, 0, 1)))
        head -= 0.018 * np.exp(-(u ** 2 + v ** 2) / (2 * 0.15 ** 2))
        region = z[y - pad:y + h + pad, x - pad:x + w + pad]
        region[r2 < 1] = head[r2 < 1]
    else:
        ramp = np.linspace(-tilt_m / 2, tilt_m / 2, w + 2 * pad)
        z[y - pad:y + h + pad, x - pad:x + w + pad] = distance_m + ramp
    if noise:
        z = kinect_noise(z, seed)
    return np.round(z * 1000).astype(np.uint16)


GATE = DepthGate()


@pytest.mark.parametrize("distance_m", [0.6, 1.0, 1.5, 2.2, 2.9])
def test_rounded_face_in_band_is_kept(distance_m):
    box = face_box(distance_m)
    result = GATE.check(scene(box, distance_m), box)
    assert result.kept and result.reason == ""
    assert result.distance_m == pytest.approx(distance_m, abs=0.03)


@pytest.mark.parametrize("distance_m, tilt_m", [(0.8, 0.0), (1.2, 0.05), (2.0, 0.0),
                                                 (2.8, 0.08)])
def test_flat_photo_is_rejected(distance_m, tilt_m):
    box = face_box(distance_m)
    for seed in range(3):
        result = GATE.check(scene(box, distance_m, "flat", tilt_m, seed=seed), box)
        assert not result.kept and result.reason == "flat"


def test_distance_band():
    near, far = face_box(0.3), face_box(3.5)
    assert GATE.check(scene(near, 0.3), near) == GateResult(False, pytest.approx(0.3, abs=0.01),
                                                            "too near")
    assert GATE.check(scene(far, 3.5), far).reason == "too far"
    narrow = DepthGate(DepthGateConfig(min_distance_m=0.5, max_distance_m=1.2))
    box = face_box(1.5)
    assert narrow.check(scene(box, 1.5), box).reason == "too far"


def test_implausible_size_is_rejected():
    # A box three times too big for a face at 1.5 m (a giant poster), and one too small.
    for scale in (3.0, 0.3):
        box = face_box(1.5, scale=scale)
        result = GATE.check(scene(box, 1.5), box)
        assert not result.kept and result.reason == "size"


def test_focal_length_scales_with_image_width():
    """At 320x240 the same face is half as wide in pixels and still plausible."""
    box = face_box(1.0)
    depth = scene(box, 1.0)[::2, ::2]
    half = Detection(box.x // 2, box.y // 2, box.w // 2, box.h // 2, 0.9)
    assert GATE.check(depth, half).kept


def test_the_focal_length_of_camera_info_sets_the_expected_face_size():
    """A camera with twice the Kinect's focal length sees a face twice as wide: only the
    CameraInfo focal length makes it plausible."""
    box = face_box(1.0, scale=2.0)
    depth = scene(box, 1.0)
    assert GATE.check(depth, box).reason == "size"
    assert GATE.check(depth, box, focal_px=2 * FOCAL).kept


def test_no_depth_readings():
    box = face_box(1.0)
    depth = scene(box, 1.0)
    depth[box.y:box.y + box.h, box.x:box.x + box.w] = 0
    result = GATE.check(depth, box)
    assert not result.kept and result.reason == "no depth" and math.isnan(result.distance_m)
    assert math.isnan(face_distance(depth, box))


def test_without_depth_gating_is_off():
    assert GATE.check(None, face_box(1.0)) is GATING_OFF
    assert GATING_OFF.kept and GATING_OFF.reason == "" and math.isnan(GATING_OFF.distance_m)


def test_face_distance_is_robust_to_holes_and_background():
    box = face_box(1.0)
    depth = np.full((H, W), 1000, np.uint16)
    depth[box.y:box.y + box.h // 4, :] = 0          # holes
    depth[:, box.x:box.x + box.w // 4] = 4000      # background at the box edge
    assert face_distance(depth, box) == pytest.approx(1.0)
    assert face_distance(depth, (box.x, box.y, box.w, box.h)) == pytest.approx(1.0)


def test_box_partly_outside_the_image():
    box = Detection(-20, -30, 80, 90, 0.9)
    depth = np.full((H, W), 1500, np.uint16)
    assert face_distance(depth, box) == pytest.approx(1.5)
    assert GATE.check(depth, box).reason == "flat"
