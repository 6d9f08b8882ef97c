"""Between ROS messages and numpy (no rclpy): Image <-> array, box -> RegionOfInterest."""

import sys

import numpy as np
from sensor_msgs.msg import Image, RegionOfInterest

from emotion_ros import encodings



def image_to_array(msg: Image, expected: str) -> np.ndarray:
    """A numpy view (no copy when possible) of an Image of encoding `expected`; ValueError
    naming the problem if it has another encoding or is malformed (`encodings.pixels`)."""
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
