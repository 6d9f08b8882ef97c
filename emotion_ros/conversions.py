"""Between ROS messages and numpy (no rclpy): Image <-> array, box -> RegionOfInterest."""

import sys

import numpy as np
from sensor_msgs.msg import Image, RegionOfInterest

ENCODINGS = {"bgr8": (np.uint8, 3), "mono8": (np.uint8, 1), "16UC1": (np.uint16, 1)}
MAX_SIDE_PX = 8192  # larger images are refused (a 4K frame, 3840 px, passes)


def image_to_array(msg: Image, expected: str) -> np.ndarray:
    """A numpy view (no copy) of an Image; ValueError naming the problem if it is malformed."""
    if msg.encoding != expected:
        raise ValueError(f"expected encoding {expected}, got '{msg.encoding}'")
    dtype, channels = ENCODINGS[expected]
    row_bytes = msg.width * channels * np.dtype(dtype).itemsize
    if msg.height == 0 or msg.width == 0 or msg.step != row_bytes or len(msg.data) != msg.step * msg.height:
        raise ValueError(
            f"{msg.width}x{msg.height} {expected} image needs step {row_bytes} and "
            f"{row_bytes * msg.height} bytes, got step {msg.step} and {len(msg.data)} bytes"
        )
    if max(msg.width, msg.height) > MAX_SIDE_PX:
        raise ValueError(f"{msg.width}x{msg.height} image is larger than {MAX_SIDE_PX} px a side")
    array = np.frombuffer(msg.data, dtype=dtype)
    if msg.is_bigendian != (sys.byteorder == "big") and array.itemsize > 1:
        array = array.byteswap()
    shape = (msg.height, msg.width) if channels == 1 else (msg.height, msg.width, channels)
    return array.reshape(shape)


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
