"""Frame sources: Kinect v1 (libfreenect), webcam, video file and fakenect recordings.

`open_source(kind, ...)` returns a FrameSource: `.read() -> Frame | None` (None = end of
stream), `.close()`, `.has_depth`; sources are also context managers. Every failure to open
or read raises `SourceError` naming the device or file.

Fakenect recordings (the layout written by libfreenect's `fakenect/record`):

- `INDEX.txt` lists the dump files in recording order, one name per line;
- names are `<type>-<time>-<device timestamp>.<ext>`: type `r` (RGB, `.ppm`), `d` (depth,
  `.pgm`) or `a` (accelerometer, ignored); time is the wall clock in seconds at recording;
- each dump is a one-line header (`P6 640 480 255` or `P5 640 480 <maxval>`) followed by the
  raw frame: RGB bytes, or uint16 depth in the recording machine's byte order
  (little-endian on x86 / ARM, unlike standard 16-bit PGM).

The depth PGM's maxval tells the two depth encodings apart:

- maxval 65535 (what libfreenect's `record` writes): raw 11-bit disparity, 2047 = no
  reading, NOT registered to RGB. Converted here to approximate millimetres with
  Magnenat's fit `z = 0.1236 * tan(raw / 2842.5 + 1.1863)` metres.
- maxval 10000 (`FREENECT_DEPTH_MM_MAX_VALUE`, what `FakenectWriter` writes): depth in
  millimetres registered to RGB, 0 = no reading; read back exactly.

Each RGB frame is paired with the depth frame nearest to it in recording time.
"""

from __future__ import annotations

import bisect
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

KINDS = ("kinect", "webcam", "video", "fakenect", "bag")
RAW_DEPTH_MAXVAL = 65535
MM_DEPTH_MAXVAL = 10000
RAW_DEPTH_NO_VALUE = 2047
_DUMP_NAME = re.compile(r"^([rda])-(\d+(?:\.\d*)?)-(\d+)")


@dataclass(frozen=True)
class Frame:
    """One camera frame; depth (uint16 mm, 0 = no reading) is registered to rgb (BGR)."""

    rgb: np.ndarray
    depth: np.ndarray | None
    timestamp: float
    index: int


class SourceError(RuntimeError):
    """A frame source cannot be opened or read; the message names the device or file."""


class FrameSource(Protocol):
    has_depth: bool

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class _Source:
    has_depth = False

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    if kind == "bag":  # rosbag2 (MCAP or SQLite3): emotion_ros/bag.py
        from emotion_ros.bag import BagSource
        return BagSource(path, loop=loop, realtime=realtime)
    raise SourceError(f"unknown source kind {kind!r}; expected one of {', '.join(KINDS)}")


class KinectSource(_Source):
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


class WebcamSource(_Source):
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


class _Pacer:
    """Sleeps so that media times are played back at the rate they were recorded."""

    def __init__(self, enabled: bool, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._enabled, self._clock, self._sleep = enabled, clock, sleep
        self._origin: tuple[float, float] | None = None

    def wait(self, media_time: float) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if self._origin is None:
            self._origin = (now, media_time)
            return
        delay = (media_time - self._origin[1]) - (now - self._origin[0])
        if delay > 0:
            self._sleep(delay)


class VideoSource(_Source):
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
        self._pacer = _Pacer(realtime)
        self._index = 0

    def read(self) -> Frame | None:
        ok, bgr = self._cap.read()
        if not ok and self._loop and self._index > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
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


def _read_netpbm(path: Path, magic: bytes) -> tuple[int, np.ndarray]:
    """Read a fakenect dump (one-line P5/P6 header, raw payload) -> (maxval, array)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SourceError(f"cannot read {path}: {err.strerror}") from err
    end = data.find(b"\n", 0, 64)
    fields = data[:end].split() if end > 0 else []
    try:
        if len(fields) != 4 or fields[0] != magic:
            raise ValueError
        width, height, maxval = (int(f) for f in fields[1:])
        if width <= 0 or height <= 0 or not 0 < maxval < 65536:
            raise ValueError
    except ValueError:
        raise SourceError(f"corrupt {magic.decode()} header in {path}: "
                          f"{data[:40]!r}") from None
    channels = 3 if magic == b"P6" else 1
    dtype = np.dtype(np.uint8) if maxval < 256 else np.dtype("<u2")
    expected = width * height * channels * dtype.itemsize
    payload = data[end + 1:]
    if len(payload) < expected:
        raise SourceError(f"truncated {path}: {len(payload)} of {expected} bytes of pixels")
    image = np.frombuffer(payload, dtype, width * height * channels)
    shape = (height, width, 3) if channels == 3 else (height, width)
    return maxval, image.reshape(shape).astype(dtype.newbyteorder("="))


def disparity_to_mm(raw: np.ndarray) -> np.ndarray:
    """Kinect v1 11-bit disparity -> approximate depth in mm (uint16, 0 = no reading)."""
    raw = raw.astype(np.float64)
    valid = raw < RAW_DEPTH_NO_VALUE
    metres = 0.1236 * np.tan(raw / 2842.5 + 1.1863)
    valid &= (metres > 0) & (metres * 1000.0 <= MM_DEPTH_MAXVAL)
    return np.where(valid, np.round(metres * 1000.0), 0).astype(np.uint16)


@dataclass(frozen=True)
class _Dump:
    time: float
    path: Path


def _parse_index(directory: Path) -> tuple[list[_Dump], list[_Dump]]:
    index = directory / "INDEX.txt"
    try:
        lines = index.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"cannot read fakenect index {index}: {err}") from err
    rgb: list[_Dump] = []
    depth: list[_Dump] = []
    for number, line in enumerate(lines, 1):
        name = line.strip()
        if not name:
            continue
        match = _DUMP_NAME.match(name)
        if not match:
            raise SourceError(f"{index}:{number}: not a fakenect dump name: {name!r}")
        kind, stamp = match.group(1), float(match.group(2))
        if kind == "a":
            continue
        path = directory / name
        if not path.is_file():
            raise SourceError(f"file listed in {index} is missing: {path}")
        (rgb if kind == "r" else depth).append(_Dump(stamp, path))
    if not rgb:
        raise SourceError(f"no RGB frames listed in {index}")
    return rgb, depth


class FakenectSource(_Source):
    """Replay of a fakenect directory in INDEX order; stamps: recording times (+ loop offset)."""

    def __init__(self, path: str, *, loop: bool = False, realtime: bool = True):
        directory = Path(path)
        if not directory.is_dir():
            raise SourceError(f"fakenect recording directory not found: {directory}")
        self._rgb, depth = _parse_index(directory)
        depth.sort(key=lambda dump: dump.time)
        depth_times = [dump.time for dump in depth]
        self._depth = [self._nearest(depth, depth_times, dump.time) for dump in self._rgb]
        self.has_depth = bool(depth)
        times = [dump.time for dump in self._rgb]
        period = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1 / 30
        self._loop_duration = times[-1] - times[0] + period
        self._loop = loop
        self._pacer = _Pacer(realtime)
        self._index = 0

    @staticmethod
    def _nearest(depth: list[_Dump], times: list[float], stamp: float) -> _Dump | None:
        """The depth dump recorded nearest in time to `stamp` (depth sorted by time)."""
        if not depth:
            return None
        i = bisect.bisect_left(times, stamp)
        candidates = depth[max(0, i - 1):i + 1]
        return min(candidates, key=lambda d: abs(d.time - stamp))

    def read(self) -> Frame | None:
        lap, position = divmod(self._index, len(self._rgb))
        if lap and not self._loop:
            return None
        dump = self._rgb[position]
        maxval, rgb = _read_netpbm(dump.path, b"P6")
        if maxval != 255:
            raise SourceError(f"{dump.path}: RGB maxval {maxval}, expected 255")
        depth = None
        depth_dump = self._depth[position]
        if depth_dump is not None:
            maxval, depth = _read_netpbm(depth_dump.path, b"P5")
            if maxval == RAW_DEPTH_MAXVAL:
                depth = disparity_to_mm(depth)
            elif maxval != MM_DEPTH_MAXVAL:
                raise SourceError(f"unknown depth encoding in {depth_dump.path}: maxval "
                                  f"{maxval} (expected {RAW_DEPTH_MAXVAL} raw disparity "
                                  f"or {MM_DEPTH_MAXVAL} millimetres)")
            if depth.shape != rgb.shape[:2]:
                raise SourceError(f"depth {depth_dump.path} is {depth.shape[::-1]}, RGB "
                                  f"{dump.path} is {rgb.shape[1::-1]}")
        stamp = dump.time + lap * self._loop_duration
        self._pacer.wait(stamp)
        frame = Frame(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), depth, stamp, self._index)
        self._index += 1
        return frame


class FakenectWriter:
    """Writes frames as a fakenect recording (registered depth in mm, maxval 10000).

    Files are named `r-<timestamp>-<index>.ppm` / `d-<timestamp>-<index>.pgm`. This module
    replays them exactly; libfreenect's own fakenect library would read the millimetres as
    raw disparity, so use `open_source("fakenect", ...)` to replay them.
    """

    def __init__(self, path: str):
        self._dir = Path(path)
        self._dir.mkdir(parents=True, exist_ok=True)
        index = self._dir / "INDEX.txt"
        if index.exists():
            raise SourceError(f"{index} already exists; record into a new directory")
        self._index = open(index, "w", encoding="ascii")

    def write(self, frame: Frame) -> None:
        """Append one frame: r-<t>-<i>.ppm and, when it has depth, d-<t>-<i>.pgm."""
        rgb = np.ascontiguousarray(cv2.cvtColor(frame.rgb, cv2.COLOR_BGR2RGB))
        height, width = rgb.shape[:2]
        stem = f"{frame.timestamp:.6f}-{frame.index}"
        self._dump(f"r-{stem}.ppm", f"P6 {width} {height} 255\n", rgb.tobytes())
        if frame.depth is not None:
            depth = np.minimum(frame.depth, MM_DEPTH_MAXVAL).astype("<u2")
            self._dump(f"d-{stem}.pgm", f"P5 {width} {height} {MM_DEPTH_MAXVAL}\n",
                       depth.tobytes())

    def _dump(self, name: str, header: str, payload: bytes) -> None:
        with open(self._dir / name, "wb") as out:
            out.write(header.encode("ascii"))
            out.write(payload)
        self._index.write(name + "\n")
        self._index.flush()

    def close(self) -> None:
        self._index.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Backoff:
    """Exponential back-off delays: `initial`, x`factor` after each failure, capped."""

    def __init__(self, initial: float = 0.5, factor: float = 2.0, maximum: float = 5.0):
        if initial <= 0 or factor < 1 or maximum < initial:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")
        self.initial, self.factor, self.maximum = initial, factor, maximum
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class RetryingSource:
    """Keeps a source alive: re-opens it after a failure with exponential back-off.

    `poll()` never sleeps and never raises SourceError: it returns a Frame, or None when no
    frame is available now (source down, waiting for the next attempt) or the stream ended
    (`ended` is then True). `report(message)` is called once when an outage starts and once
    when the source is back, not at every failed attempt. `clock` is injectable for tests.
    """

    def __init__(self, opener: Callable[[], FrameSource], *,
                 backoff: Backoff | None = None,
                 report: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic):
        self._opener = opener
        self._backoff = backoff or Backoff()
        self._report = report
        self._clock = clock
        self._source: FrameSource | None = None
        self._retry_at = clock()
        self._down_since: float | None = None
        self._attempts = 0
        self.ended = False
        self.has_depth = False

    @property
    def up(self) -> bool:
        return self._source is not None

    def poll(self) -> Frame | None:
        if self.ended:
            return None
        if self._source is None:
            if self._clock() < self._retry_at:
                return None
            try:
                self._source = self._opener()
            except SourceError as err:
                self._fail(err)
                return None
            self.has_depth = self._source.has_depth
        try:
            frame = self._source.read()
        except SourceError as err:
            self._drop()
            self._fail(err)
            return None
        if frame is None:
            self.ended = True
            self._drop()
            return None
        if self._down_since is not None:
            self._report(f"source back after {self._clock() - self._down_since:.1f} s "
                         f"({self._attempts} failed attempts)")
        self._down_since = None
        self._attempts = 0
        self._backoff.reset()
        return frame

    def _fail(self, err: SourceError) -> None:
        now = self._clock()
        delay = self._backoff.next_delay()
        if self._down_since is None:
            self._down_since = now
            self._report(f"source failed: {err}; retrying with back-off up to "
                         f"{self._backoff.maximum:g} s")
        self._attempts += 1
        self._retry_at = now + delay

    def _drop(self) -> None:
        source, self._source = self._source, None
        try:
            source.close()
        except (SourceError, OSError, cv2.error):  # a dead device may fail to close
            pass

    def close(self) -> None:
        if self._source is not None:
            self._drop()
