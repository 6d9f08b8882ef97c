"""The one identity crop (identity.align_face) and YuNet's landmarks on Detection."""

import math

import cv2
import numpy as np
import pytest

from emotion_ros import resources
from emotion_ros.detection import Detection, _clipped, make_detector
from emotion_ros.identity.align import (ALIGNED_SIZE, BOX_EYES, EYE_DISTANCE, EYE_Y, align_face,
                                        alignment_matrix, eye_centres, warp_face)

def eyes_image(right, left, size=(480, 640)):
    """A grey frame with two bright dots where the eyes are."""
    image = np.full(size, 60, np.uint8)
    for x, y in (right, left):
        cv2.circle(image, (round(x), round(y)), 4, 255, -1)
    return image


def bright_spots(crop):
    """Centroids of the two bright blobs of an aligned crop, left to right."""
    _, mask = cv2.threshold(crop, 200, 255, cv2.THRESH_BINARY)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask)
    spots = sorted(centroids[1:count][np.argsort(-stats[1:count, cv2.CC_STAT_AREA])[:2]].tolist())
    return spots


@pytest.mark.parametrize("angle_deg, eye_distance", [(0, 60), (20, 60), (-35, 40), (10, 150)])
def test_eyes_land_level_at_the_fixed_distance(angle_deg, eye_distance):
    centre = np.array([320.0, 240.0])
    half = eye_distance / 2 * np.array([math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))])
    right, left = centre - half, centre + half
    box = Detection(int(centre[0] - eye_distance), int(centre[1] - eye_distance), 2 * eye_distance,
                    2 * eye_distance, 0.9, (*right, *left, *centre, 0, 0, 0, 0))
    crop = align_face(eyes_image(right, left), box)
    assert crop.shape == (ALIGNED_SIZE, ALIGNED_SIZE) and crop.dtype == np.uint8
    (rx, ry), (lx, ly) = bright_spots(crop)
    assert abs(ry - ly) < 1.5                                              # eyes level
    assert abs((lx - rx) - EYE_DISTANCE * ALIGNED_SIZE) < 2.0               # fixed distance
    assert abs((rx + lx) / 2 - ALIGNED_SIZE / 2) < 1.5 and abs(ry - EYE_Y * ALIGNED_SIZE) < 1.5


def test_matrix_maps_the_eyes_exactly():
    matrix = alignment_matrix((100.0, 200.0), (160.0, 170.0))
    mapped = matrix @ np.array([[100.0, 160.0], [200.0, 170.0], [1.0, 1.0]])
    np.testing.assert_allclose(mapped[:, 0], [ALIGNED_SIZE / 2 - EYE_DISTANCE * ALIGNED_SIZE / 2,
                                              EYE_Y * ALIGNED_SIZE], atol=1e-9)
    np.testing.assert_allclose(mapped[:, 1], [ALIGNED_SIZE / 2 + EYE_DISTANCE * ALIGNED_SIZE / 2,
                                              EYE_Y * ALIGNED_SIZE], atol=1e-9)
    with pytest.raises(ValueError, match="coincide"):
        alignment_matrix((5.0, 5.0), (5.0, 5.0))


def test_without_landmarks_or_with_a_profile_the_box_places_the_eyes():
    box = Detection(100, 50, 200, 256, 0.9)
    expected = [100 + BOX_EYES[0][0] * 200, 50 + BOX_EYES[0][1] * 256,
                100 + BOX_EYES[1][0] * 200, 50 + BOX_EYES[1][1] * 256]
    assert [v for eye in eye_centres(box) for v in eye] == pytest.approx(expected)
    profile = Detection(100, 50, 200, 256, 0.9, (150, 120, 160, 121, 140, 150, 140, 180, 150, 180))
    assert [v for eye in eye_centres(profile) for v in eye] == pytest.approx(expected)
    frontal = Detection(100, 50, 200, 256, 0.9, (150, 120, 250, 121, 200, 150, 160, 180, 240, 180))
    assert eye_centres(frontal) == ((150, 120), (250, 121))


def test_lighting_is_normalised():
    rng = np.random.default_rng(0)
    face = cv2.GaussianBlur(rng.integers(0, 256, (480, 640), dtype=np.uint8), (9, 9), 0)
    box = Detection(220, 140, 200, 200, 0.9)
    bright = align_face(face, box)
    dim = align_face((face * 0.35).astype(np.uint8), box)
    assert abs(float(bright.mean()) - float(dim.mean())) < 12
    assert np.corrcoef(bright.ravel(), dim.ravel())[0, 1] > 0.9


def test_large_faces_are_shrunk_without_aliasing():
    stripes = np.zeros((960, 1280), np.uint8)
    stripes[:, ::2] = 255                                   # 1-pixel stripes
    box = Detection(200, 100, 800, 800, 0.9)
    crop = warp_face(stripes, box)                          # about 5x smaller: area averaging gives grey
    assert crop.std() < 40


def test_bad_image_is_a_clear_error():
    with pytest.raises(ValueError, match="uint8"):
        align_face(np.zeros((50, 50), np.float32), Detection(0, 0, 40, 40, 0.9))


def test_non_finite_detections_are_dropped():
    assert _clipped(float("nan"), 0, 10, 10, 0.9, 100, 100) is None
    assert _clipped(0, 0, float("inf"), 10, 0.9, 100, 100) is None
    assert _clipped(0, 0, 10, 10, 0.9, 100, 100, (1.0, float("nan")) + (0.0,) * 8) is None
    assert _clipped(0, 0, 10, 10, 0.9, 100, 100) == Detection(0, 0, 10, 10, 0.9)


@pytest.mark.skipif(not resources.SAMPLE_ARCHIVE.is_file(), reason="bundled sample recording absent")
def test_yunet_landmarks_lie_on_the_face_in_full_resolution():
    from emotion_ros.capture import open_source
    source = open_source("fakenect", path=str(resources.sample_recording()), realtime=False)
    frame = source.read()
    source.close()
    faces = make_detector("yunet").detect(frame.rgb)
    assert faces
    for face in faces:
        assert face.landmarks is not None and len(face.landmarks) == 10
        xs, ys = face.landmarks[0::2], face.landmarks[1::2]
        assert all(face.x - 2 <= x <= face.x + face.w + 2 for x in xs)
        assert all(face.y - 2 <= y <= face.y + face.h + 2 for y in ys)
        assert face.landmarks[0] < face.landmarks[2]       # the person's right eye is on the image's left
        assert max(ys[:2]) < ys[2] < min(ys[3:])           # eyes above the nose above the mouth


def test_haar_detections_have_no_landmarks():
    blank = np.zeros((120, 160, 3), np.uint8)
    assert make_detector("haar").detect(blank) == []
    assert Detection(0, 0, 1, 1, 1.0).landmarks is None
