"""rosbag2 bags: written by the recorder, replayed as `source: bag` with the same frames."""

import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("rosbags", reason="PyPI rosbags is not installed (pip install -r requirements/runtime.txt)")
from emotion_ros.capture import bag  # noqa: E402
from emotion_ros.capture import SourceError, open_source  # noqa: E402
from emotion_ros.tools import record  # noqa: E402

from frame_helpers import make_frames, read_all, write_all  # noqa: E402

H, W = 48, 64


def write_bag(path, frames, **options):
    write_all(bag.BagWriter(str(path), **options), frames)
    return path


def test_raw_bag_round_trip_is_exact(tmp_path):
    written = make_frames(5)
    write_bag(tmp_path / "bag", written)
    assert list((tmp_path / "bag").glob("*.mcap"))
    with open_source("bag", path=str(tmp_path / "bag"), realtime=False) as source:
        assert source.has_depth
        assert (source.colour_topic, source.depth_topic) == (bag.CAMERA_TOPIC, bag.DEPTH_TOPIC)
        read = read_all(source)
    assert [f.index for f in read] == list(range(5))
    for got, want in zip(read, written):
        assert np.array_equal(got.rgb, want.rgb) and np.array_equal(got.depth, want.depth)
        assert got.timestamp == pytest.approx(want.timestamp, abs=1e-6)


def test_compressed_bag_replays_jpeg_colour_and_exact_depth(tmp_path):
    written = make_frames(3)
    for frame in written:  # smooth colour so JPEG stays close
        frame.rgb[:] = np.arange(W, dtype=np.uint8)[None, :, None] * 3
    write_bag(tmp_path / "bag", written, compressed=True)
    with open_source("bag", path=str(next((tmp_path / "bag").glob("*.mcap"))), realtime=False) as source:
        assert source.colour_topic.endswith("/compressed") and source.depth_topic.endswith("/compressedDepth")
        read = read_all(source)
    assert len(read) == 3
    for got, want in zip(read, written):
        assert np.abs(got.rgb.astype(int) - want.rgb).mean() < 2
        assert np.array_equal(got.depth, want.depth)


def test_colour_is_paired_with_the_nearest_depth_in_time(tmp_path):
    """A camera whose depth runs 10 ms behind colour, written as two streams."""
    colour = make_frames(4, period=0.1, depth=False)
    with bag.BagWriter(str(tmp_path / "bag")) as writer:
        for frame in colour:
            writer.write(frame)
        depth = writer.add_topic(bag.DEPTH_TOPIC, bag.IMAGE)
        for i in range(4):
            stamp = 100.0 + i * 0.1 + 0.01
            msg = writer.image_message(writer.header(stamp), np.full((H, W), 1000 + i, np.uint16), "16UC1")
            writer.write_message(depth, round(stamp * 1e9), msg)
    with open_source("bag", path=str(tmp_path / "bag"), realtime=False) as source:
        read = read_all(source)
    assert [int(f.depth[0, 0]) for f in read] == [1000, 1001, 1002, 1003]


def test_loop_continues_the_timestamps(tmp_path):
    write_bag(tmp_path / "bag", make_frames(3, period=0.1, depth=False))
    with open_source("bag", path=str(tmp_path / "bag"), loop=True, realtime=False) as source:
        assert not source.has_depth
        stamps = [f.timestamp for f in read_all(source, limit=7)]
    assert np.allclose(np.diff(stamps), 0.1) and len(stamps) == 7


def test_bags_that_cannot_be_replayed_raise_source_error(tmp_path):
    with pytest.raises(SourceError, match="no metadata.yaml"):
        open_source("bag", path=str(tmp_path))
    write_bag(tmp_path / "bag", make_frames(1))
    with pytest.raises(SourceError, match="no image topic /nope.*image topics: /camera/image_raw"):
        bag.BagSource(str(tmp_path / "bag"), colour_topic="/nope")
    with pytest.raises(SourceError, match="already exists"):
        bag.BagWriter(str(tmp_path / "bag"))


def test_record_tool_writes_the_bundled_sample_as_a_bag(tmp_path):
    out = tmp_path / "sample_bag"
    assert record.main(["--source", "fakenect", "--format", "bag", "--frames", "4", "--out", str(out)]) == 0
    with open_source("bag", path=str(out), realtime=False) as source, \
            open_source("fakenect", path=str(record.resources.sample_recording()), realtime=False) as sample:
        for _ in range(4):
            got, want = source.read(), sample.read()
            assert np.array_equal(got.rgb, want.rgb) and np.array_equal(got.depth, want.depth)
        assert source.read() is None


def test_record_bag_records_live_camera_topics_that_then_replay(tmp_path):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    from emotion_ros.conversions import array_to_image

    out = tmp_path / "live"
    recorder = subprocess.Popen([sys.executable, "-m", "emotion_ros.tools.record_bag", "--out", str(out),
                                 "--topics", bag.CAMERA_TOPIC, bag.DEPTH_TOPIC, "--messages", "6", "--wait", "20"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rclpy.init(args=[])
    node = rclpy.create_node("fake_camera")
    try:
        colour = node.create_publisher(Image, bag.CAMERA_TOPIC, qos_profile_sensor_data)
        depth = node.create_publisher(Image, bag.DEPTH_TOPIC, qos_profile_sensor_data)
        deadline, index = time.monotonic() + 40, 0
        while recorder.poll() is None and time.monotonic() < deadline:
            rgb = array_to_image(np.full((H, W, 3), index % 250, np.uint8), "rgb8")
            rgb.header.stamp.sec, rgb.header.stamp.nanosec = 100 + index // 20, (index % 20) * 50_000_000
            depth.publish(array_to_image(np.full((H, W), 1000 + index, np.float32) / 1000.0, "32FC1", rgb.header))
            colour.publish(rgb)
            index += 1
            time.sleep(0.05)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        if recorder.poll() is None:
            recorder.kill()
    stdout, stderr = recorder.communicate()
    assert recorder.returncode == 0, stderr
    assert f"{bag.CAMERA_TOPIC}: 6" in stdout
    with open_source("bag", path=str(out), realtime=False) as source:
        frames = read_all(source)
    assert len(frames) == 6
    for frame in frames:  # rgb8 and 32FC1 metres converted; each colour paired with its own depth
        assert int(frame.depth[0, 0]) - 1000 == int(frame.rgb[0, 0, 0])


def test_record_bag_says_why_and_fails_when_no_topic_appears(tmp_path):
    pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    result = subprocess.run([sys.executable, "-m", "emotion_ros.tools.record_bag", "--out", str(tmp_path / "b"),
                             "--topics", "/nobody/publishes/this", "--wait", "1"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "/nobody/publishes/this appeared within 1 s" in result.stderr
    assert not (tmp_path / "b").exists()
