"""rosbag2 bags as a frame source, and a writer for them (PyPI `rosbags`: no ROS install needed).

`BagSource` replays a bag's colour and depth camera topics as `capture.Frame`s, the interface
of every other source (`read()`, `close()`, `has_depth`). It reads what camera drivers and
`ros2 bag record` write: `sensor_msgs/Image` in any encoding that `encodings` converts
(rgb8, yuv422, 32FC1 metres, ...) or `sensor_msgs/CompressedImage` (JPEG colour,
compressedDepth PNG), from MCAP or SQLite3 storage. Colour and depth are paired by header
stamp (the nearest depth message in time, as a recording would be replayed).

Topics: `colour_topic` / `depth_topic` when given; otherwise the first of COLOUR_TOPICS /
DEPTH_TOPICS in the bag; otherwise the bag's only image topic without / with "depth" in its
name. A bag without depth replays as a colour-only source.

`BagWriter` writes frames as a rosbag2 MCAP bag on CAMERA_TOPIC / DEPTH_TOPIC (bgr8 and 16UC1
millimetres, or JPEG and PNG with `compressed=True`), stamped with the frames' timestamps.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from emotion_ros import encodings, graph
from emotion_ros.capture.base import Frame, Pacer, Source, SourceError

CAMERA_TOPIC = "/camera/image_raw"
DEPTH_TOPIC = "/camera/depth/image_raw"
COMPRESSED_SUFFIX = {"colour": "/compressed", "depth": "/compressedDepth"}
COLOUR_TOPICS = (CAMERA_TOPIC, CAMERA_TOPIC + COMPRESSED_SUFFIX["colour"],
                 "/camera/color/image_raw", "/camera/rgb/image_raw", "/image_raw")
DEPTH_TOPICS = (DEPTH_TOPIC, DEPTH_TOPIC + COMPRESSED_SUFFIX["depth"],
                "/camera/aligned_depth_to_color/image_raw", "/camera/depth_registered/image_raw",
                "/camera/depth/image_rect_raw", "/camera/depth/image")
IMAGE = "sensor_msgs/msg/Image"
COMPRESSED = "sensor_msgs/msg/CompressedImage"
IMAGE_TYPES = (IMAGE, COMPRESSED)
MAX_PENDING = 30  # colour frames waiting for a later depth message before pairing anyway


def typestore():
    """The message definitions bags are read and written with: ROS 2 Kilted's (Jazzy's agree
    for the camera messages) and this package's own (msg/*.msg), e.g. for /person_emotions."""
    try:
        from rosbags.typesys import Stores, get_types_from_msg, get_typestore
    except ImportError as err:
        raise SourceError(f"reading and writing bags needs PyPI's rosbags ({err}); "
                          f"pip install -r requirements/runtime.txt") from err
    store = get_typestore(Stores.ROS2_KILTED)
    own = {}
    for path in sorted((graph.share_dir() / "msg").glob("*.msg")):
        own.update(get_types_from_msg(path.read_text(), f"{graph.PACKAGE}/msg/{path.stem}"))
    store.register(own)
    return store


def bag_directory(path: str | Path) -> Path:
    """A bag directory (with metadata.yaml), also when given one of its .mcap / .db3 files."""
    path = Path(path)
    if path.is_file() and (path.parent / "metadata.yaml").is_file():
        path = path.parent
    if not (path / "metadata.yaml").is_file():
        raise SourceError(f"not a rosbag2 bag directory (no metadata.yaml): {path}")
    return path


def stamp_seconds(header) -> float:
    return header.stamp.sec + header.stamp.nanosec * 1e-9


class BagSource(Source):
    """Replay of a rosbag2 bag's camera topics; stamps: header stamps (+ loop offset)."""

    def __init__(self, path: str, *, loop: bool = False, realtime: bool = True,
                 colour_topic: str = "", depth_topic: str = ""):
        from rosbags.rosbag2 import Reader
        self._path = bag_directory(path)
        self._store = typestore()
        self._reader = Reader(self._path)
        try:
            self._reader.open()
        except Exception as err:  # rosbags raises several error types for unreadable bags
            raise SourceError(f"cannot open bag {self._path}: {err}") from err
        try:
            images = {c.topic: c for c in self._reader.connections if c.msgtype in IMAGE_TYPES}
            self.colour_topic = self._pick(images, colour_topic, COLOUR_TOPICS, depth=False)
            self.depth_topic = self._pick(images, depth_topic, DEPTH_TOPICS, depth=True)
        except SourceError:
            self._reader.close()
            raise
        self._connections = [c for c in self._reader.connections
                             if c.topic in (self.colour_topic, self.depth_topic)]
        self.has_depth = bool(self.depth_topic)
        self._loop = loop
        self._pacer = Pacer(realtime)
        self._lap, self._index = 0, 0
        self._first_stamp: float | None = None
        self._last_stamp = 0.0
        self._period = 1 / 30
        self._stream = self._frames()

    def _pick(self, images: dict, wanted: str, known: tuple[str, ...], depth: bool) -> str:
        listing = ", ".join(f"{t} ({c.msgtype})" for t, c in images.items()) or "none"
        if wanted:
            wanted = "/" + wanted.lstrip("/")
            if wanted not in images:
                raise SourceError(f"bag {self._path} has no image topic {wanted}; image topics: {listing}")
            return wanted
        for topic in known:
            if topic in images:
                return topic
        guesses = [t for t in images if ("depth" in t.lower()) == depth]
        if len(guesses) == 1:
            return guesses[0]
        if depth:
            return ""
        raise SourceError(f"bag {self._path}: cannot tell which topic is the colour camera; "
                          f"image topics: {listing}")

    def _decode(self, connection, rawdata) -> tuple[float, np.ndarray]:
        msg = self._store.deserialize_cdr(rawdata, connection.msgtype)
        depth = connection.topic == self.depth_topic
        try:
            if connection.msgtype == COMPRESSED:
                image = encodings.decode_compressed(msg.format, msg.data)
            else:
                image = encodings.to_depth_mm(msg) if depth else encodings.to_bgr8(msg)
        except ValueError as err:
            raise SourceError(f"bag {self._path}, {connection.topic}: {err}") from err
        return stamp_seconds(msg.header), image

    def _frames(self):
        """Yield (stamp, bgr, depth) in bag order, each colour image with its nearest depth."""
        pending: deque[tuple[float, np.ndarray]] = deque()
        previous = None  # (stamp, depth) of the last depth image

        def nearest(stamp, following=None):
            candidates = [d for d in (previous, following) if d is not None]
            return min(candidates, key=lambda d: abs(d[0] - stamp))[1] if candidates else None

        try:
            for connection, _, rawdata in self._reader.messages(connections=self._connections):
                stamp, image = self._decode(connection, rawdata)
                if connection.topic == self.depth_topic:
                    while pending:
                        colour_stamp, bgr = pending.popleft()
                        yield colour_stamp, bgr, nearest(colour_stamp, (stamp, image))
                    previous = (stamp, image)
                elif not self.has_depth or (previous is not None and previous[0] >= stamp):
                    yield stamp, image, nearest(stamp)
                else:
                    pending.append((stamp, image))
                    if len(pending) > MAX_PENDING:
                        colour_stamp, bgr = pending.popleft()
                        yield colour_stamp, bgr, nearest(colour_stamp)
        except SourceError:
            raise
        except Exception as err:  # a truncated or corrupt bag
            raise SourceError(f"cannot read bag {self._path}: {err}") from err
        while pending:
            colour_stamp, bgr = pending.popleft()
            yield colour_stamp, bgr, nearest(colour_stamp)

    def read(self) -> Frame | None:
        got = next(self._stream, None)
        if got is None and self._loop and self._index > 0:
            self._lap += 1
            self._stream = self._frames()
            got = next(self._stream, None)
        if got is None:
            return None
        stamp, bgr, depth = got
        if depth is not None and depth.shape != bgr.shape[:2]:
            raise SourceError(f"bag {self._path}: depth {depth.shape[::-1]} on {self.depth_topic} is "
                              f"not registered to colour {bgr.shape[1::-1]} on {self.colour_topic}")
        if self._first_stamp is None:
            self._first_stamp = stamp
        if self._lap == 0:
            if self._index > 0:
                self._period = (stamp - self._first_stamp) / self._index
            self._last_stamp = stamp
        stamp += self._lap * (self._last_stamp - self._first_stamp + self._period)
        self._pacer.wait(stamp)
        frame = Frame(np.ascontiguousarray(bgr), None if depth is None else np.ascontiguousarray(depth),
                      stamp, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._reader.close()


class BagWriter(Source):  # (only its context-manager methods)
    """Writes frames to a new rosbag2 MCAP bag: colour and (when present) depth topics."""

    def __init__(self, path: str, *, compressed: bool = False, frame_id: str = "camera_rgb_optical_frame",
                 colour_topic: str = CAMERA_TOPIC, depth_topic: str = DEPTH_TOPIC):
        from rosbags.rosbag2 import StoragePlugin, Writer
        self._store = typestore()
        self._path = Path(path)
        if self._path.exists():
            raise SourceError(f"{self._path} already exists; record into a new bag directory")
        self._writer = Writer(self._path, version=Writer.VERSION_LATEST, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._compressed, self._frame_id = compressed, frame_id
        suffix = COMPRESSED_SUFFIX if compressed else {"colour": "", "depth": ""}
        self._topics = {"colour": colour_topic + suffix["colour"], "depth": depth_topic + suffix["depth"]}
        self._connections: dict = {}
        self.count = 0

    def write(self, frame: Frame) -> None:
        """Write one frame: colour and, when it has depth, depth, with the frame's stamp."""
        header = self.header(frame.timestamp)
        stamp_ns = round(frame.timestamp * 1e9)
        for stream, array, encoding in (("colour", frame.rgb, "bgr8"), ("depth", frame.depth, "16UC1")):
            if array is None:
                continue
            if stream not in self._connections:
                self._connections[stream] = self.add_topic(self._topics[stream],
                                                           COMPRESSED if self._compressed else IMAGE)
            self.write_message(self._connections[stream], stamp_ns, self.image_message(header, array, encoding))
        self.count += 1

    def add_topic(self, topic: str, msgtype: str):
        """A new topic (connection) of `msgtype`, e.g. "sensor_msgs/msg/Image"."""
        if msgtype not in self._store.types:
            raise SourceError(f"cannot record {topic}: rosbags does not know the type {msgtype}")
        return self._writer.add_connection(topic, msgtype, typestore=self._store)

    def header(self, timestamp: float):
        types = self._store.types
        sec, nanosec = divmod(round(timestamp * 1e9), 1_000_000_000)
        return types["std_msgs/msg/Header"](stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec),
                                             frame_id=self._frame_id)

    def image_message(self, header, array: np.ndarray, encoding: str):
        """An Image (or, when compressed, CompressedImage) message of `array`."""
        types = self._store.types
        if self._compressed:
            fmt, data = encodings.encode_compressed(array, encoding)
            return types[COMPRESSED](header=header, format=fmt, data=np.frombuffer(data, np.uint8))
        array = np.ascontiguousarray(array)
        return types[IMAGE](header=header, height=array.shape[0], width=array.shape[1], encoding=encoding,
                            is_bigendian=0, step=array.strides[0],
                            data=np.frombuffer(array.astype(array.dtype.newbyteorder("<")).tobytes(), np.uint8))

    def write_message(self, connection, stamp_ns: int, msg) -> None:
        """Serialise `msg` and write it on `connection`, received at `stamp_ns`."""
        self.write_serialized(connection, stamp_ns, self._store.serialize_cdr(msg, connection.msgtype))

    def write_serialized(self, connection, stamp_ns: int, data: bytes) -> None:
        self._writer.write(connection, stamp_ns, data)

    def close(self) -> None:
        self._writer.close()
