"""Fakenect recordings: replay and writing.

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
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.capture.base import Frame, Pacer, Source, SourceError

RAW_DEPTH_MAXVAL = 65535
MM_DEPTH_MAXVAL = 10000
RAW_DEPTH_NO_VALUE = 2047
_DUMP_NAME = re.compile(r"^([rda])-(\d+(?:\.\d*)?)-(\d+)")


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


class FakenectSource(Source):
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
        self._pacer = Pacer(realtime)
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
