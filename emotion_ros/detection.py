"""Face detectors returning `Detection` boxes in full-resolution image pixels.

- `yunet` (default): OpenCV's FaceDetectorYN with the shipped YuNet model, run on the frame
  downscaled to `width` pixels (320 by default, a few ms per frame on one core); boxes are
  mapped back to full resolution and clipped to the image.
- `haar`: OpenCV's frontal-face Haar cascade, as in the original blog post; it has no
  calibrated confidence, so its score is 1.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.resources import YUNET_MODEL, model_path


@dataclass(frozen=True)
class Detection:
    x: int
    y: int
    w: int
    h: int
    score: float
    # YuNet's 5 points in image pixels, x, y each: right eye, left eye, nose tip, right and
    # left mouth corner (the person's right); None from detectors without landmarks (Haar)
    landmarks: tuple[float, ...] | None = None


def _clipped(x: float, y: float, w: float, h: float, score: float,
             width: int, height: int, landmarks: tuple[float, ...] | None = None) -> Detection | None:
    """The box clipped to the image; None when nothing is left or a value is not finite."""
    if not all(math.isfinite(v) for v in (x, y, w, h, score, *(landmarks or ()))):
        return None
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if x1 <= x0 or y1 <= y0:
        return None
    return Detection(x0, y0, x1 - x0, y1 - y0, float(score), landmarks)


class HaarDetector:
    """Haar cascade on the grey frame (default: haarcascade_frontalface_default.xml)."""

    def __init__(self, scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_size: tuple[int, int] = (30, 30), cascade: str = ""):
        path = cascade or str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise ValueError(f"cannot load Haar cascade {path}")
        self.scale_factor, self.min_neighbors = scale_factor, min_neighbors
        self.min_size = tuple(min_size)

    def detect(self, bgr: np.ndarray) -> list[Detection]:
        gray = bgr if bgr.ndim == 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        boxes = self._cascade.detectMultiScale(gray, scaleFactor=self.scale_factor,
                                               minNeighbors=self.min_neighbors,
                                               minSize=self.min_size)
        height, width = gray.shape
        found = (_clipped(*box, 1.0, width, height) for box in boxes)
        return [d for d in found if d is not None]


class YuNetDetector:
    """YuNet on the frame scaled to `width` px (never upscaled); boxes in full resolution."""

    def __init__(self, width: int = 320, score_threshold: float = 0.7,
                 nms_threshold: float = 0.3, top_k: int = 50, model: str = ""):
        if width < 32:
            raise ValueError(f"detection width must be at least 32 px, got {width}")
        path = model or str(model_path(YUNET_MODEL))
        self.width = int(width)
        self._net = cv2.FaceDetectorYN.create(path, "", (self.width, self.width),
                                              score_threshold, nms_threshold, top_k)
        self._input_size: tuple[int, int] | None = None

    @property
    def score_threshold(self) -> float:
        return self._net.getScoreThreshold()

    @score_threshold.setter
    def score_threshold(self, value: float) -> None:
        self._net.setScoreThreshold(float(value))

    def detect(self, bgr: np.ndarray) -> list[Detection]:
        if bgr.ndim == 2:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        height, width = bgr.shape[:2]
        scale = min(1.0, self.width / width)
        if scale < 1.0:
            size = (self.width, max(1, round(height * scale)))
            small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        else:
            small = bgr
        size = (small.shape[1], small.shape[0])
        if size != self._input_size:
            self._net.setInputSize(size)
            self._input_size = size
        _, faces = self._net.detect(small)
        if faces is None:
            return []
        sx, sy = width / size[0], height / size[1]
        found = (_clipped(f[0] * sx, f[1] * sy, f[2] * sx, f[3] * sy, f[14], width, height,
                          tuple(float(v) * (sx if k % 2 == 0 else sy) for k, v in enumerate(f[4:14])))
                 for f in faces)
        return [d for d in found if d is not None]


DETECTORS = {"yunet": YuNetDetector, "haar": HaarDetector}


def make_detector(name: str, **options):
    """A detector by name ("yunet" | "haar") with its keyword options; `.detect(bgr)`."""
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; expected one of "
                         f"{', '.join(DETECTORS)}") from None
    return cls(**options)


def crop_face(image: np.ndarray, detection, scale: float = 1.0, offset_x: float = 0.0,
              offset_y: float = 0.0) -> np.ndarray:
    """Square grey crop framed on a face box; parts outside the image repeat its edge pixels.

    The square's side is `scale` * max(w, h); its centre is the box centre moved by
    (`offset_x`, `offset_y`) times that box side (+ = right / down). The emotion model's framing
    (FER2013's, measured with `python -m training.framing`) is
    `preprocessing.EMOTION_CROP_SCALE` / `EMOTION_CROP_OFFSET_Y`. The crop stays square at the
    image border, so framing and aspect never depend on where the face is. Accepts a grey or
    BGR image; returns uint8 grey (side x side).
    """
    x, y, w, h = detection.x, detection.y, detection.w, detection.h
    box_side = max(w, h)
    side = max(1, round(box_side * scale))
    cx, cy = x + w / 2.0 + offset_x * box_side, y + h / 2.0 + offset_y * box_side
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    x1, y1 = x0 + side, y0 + side
    height, width = image.shape[:2]
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        raise ValueError(f"face box {(x, y, w, h)} lies outside the {width}x{height} image")
    crop = image[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    # grey conversion of the crop only, not of the whole frame
    crop = crop.copy() if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    pads = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    return cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE) if any(pads) else crop
