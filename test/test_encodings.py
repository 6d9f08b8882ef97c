"""Camera encodings real drivers send, converted once at the edge to bgr8 and millimetres."""

import struct
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from emotion_ros import encodings

H, W = 6, 8


def message(array, encoding, pad=0, bigendian=False):
    """A sensor_msgs/Image-like object holding `array` with `pad` bytes after every row."""
    array = np.ascontiguousarray(array)
    if bigendian:
        array = array.astype(array.dtype.newbyteorder(">"))
    rows = array.reshape(array.shape[0], -1).view(np.uint8)
    padded = np.zeros((rows.shape[0], rows.shape[1] + pad), np.uint8)
    padded[:, :rows.shape[1]] = rows
    return SimpleNamespace(encoding=encoding, height=array.shape[0], width=array.shape[1],
                           step=padded.shape[1], is_bigendian=bigendian, data=padded.tobytes())


def colour_blocks():
    """BGR test image: colour constant over horizontal pixel pairs (so 4:2:2 loses nothing)."""
    rng = np.random.default_rng(3)
    half = rng.integers(0, 256, (H, W // 2, 3), dtype=np.uint8)
    return np.repeat(half, 2, axis=1)


@pytest.mark.parametrize("encoding, make", [
    ("bgr8", lambda bgr: bgr),
    ("rgb8", lambda bgr: bgr[..., ::-1]),
    ("bgra8", lambda bgr: np.dstack([bgr, np.full(bgr.shape[:2], 7, np.uint8)])),
    ("rgba8", lambda bgr: np.dstack([bgr[..., ::-1], np.full(bgr.shape[:2], 7, np.uint8)])),
])
@pytest.mark.parametrize("pad", [0, 5])
def test_rgb_family_is_exact(encoding, make, pad):
    bgr = colour_blocks()
    got = encodings.to_bgr8(message(make(bgr), encoding, pad=pad))
    assert got.dtype == np.uint8 and got.shape == (H, W, 3)
    assert np.array_equal(got, bgr)


def test_mono8_and_mono16_become_grey_bgr():
    grey = np.arange(H * W, dtype=np.uint8).reshape(H, W) * 3
    assert np.array_equal(encodings.to_bgr8(message(grey, "mono8")), np.dstack([grey] * 3))
    wide = grey.astype(np.uint16) << 8 | 0xFF
    assert np.array_equal(encodings.to_bgr8(message(wide, "mono16", bigendian=True)), np.dstack([grey] * 3))


# BT.601 video-range Y, U, V of a few colours and their BGR
YUV_COLOURS = [((235, 128, 128), (255, 255, 255)), ((16, 128, 128), (0, 0, 0)),
               ((81, 90, 240), (0, 0, 255)), ((145, 54, 34), (0, 255, 0)), ((41, 240, 110), (255, 0, 0))]


def packed_yuv422(order):
    """One row per colour, two pixels each: bytes in `order` ("YUYV" or "UYVY")."""
    rows = []
    for (y, u, v), _ in YUV_COLOURS:
        values = {"Y": y, "U": u, "V": v}
        rows.append([values[c] for c in order] * 2)  # 4 pixels: two identical pairs
    return np.array(rows, np.uint8).reshape(len(YUV_COLOURS), 4, 2)


@pytest.mark.parametrize("encoding, order", [("yuv422_yuy2", "YUYV"), ("yuyv", "YUYV"),
                                             ("yuv422", "UYVY"), ("uyvy", "UYVY")])
def test_yuv422_both_byte_orders(encoding, order):
    got = encodings.to_bgr8(message(packed_yuv422(order), encoding))
    assert got.shape == (len(YUV_COLOURS), 4, 3)
    for row, (_, bgr) in zip(got, YUV_COLOURS):
        assert np.abs(row.astype(int) - bgr).max() <= 6, (encoding, row[0], bgr)


def test_yuv422_in_the_wrong_order_gives_other_colours():
    got = encodings.to_bgr8(message(packed_yuv422("UYVY"), "yuv422_yuy2"))
    assert np.abs(got[2, 0].astype(int) - (0, 0, 255)).max() > 40  # red is not red any more


def test_depth_16uc1_millimetres_both_byte_orders():
    depth = np.arange(H * W, dtype=np.uint16).reshape(H, W) * 500
    for bigendian in (False, True):
        got = encodings.to_depth_mm(message(depth, "16UC1", bigendian=bigendian, pad=2))
        assert got.dtype == np.uint16 and np.array_equal(got, depth)


def test_depth_32fc1_metres_to_millimetres_with_invalid_readings_zero():
    metres = np.array([[1.5, 0.4004, np.nan, np.inf],
                       [0.0, -1.0, 70.0, 2.0001]], np.float32)
    got = encodings.to_depth_mm(message(metres, "32FC1"))
    assert got.dtype == np.uint16
    assert got.tolist() == [[1500, 400, 0, 0], [0, 0, 0, 2000]]
    assert np.array_equal(encodings.to_depth_mm(message(metres, "32FC1", bigendian=True)), got)


@pytest.mark.parametrize("mutate, words", [
    (lambda m: setattr(m, "encoding", "rgb16"), "'rgb16' is not supported"),
    (lambda m: setattr(m, "data", m.data[:20]), "bytes"),
    (lambda m: setattr(m, "step", 3), "step"),
    (lambda m: setattr(m, "height", 0), "needs"),
])
def test_bad_colour_images_raise_a_clear_value_error(mutate, words):
    msg = message(colour_blocks(), "bgr8")
    mutate(msg)
    with pytest.raises(ValueError, match=words):
        encodings.to_bgr8(msg)


def test_odd_width_yuv_and_colour_as_depth_are_refused():
    with pytest.raises(ValueError, match="odd"):
        encodings.to_bgr8(message(np.zeros((2, 3, 2), np.uint8), "yuv422"))
    with pytest.raises(ValueError, match="depth image encoding 'bgr8'"):
        encodings.to_depth_mm(message(colour_blocks(), "bgr8"))
    with pytest.raises(ValueError, match="colour image encoding '32FC1'"):
        encodings.to_bgr8(message(np.zeros((H, W), np.float32), "32FC1"))


def test_compressed_round_trips():
    rng = np.random.default_rng(0)
    bgr = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), (7, 7), 2)
    fmt, data = encodings.encode_compressed(bgr, "bgr8", jpeg_quality=95)
    assert fmt == "bgr8; jpeg compressed bgr8" and data[:2] == b"\xff\xd8"
    assert np.abs(encodings.decode_compressed(fmt, data).astype(int) - bgr).mean() < 3
    depth = rng.integers(0, 10001, (48, 64), dtype=np.uint16)
    fmt, data = encodings.encode_compressed(depth, "16UC1")
    assert fmt == "16UC1; compressedDepth png"
    assert struct.unpack("<i", data[:4]) == (1,) and data[12:16] == b"\x89PNG"
    assert np.array_equal(encodings.decode_compressed(fmt, data), depth)  # lossless


def test_bad_compressed_data_raises():
    with pytest.raises(ValueError, match="cannot decode"):
        encodings.decode_compressed("bgr8; jpeg compressed bgr8", b"not a jpeg")
    with pytest.raises(ValueError, match="only bgr8 and 16UC1"):
        encodings.encode_compressed(np.zeros((2, 2), np.float32), "32FC1")


# --- the face detector node fed each encoding: the same faces as from bgr8 ---

COLOUR_CASES = {
    "bgr8": lambda bgr: bgr,
    "rgb8": lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
    "bgra8": lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA),
    "rgba8": lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA),
    "mono8": lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
    "yuv422_yuy2": lambda bgr: yuv422(bgr, "YUYV"),
    "yuv422": lambda bgr: yuv422(bgr, "UYVY"),
}


def yuv422(bgr, order):
    """Pack a BGR frame as 4:2:2 (video-range BT.601, chroma averaged over pixel pairs)."""
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    u = (u[:, 0::2] + u[:, 1::2]) / 2
    v = (v[:, 0::2] + v[:, 1::2]) / 2
    planes = {"Y0": y[:, 0::2], "Y1": y[:, 1::2], "U": u, "V": v}
    names = ["Y0", "U", "Y1", "V"] if order == "YUYV" else ["U", "Y0", "V", "Y1"]
    packed = np.stack([planes[n] for n in names], axis=-1)  # H x W/2 x 4
    return np.clip(np.round(packed), 0, 255).astype(np.uint8).reshape(bgr.shape[0], bgr.shape[1], 2)


@pytest.fixture(scope="module")
def sample_frame():
    from emotion_ros import capture, resources
    with capture.open_source("fakenect", path=str(resources.sample_recording()), realtime=False) as source:
        return source.read()


def test_detector_finds_the_same_faces_in_every_encoding(sample_frame):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    from emotion_ros import graph
    from emotion_ros.conversions import array_to_image
    from emotion_ros.nodes.common import bring_up_alone
    from emotion_ros.pairing import DEPTH, RGB
    from ros_helpers import Recorder

    rclpy.init(args=[])
    node = None
    try:
        node = graph.node_class("face_detector")()
        log = Recorder()
        node.get_logger = lambda: log
        assert bring_up_alone(node)
        node.faces_pub, node.annotated_pub = log, log
        metres = np.where(sample_frame.depth > 0, sample_frame.depth / 1000.0, np.nan).astype(np.float32)
        boxes = {}
        for stamp, (name, make) in enumerate(COLOUR_CASES.items()):
            for depth_name, depth in (("16UC1", sample_frame.depth), ("32FC1", metres)):
                header = array_to_image(sample_frame.rgb, "bgr8").header
                header.stamp.sec = 2 * stamp + (depth_name == "32FC1")
                node.on_image(DEPTH, array_to_image(depth, depth_name, header))
                node.on_image(RGB, array_to_image(make(sample_frame.rgb), name, header))
                faces = log.published[-1].faces
                boxes[name, depth_name] = sorted((f.roi.x_offset, f.roi.y_offset, round(f.distance_m, 2))
                                                 for f in faces)
        assert not log.errors
        reference = boxes["bgr8", "16UC1"]
        assert len(reference) == 3  # the sample's three real faces; decoys gated out by depth
        for key, found in boxes.items():
            assert len(found) == len(reference), key
            for got, want in zip(found, reference):
                assert abs(got[0] - want[0]) <= 8 and abs(got[1] - want[1]) <= 8, key  # grey moves boxes a little
                assert got[2] == pytest.approx(want[2], abs=0.02), key
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
