"""A video file or a still image (played as a one-frame video), optionally looped and paced."""

from __future__ import annotations

import os

import cv2

from emotion_ros.capture.base import Frame, Pacer, Source, SourceError


class VideoSource(Source):
    """A video file; timestamps are media time (frame index / fps), continued across loops."""

    def __init__(self, path: str, *, loop: bool = False, realtime: bool = True):
        self._path = str(path)
        if not os.path.isfile(self._path):
            raise SourceError(f"video file not found: {self._path}")
        self._cap = cv2.VideoCapture(self._path)
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video file {self._path}")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self._period = 1.0 / fps if fps and fps > 0 else 1.0 / 30.0
        self._loop = loop
        self._pacer = Pacer(realtime)
        self._index = 0

    def read(self) -> Frame | None:
        ok, bgr = self._cap.read()
        if not ok and self._loop and self._index > 0:
            # re-open rather than seek: a still image (one-frame "video") cannot seek back
            self._cap.release()
            self._cap = cv2.VideoCapture(self._path)
            ok, bgr = self._cap.read()
        if not ok:
            return None
        stamp = self._index * self._period
        self._pacer.wait(stamp)
        frame = Frame(bgr, None, stamp, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()
