"""The compression relay: camera images to CompressedImage and back, across nodes."""

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from rclpy.experimental import EventsExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402

from emotion_ros.nodes import compression  # noqa: E402
from emotion_ros.conversions import array_to_image, image_to_array  # noqa: E402
from emotion_ros.pairing import stamp_key  # noqa: E402

from ros_helpers import Recorder, spin_until  # noqa: E402


@pytest.fixture
def ros():
    rclpy.init(args=[])
    nodes = []
    yield nodes
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown()


def smooth_frame():
    x = np.linspace(0, 255, 64, dtype=np.float32)
    return np.dstack([np.tile(x, (48, 1))] * 3).astype(np.uint8)


def test_camera_images_cross_compressed_and_come_back(ros):
    compress = compression.Compression()
    decompress = compression.Compression(parameter_overrides=[Parameter("mode", value="decompress")])
    camera, listener = rclpy.create_node("camera"), rclpy.create_node("listener")
    ros += [compress, decompress, camera, listener]
    got = {"colour": [], "depth": [], "wire": []}
    listener.create_subscription(Image, "camera/decompressed/image_raw", got["colour"].append, qos_profile_sensor_data)
    listener.create_subscription(Image, "camera/decompressed/depth/image_raw", got["depth"].append,
                                 qos_profile_sensor_data)
    listener.create_subscription(CompressedImage, "camera/image_raw/compressed", got["wire"].append,
                                 qos_profile_sensor_data)
    colour_pub = camera.create_publisher(Image, "camera/image_raw", qos_profile_sensor_data)
    depth_pub = camera.create_publisher(Image, "camera/depth/image_raw", qos_profile_sensor_data)
    executor = EventsExecutor()
    for node in ros:
        executor.add_node(node)
    rgb = array_to_image(smooth_frame()[..., ::-1], "rgb8")  # any camera encoding goes in
    rgb.header.stamp.sec = 42
    depth_mm = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
    depth = array_to_image(depth_mm, "16UC1", rgb.header)

    def publish_until_received():
        depth_pub.publish(depth)
        colour_pub.publish(rgb)
        return got["colour"] and got["depth"] and got["wire"]

    assert spin_until(executor, publish_until_received, 10.0)
    colour, depth_back = got["colour"][0], got["depth"][0]
    assert stamp_key(colour.header) == stamp_key(depth_back.header) == 42 * 10**9
    assert np.abs(image_to_array(colour, "bgr8").astype(int) - smooth_frame()).mean() < 3
    assert np.array_equal(image_to_array(depth_back, "16UC1"), depth_mm)
    assert got["wire"][0].format == "bgr8; jpeg compressed bgr8" and len(got["wire"][0].data) < len(rgb.data) / 4


def test_bad_compressed_data_is_logged_once(ros, monkeypatch):
    log = Recorder()
    monkeypatch.setattr(compression.Compression, "get_logger", lambda self: log)
    node = compression.Compression(parameter_overrides=[Parameter("mode", value="decompress")])
    ros.append(node)
    node.publishers_["colour"] = log
    for _ in range(3):
        node.decompress("colour", CompressedImage(format="bgr8; jpeg compressed bgr8", data=b"garbage"))
    assert len(log.errors) == 1 and "cannot decode" in log.errors[0] and not log.published
