"""Kinect v1 through libfreenect's Python sync wrapper (optional: `freenect` may be absent)."""

from __future__ import annotations

import time

import cv2
import numpy as np

from emotion_ros.capture.base import Frame, Source, SourceError


class KinectSource(Source):
    """Kinect v1 through libfreenect's Python sync wrapper; depth registered to RGB, mm."""

    has_depth = True

    def __init__(self, device: int = 0):
        try:
            import freenect
        except ImportError as err:
            raise SourceError(f"kinect #{device}: the freenect Python wrapper is not "
                              f"installed ({err})") from err
        self._freenect = freenect
        self._device = device
        self._index = 0
        try:
            self._grab("video")  # fail now, not at the first read, when there is no Kinect
        except SourceError:
            freenect.sync_stop()
            raise

    def _grab(self, what: str) -> np.ndarray:
        fn = self._freenect
        if what == "video":
            got = fn.sync_get_video(self._device, fn.VIDEO_RGB)
        else:
            got = fn.sync_get_depth(self._device, fn.DEPTH_REGISTERED)
        if got is None:
            raise SourceError(f"kinect #{self._device}: no {what} frame (unplugged, not "
                              f"powered, or no USB permission?)")
        return got[0]

    def read(self) -> Frame:
        rgb = cv2.cvtColor(self._grab("video"), cv2.COLOR_RGB2BGR)
        depth = np.ascontiguousarray(self._grab("depth"), dtype=np.uint16)
        frame = Frame(rgb, depth, time.time(), self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._freenect.sync_stop()
