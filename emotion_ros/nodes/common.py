"""What every node shares: parameter declaration, image QoS, conversions, and main()."""

import sys

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rcl_interfaces.msg import ParameterDescriptor
from sensor_msgs.msg import Image, RegionOfInterest

from emotion_ros import encodings


def declare(node: Node, name: str, default, description: str):
    """Declare one parameter with its description and return its value."""
    return node.declare_parameter(name, default, ParameterDescriptor(description=description)).value


def image_qos(reliable: bool, depth: int = 1) -> QoSProfile:
    """Camera-stream QoS: best effort keeping the newest `depth` frames, unless `reliable`."""
    if reliable:
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.BEST_EFFORT)


FACES_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=2, reliability=ReliabilityPolicy.RELIABLE)
"""FaceArray topics: reliable, but a consumer that falls behind skips to fresh frames."""


def image_to_array(msg: Image, expected: str) -> np.ndarray:
    """A numpy view (no copy) of an Image; ValueError naming the problem if it is malformed."""
    if msg.encoding != expected:
        raise ValueError(f"expected encoding {expected}, got '{msg.encoding}'")
    return encodings.pixels(msg)


def array_to_image(array: np.ndarray, encoding: str, header=None) -> Image:
    """An Image message holding a copy of `array` (HxW or HxWxC, C-contiguous)."""
    array = np.ascontiguousarray(array)
    msg = Image(height=array.shape[0], width=array.shape[1], encoding=encoding,
                is_bigendian=sys.byteorder == "big", step=array.strides[0])
    if header is not None:
        msg.header = header
    msg.data = array.tobytes()
    return msg


def roi(x: int, y: int, w: int, h: int) -> RegionOfInterest:
    return RegionOfInterest(x_offset=int(x), y_offset=int(y), width=int(w), height=int(h))


class OnceLogger:
    """Log each distinct problem once per node, so bad input never floods the log."""

    def __init__(self, node: Node):
        self._node = node
        self._seen = set()

    def error(self, key: str, message: str):
        if key not in self._seen:
            self._seen.add(key)
            self._node.get_logger().error(message)

    def warning(self, key: str, message: str):
        if key not in self._seen:
            self._seen.add(key)
            self._node.get_logger().warning(message)


def main_for(node_class, args=None):
    """Create the node and spin it until Ctrl-C, SIGTERM, or its `finished` event (end of a recording)."""
    rclpy.init(args=args)
    node = None
    try:
        node = node_class()
        finished = getattr(node, "finished", None)
        while rclpy.ok() and not (finished and finished.is_set()):
            rclpy.spin_once(node, timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


def stamp_key(header) -> int:
    """A header's stamp as integer nanoseconds, for pairing messages of one frame."""
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


class StampPairer:
    """Pairs messages of two streams (0 and 1) that carry the same stamp.

    Only the newest `keep` unpaired messages of each stream wait for a partner, and a pair
    discards everything older than itself, so a lost message never stalls the stream.
    """

    KEEP = 4

    def __init__(self, keep: int = KEEP):
        self._keep = keep
        self._waiting = ({}, {})

    def add(self, stream: int, key: int, msg):
        """Store `msg`; return (stream-0 msg, stream-1 msg) once both of stamp `key` are in, else None."""
        partner = self._waiting[1 - stream].pop(key, None)
        if partner is None:
            waiting = self._waiting[stream]
            waiting[key] = msg
            while len(waiting) > self._keep:
                waiting.pop(min(waiting))
            return None
        for waiting in self._waiting:
            for old in [k for k in waiting if k < key]:
                del waiting[old]
        return (msg, partner) if stream == 0 else (partner, msg)
