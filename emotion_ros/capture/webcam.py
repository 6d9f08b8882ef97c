"""A V4L2 / OpenCV camera by index; no depth."""

from __future__ import annotations

import time

import cv2

from emotion_ros.capture.base import Frame, Source, SourceError


class WebcamSource(Source):
    """A V4L2 / OpenCV camera by index; no depth. A failed grab raises SourceError."""

    def __init__(self, device: int = 0):
        self._name = f"webcam #{device}"
        self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            raise SourceError(f"{self._name}: cannot open the camera")
        self._index = 0

    def read(self) -> Frame:
        ok, bgr = self._cap.read()
        if not ok:
            raise SourceError(f"{self._name}: frame grab failed (camera disconnected?)")
        frame = Frame(bgr, None, time.time(), self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()
