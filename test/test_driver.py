"""The driver node: frames published as paired RGB/depth/CameraInfo, a source that fails
mid-stream is reported and retried while the node stays up, a source that never gives a frame
ends the driver with an error, and a missing file refuses the configure transition."""

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from rclpy.experimental import EventsExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image  # noqa: E402

from emotion_ros import capture, graph  # noqa: E402
from emotion_ros.conversions import image_to_array  # noqa: E402
from emotion_ros.pairing import stamp_key  # noqa: E402

from emotion_ros.nodes.common import bring_up_alone  # noqa: E402

from ros_helpers import Recorder, spin_until  # noqa: E402

FRAMES = 6


def write_recording(path):
    with capture.FakenectWriter(str(path)) as writer:
        for index in range(FRAMES):
            rgb = np.full((48, 64, 3), 10 * index, np.uint8)
            depth = np.full((48, 64), 1000 + index, np.uint16)
            writer.write(capture.Frame(rgb, depth, 50.0 + index / 30.0, index))


@pytest.fixture
def driver_run(tmp_path):
    """Start a driver on a recording; return (node, received messages by topic, spin)."""
    started = []

    def start(path, **overrides):
        parameters = graph.node_parameters(source="fakenect", path=str(path))
        parameters["driver"].update(realtime=False, image_qos_reliable=True, max_rate_hz=100.0, **overrides)
        params_file = graph.write_parameters(parameters, tmp_path / "parameters.yaml")
        rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
        listener = rclpy.create_node("listener")
        received = {"rgb": [], "depth": [], "info": []}
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        listener.create_subscription(Image, "camera/image_raw", received["rgb"].append, qos)
        listener.create_subscription(Image, "camera/depth/image_raw", received["depth"].append, qos)
        listener.create_subscription(CameraInfo, "camera/camera_info", received["info"].append, qos)
        executor = EventsExecutor()
        executor.add_node(listener)
        driver = graph.node_class("driver")()
        executor.add_node(driver)
        assert bring_up_alone(driver)
        started.extend([driver, listener])
        return driver, received, lambda condition, timeout: spin_until(executor, condition, timeout)

    yield start
    for node in started:
        node.destroy_node()
    rclpy.try_shutdown()


def test_driver_publishes_paired_frames_until_the_recording_ends(tmp_path, driver_run):
    write_recording(tmp_path / "rec")
    driver, received, spin = driver_run(tmp_path / "rec")
    assert spin(driver.finished.is_set, 10.0)
    spin(lambda: False, 0.3)
    assert len(received["rgb"]) == len(received["depth"]) == len(received["info"]) == FRAMES
    for index, (rgb, depth, info) in enumerate(zip(received["rgb"], received["depth"], received["info"])):
        assert stamp_key(rgb.header) == stamp_key(depth.header) == stamp_key(info.header)
        assert rgb.header.frame_id == depth.header.frame_id == info.header.frame_id
        assert image_to_array(rgb, "bgr8")[0, 0, 0] == 10 * index
        assert image_to_array(depth, "16UC1")[0, 0] == 1000 + index
        assert (info.width, info.height) == (64, 48) and info.k[0] == pytest.approx(525.0 * 64 / 640)


def test_driver_survives_a_recording_that_breaks_mid_stream(tmp_path, driver_run, monkeypatch):
    write_recording(tmp_path / "rec")
    broken = sorted((tmp_path / "rec").glob("r-*.ppm"))[3]
    broken.write_bytes(broken.read_bytes()[:40])
    log = Recorder()
    monkeypatch.setattr(graph.node_class("driver"), "get_logger", lambda self: log)
    driver, received, spin = driver_run(tmp_path / "rec", loop=True)
    assert spin(lambda: len(received["rgb"]) >= 8, 10.0), "the driver stopped publishing after the failure"
    assert not driver.finished.is_set()
    reports = [message for message in log.warnings if broken.name in message]
    assert reports, log.warnings
    assert len(reports) <= len(received["rgb"]) // 3 + 1, "an outage was reported more than once"


def test_a_missing_recording_refuses_to_configure(tmp_path, driver_run, monkeypatch):
    log = Recorder()
    monkeypatch.setattr(graph.node_class("driver"), "get_logger", lambda self: log)
    with pytest.raises(AssertionError):
        driver_run(tmp_path / "no_such_recording")
    assert any("no_such_recording" in e and "does not exist" in e for e in log.errors), log.errors


def test_a_source_that_never_opens_ends_the_driver_with_an_error(tmp_path, driver_run, monkeypatch):
    write_recording(tmp_path / "rec")
    (tmp_path / "rec" / "INDEX.txt").write_text("not-a-dump-name\n")
    log = Recorder()
    monkeypatch.setattr(graph.node_class("driver"), "get_logger", lambda self: log)
    driver, received, spin = driver_run(tmp_path / "rec", give_up_after_s=0.5)
    assert spin(driver.finished.is_set, 10.0), "the driver retried forever"
    assert driver.exit_code == 1 and not received["rgb"]
    assert any("gave up" in e and "not a fakenect dump name" in e for e in log.errors), log.errors


def test_driver_replays_a_bag_as_source_bag(tmp_path, driver_run):
    pytest.importorskip("rosbags", reason="PyPI rosbags is not installed")
    from emotion_ros.capture.bag import BagWriter

    write_recording(tmp_path / "rec")
    with capture.open_source("fakenect", path=str(tmp_path / "rec"), realtime=False) as source, \
            BagWriter(str(tmp_path / "bag")) as writer:
        while (frame := source.read()) is not None:
            writer.write(frame)
    driver, received, spin = driver_run(tmp_path / "bag", source="bag")
    assert spin(driver.finished.is_set, 10.0)
    spin(lambda: False, 0.3)
    assert len(received["rgb"]) == len(received["depth"]) == FRAMES
    for index, (rgb, depth) in enumerate(zip(received["rgb"], received["depth"])):
        assert image_to_array(rgb, "bgr8")[0, 0, 0] == 10 * index
        assert image_to_array(depth, "16UC1")[0, 0] == 1000 + index
