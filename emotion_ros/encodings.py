"""What ROS cameras publish -> the two arrays the pipeline works on (numpy + OpenCV, no rclpy).

The pipeline works on BGR colour (uint8, HxWx3) and depth in millimetres (uint16, HxW,
0 = no reading). Camera drivers and bags send other encodings (sensor_msgs
image_encodings): usb_cam rgb8 / yuv422 / mono8, realsense2_camera rgb8 and 16UC1,
openni / freenect drivers 32FC1 depth in metres, GStreamer and V4L2 cameras bgra8 / rgba8.
`to_bgr8` and `to_depth_mm` take any message-like object with the fields of
`sensor_msgs/Image` (encoding, height, width, step, is_bigendian, data) and convert it once,
at the edge; anything they cannot read raises ValueError naming the problem.

Compressed images (`sensor_msgs/CompressedImage`, the image_transport "compressed" and
"compressedDepth" formats) are handled by `encode_compressed` / `decode_compressed`.
"""

from __future__ import annotations

import struct
import sys

import cv2
import numpy as np

# encoding -> (dtype, channels per pixel as stored)
LAYOUTS: dict[str, tuple[np.dtype, int]] = {
    "bgr8": (np.dtype(np.uint8), 3),
    "rgb8": (np.dtype(np.uint8), 3),
    "bgra8": (np.dtype(np.uint8), 4),
    "rgba8": (np.dtype(np.uint8), 4),
    "mono8": (np.dtype(np.uint8), 1),
    "mono16": (np.dtype(np.uint16), 1),
    "yuv422": (np.dtype(np.uint8), 2),       # UYVY (sensor_msgs' name for it)
    "uyvy": (np.dtype(np.uint8), 2),
    "yuv422_yuy2": (np.dtype(np.uint8), 2),  # YUYV
    "yuyv": (np.dtype(np.uint8), 2),
    "16UC1": (np.dtype(np.uint16), 1),
    "32FC1": (np.dtype(np.float32), 1),
}

_TO_BGR = {
    "rgb8": cv2.COLOR_RGB2BGR,
    "bgra8": cv2.COLOR_BGRA2BGR,
    "rgba8": cv2.COLOR_RGBA2BGR,
    "mono8": cv2.COLOR_GRAY2BGR,
    "yuv422": cv2.COLOR_YUV2BGR_UYVY,
    "uyvy": cv2.COLOR_YUV2BGR_UYVY,
    "yuv422_yuy2": cv2.COLOR_YUV2BGR_YUYV,
    "yuyv": cv2.COLOR_YUV2BGR_YUYV,
}
COLOUR_ENCODINGS = ("bgr8", *_TO_BGR, "mono16")
DEPTH_ENCODINGS = ("16UC1", "32FC1")
MAX_DEPTH_MM = np.iinfo(np.uint16).max
MAX_SIDE_PX = 8192  # larger images are refused (a 4K frame, 3840 px, passes)


def pixels(msg, allowed=tuple(LAYOUTS), kind: str = "") -> np.ndarray:
    """The message's pixels as a numpy array of its own encoding (a view when possible).

    HxW for one channel, HxWxC otherwise; rows may be padded (step larger than a row);
    multi-byte values are brought to this machine's byte order. ValueError unless the
    encoding is one of `allowed` (`kind`, e.g. "depth ", names them in the message).
    """
    if msg.encoding not in allowed:
        raise ValueError(f"{kind}image encoding '{msg.encoding}' is not supported "
                         f"(supported: {', '.join(allowed)})")
    dtype, channels = LAYOUTS[msg.encoding]
    height, width, step = msg.height, msg.width, msg.step
    row_bytes = width * channels * dtype.itemsize
    data = msg.data
    if height == 0 or width == 0 or step < row_bytes or len(data) < step * (height - 1) + row_bytes:
        raise ValueError(f"{width}x{height} {msg.encoding} image needs a step of at least "
                         f"{row_bytes} and {row_bytes * height} bytes, got step {step} and "
                         f"{len(data)} bytes")
    if max(width, height) > MAX_SIDE_PX:
        raise ValueError(f"{width}x{height} image is larger than {MAX_SIDE_PX} px a side")
    if channels == 2 and width % 2:
        raise ValueError(f"{msg.encoding} image width {width} is odd: YUV 4:2:2 needs pairs")
    raw = np.frombuffer(data, np.uint8)
    if step == row_bytes:
        rows = raw[:row_bytes * height].reshape(height, row_bytes)
    else:
        rows = np.lib.stride_tricks.as_strided(raw, (height, row_bytes), (step, 1))
        rows = np.ascontiguousarray(rows)
    array = rows.view(dtype.newbyteorder(">" if msg.is_bigendian else "<"))
    if dtype.itemsize > 1 and bool(msg.is_bigendian) != (sys.byteorder == "big"):
        array = array.astype(dtype)
    return array.reshape((height, width) if channels == 1 else (height, width, channels))


def to_bgr8(msg) -> np.ndarray:
    """A colour image message of any COLOUR_ENCODINGS -> BGR uint8 HxWx3 (bgr8: a view)."""
    array = pixels(msg, COLOUR_ENCODINGS, "colour ")
    if msg.encoding == "bgr8":
        return array
    if msg.encoding == "mono16":
        return cv2.cvtColor((array >> 8).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(np.ascontiguousarray(array), _TO_BGR[msg.encoding])


def to_depth_mm(msg) -> np.ndarray:
    """A depth image message -> uint16 millimetres, 0 = no reading.

    16UC1 is millimetres already (a view); 32FC1 is metres: NaN, infinite, non-positive and
    beyond-uint16 readings become 0.
    """
    array = pixels(msg, DEPTH_ENCODINGS, "depth ")
    if msg.encoding == "16UC1":
        return array
    return metres_to_mm(array)


def metres_to_mm(metres: np.ndarray) -> np.ndarray:
    """Float depth in metres -> uint16 millimetres; invalid or out-of-range readings -> 0."""
    millimetres = np.round(metres.astype(np.float64) * 1000.0)
    valid = np.isfinite(millimetres) & (millimetres > 0) & (millimetres <= MAX_DEPTH_MM)
    return np.where(valid, millimetres, 0).astype(np.uint16)


# --- compressed images (image_transport's "compressed" and "compressedDepth" formats) ---

JPEG_FORMAT = "bgr8; jpeg compressed bgr8"
DEPTH_PNG_FORMAT = "16UC1; compressedDepth png"
# compressed_depth_image_transport prefixes the PNG with a ConfigHeader: int32 format
# (0 = inverse depth, 1 = PNG) and float32 depthParam[2]; unused for 16UC1.
_DEPTH_HEADER = struct.Struct("<iff")


def encode_compressed(array: np.ndarray, encoding: str, jpeg_quality: int = 80,
                      png_level: int = 1) -> tuple[str, bytes]:
    """bgr8 -> JPEG, 16UC1 -> PNG (lossless): (CompressedImage.format, CompressedImage.data)."""
    if encoding == "bgr8":
        ok, buffer = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        fmt, prefix = JPEG_FORMAT, b""
    elif encoding == "16UC1":
        ok, buffer = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, png_level])
        fmt, prefix = DEPTH_PNG_FORMAT, _DEPTH_HEADER.pack(1, 0.0, 0.0)
    else:
        raise ValueError(f"cannot compress a '{encoding}' image (only bgr8 and 16UC1)")
    if not ok:
        raise ValueError(f"OpenCV could not compress a {array.shape} {encoding} image")
    return fmt, prefix + buffer.tobytes()


def decode_compressed(fmt: str, data) -> np.ndarray:
    """A CompressedImage's (format, data) -> BGR uint8 or, for compressedDepth, uint16 mm."""
    raw = np.frombuffer(bytes(data), np.uint8)
    depth = "compressedDepth" in fmt
    if depth:
        if not fmt.startswith("16UC1"):
            raise ValueError(f"compressed depth format '{fmt}' is not supported (only 16UC1 png)")
        raw = raw[_DEPTH_HEADER.size:]
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if image is None:
        raise ValueError(f"cannot decode a {len(data)}-byte '{fmt}' compressed image")
    if depth:
        if image.dtype != np.uint16 or image.ndim != 2:
            raise ValueError(f"compressed depth decoded to {image.dtype} {image.shape}, expected uint16 HxW")
        return image
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image  # OpenCV decodes to BGR whatever the publisher's raw encoding was
