"""Frame sources, one module per kind: Kinect v1 (libfreenect), webcam, video file and fakenect recordings.

`open_source(kind, ...)` returns a FrameSource: `.read() -> Frame | None` (None = end of
stream), `.close()`, `.has_depth`; sources are also context managers. Every failure to open
or read raises `SourceError` naming the device or file.

- `base`: Frame, SourceError, the FrameSource protocol, playback pacing;
- `kinect`, `webcam`, `video`, `fakenect` (replay and FakenectWriter): the sources;
- `retry`: Backoff and RetryingSource (re-open after a failure, give up when it never opens).
"""

from __future__ import annotations

from emotion_ros.capture.base import Frame, FrameSource, SourceError
from emotion_ros.capture.fakenect import FakenectSource, FakenectWriter, disparity_to_mm
from emotion_ros.capture.kinect import KinectSource
from emotion_ros.capture.retry import Backoff, RetryingSource
from emotion_ros.capture.video import VideoSource
from emotion_ros.capture.webcam import WebcamSource

KINDS = ("kinect", "webcam", "video", "fakenect", "bag")
LIVE_KINDS = ("kinect", "webcam")

__all__ = ["KINDS", "LIVE_KINDS", "Backoff", "FakenectSource", "FakenectWriter", "Frame",
           "FrameSource", "KinectSource", "RetryingSource", "SourceError", "VideoSource", "WebcamSource",
           "disparity_to_mm", "open_source"]


def open_source(kind: str, *, path: str = "", device: int = 0, loop: bool = False,
                realtime: bool = True) -> FrameSource:
    """Open a frame source of `kind` ("kinect", "webcam", "video", "fakenect" or "bag").

    `path` is the video file, fakenect directory or rosbag2 bag, `device` the Kinect or webcam index;
    `loop` restarts files at their end; `realtime` paces files at their recorded rate.
    """
    if kind == "kinect":
        return KinectSource(device)
    if kind == "webcam":
        return WebcamSource(device)
    if kind == "video":
        return VideoSource(path, loop=loop, realtime=realtime)
    if kind == "fakenect":
        return FakenectSource(path, loop=loop, realtime=realtime)
    if kind == "bag":  # rosbag2, MCAP or SQLite3 (needs the `rosbags` package)
        from emotion_ros.capture.bag import BagSource
        return BagSource(path, loop=loop, realtime=realtime)
    raise SourceError(f"unknown source kind {kind!r}; expected one of {', '.join(KINDS)}")
