"""The one identity crop: a face turned so its eyes are level, scaled to a fixed eye distance,
lighting normalised. The face detector node (run time), enrolment and the evaluation scripts
all call `align_face`; nothing else makes identity crops.

Geometry (fractions of the square side `ALIGNED_SIZE`): the midpoint between the eyes lands at
(0.5, `EYE_Y`) and the eyes lie `EYE_DISTANCE` apart on one row. The crop is wide (forehead,
ears and chin in view, about 3.3 eye distances across) so that the descriptor back-end's own
landmark fit sees the whole face; LBPH uses the central face region only (`lbph.face_region`).

Landmarks are YuNet's five points (right eye, left eye, nose tip, right and left mouth corner;
x, y in image pixels). A detection without landmarks (Haar), or whose eyes are implausibly close
for its box (a profile view), is aligned from the box alone, with the eyes where YuNet puts them
on average (`BOX_EYES`, measured on the ORL faces).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from emotion_ros.preprocessing import to_gray

ALIGNED_SIZE = 128
EYE_DISTANCE = 0.30           # share of ALIGNED_SIZE between the two eye centres
EYE_Y = 0.42                  # row of the eyes, share of ALIGNED_SIZE from the top
BOX_EYES = ((0.267, 0.376), (0.734, 0.376))  # YuNet eye centres, shares of the box (median, ORL)
MIN_EYE_SHARE = 0.25          # eyes closer than this share of the box width: align on the box
LIGHT_MEAN, LIGHT_STD = 128.0, 48.0
CLAHE_CLIP, CLAHE_TILES = 2.0, 4


def eye_centres(detection) -> tuple[tuple[float, float], tuple[float, float]]:
    """(right eye, left eye) in image pixels: YuNet's landmarks when present and plausible,
    else estimated from the box."""
    landmarks = getattr(detection, "landmarks", None)
    x, y, w, h = (float(v) for v in (detection.x, detection.y, detection.w, detection.h))
    if landmarks is not None and len(landmarks) >= 4 and all(math.isfinite(v) for v in landmarks[:4]):
        right, left = (landmarks[0], landmarks[1]), (landmarks[2], landmarks[3])
        if math.dist(right, left) >= MIN_EYE_SHARE * w:
            return (float(right[0]), float(right[1])), (float(left[0]), float(left[1]))
    (rx, ry), (lx, ly) = BOX_EYES
    return (x + rx * w, y + ry * h), (x + lx * w, y + ly * h)


def alignment_matrix(right_eye, left_eye, size: int = ALIGNED_SIZE) -> np.ndarray:
    """2x3 similarity transform taking the two eye centres to their places in the aligned crop."""
    dx, dy = left_eye[0] - right_eye[0], left_eye[1] - right_eye[1]
    span = math.hypot(dx, dy)
    if not span > 0:
        raise ValueError(f"eye centres coincide at {right_eye}; cannot align the face")
    scale = EYE_DISTANCE * size / span
    cos, sin = scale * dx / span, scale * dy / span      # rotate the eye line onto the x axis
    mx, my = (right_eye[0] + left_eye[0]) / 2, (right_eye[1] + left_eye[1]) / 2
    return np.array([[cos, sin, size / 2 - (cos * mx + sin * my)],
                     [-sin, cos, EYE_Y * size - (-sin * mx + cos * my)]], np.float64)


def normalise_lighting(gray: np.ndarray) -> np.ndarray:
    """Global then local: the grey levels are scaled to mean LIGHT_MEAN and spread LIGHT_STD (a
    dim and a bright view of a face come out alike), then contrast-limited adaptive histogram
    equalisation evens out a lit and a shaded side."""
    mean, std = cv2.meanStdDev(gray)
    gain = LIGHT_STD / max(float(std[0, 0]), 1.0)
    levels = np.clip((np.arange(256) - float(mean[0, 0])) * gain + LIGHT_MEAN, 0, 255).astype(np.uint8)
    return cv2.createCLAHE(CLAHE_CLIP, (CLAHE_TILES, CLAHE_TILES)).apply(cv2.LUT(gray, levels))


def align_face(image: np.ndarray, detection, size: int = ALIGNED_SIZE) -> np.ndarray:
    """The aligned, lighting-normalised `size` x `size` grey identity crop of one detected face.

    `image` is the full grey or BGR uint8 frame the detection's coordinates refer to; parts of
    the crop beyond the frame repeat its border. ValueError names a bad image."""
    return normalise_lighting(warp_face(image, detection, size))


def warp_face(image: np.ndarray, detection, size: int = ALIGNED_SIZE) -> np.ndarray:
    """`align_face` before the lighting normalisation: the grey face turned and scaled."""
    gray = to_gray(image, 2)
    matrix = alignment_matrix(*eye_centres(detection), size)
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    if scale < 1:
        # shrink only the face's region first, with area averaging (warpAffine would alias)
        inverse = cv2.invertAffineTransform(matrix)
        corners = inverse @ np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64).T
        x0, y0 = (max(0, math.floor(v) - 2) for v in corners.min(axis=1))
        x1 = min(gray.shape[1], math.ceil(corners[0].max()) + 2)
        y1 = min(gray.shape[0], math.ceil(corners[1].max()) + 2)
        if x1 > x0 and y1 > y0:
            small = cv2.resize(gray[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            sx, sy = small.shape[1] / (x1 - x0), small.shape[0] / (y1 - y0)
            offset = matrix[:, :2] @ np.array([x0, y0], np.float64) + matrix[:, 2]
            matrix = np.column_stack([matrix[:, 0] / sx, matrix[:, 1] / sy, offset])
            gray = small
    return cv2.warpAffine(gray, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
