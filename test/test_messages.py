"""The messages: constants in step with the model's labels, and a PersonEmotion crossing processes intact."""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from emotion_ros.labels import EMOTIONS, UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import PersonEmotion  # noqa: E402

from ros_helpers import spin_until  # noqa: E402

PUBLISHER = textwrap.dedent("""
    import math, time
    import rclpy
    from emotion_ros.msg import PersonEmotion
    from sensor_msgs.msg import RegionOfInterest

    rclpy.init()
    node = rclpy.create_node("person_emotion_publisher")
    publisher = node.create_publisher(PersonEmotion, "person_emotions", 10)
    msg = PersonEmotion(person="alice", identity_confidence=0.75, track_id=42, emotion=PersonEmotion.HAPPY,
                        emotion_label="Happy", emotion_share=0.65, confirmed=True, raw_emotion=PersonEmotion.SURPRISE,
                        raw_scores=[0.01, 0.02, 0.03, 0.3, 0.04, 0.5, 0.1], distance_m=math.nan,
                        roi=RegionOfInterest(x_offset=10, y_offset=20, width=30, height=40, do_rectify=True),
                        window_fill=13, window_length=20)
    msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id = 1234, 5678, "camera_rgb_optical_frame"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        publisher.publish(msg)
        time.sleep(0.05)
""")


def test_emotion_constants_follow_the_model_label_order():
    assert [getattr(PersonEmotion, label.upper()) for label in EMOTIONS] == list(range(len(EMOTIONS)))
    assert PersonEmotion.UNKNOWN_PERSON == UNKNOWN_PERSON


def test_person_emotion_crosses_processes_intact():
    publisher = subprocess.Popen([sys.executable, "-c", PUBLISHER])
    rclpy.init()
    try:
        node = rclpy.create_node("person_emotion_listener")
        received = []
        node.create_subscription(PersonEmotion, "person_emotions", received.append, 10)
        executor = rclpy.executors.SingleThreadedExecutor()
        executor.add_node(node)
        assert spin_until(executor, lambda: received, 15.0), "no PersonEmotion arrived from the other process"
    finally:
        publisher.kill()
        publisher.wait()
        rclpy.shutdown()

    msg = received[0]
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id) == (1234, 5678, "camera_rgb_optical_frame")
    assert (msg.person, msg.track_id, msg.emotion_label, msg.confirmed) == ("alice", 42, "Happy", True)
    assert (msg.emotion, msg.raw_emotion) == (PersonEmotion.HAPPY, PersonEmotion.SURPRISE)
    assert msg.identity_confidence == pytest.approx(0.75) and msg.emotion_share == pytest.approx(0.65)
    assert isinstance(msg.raw_scores, np.ndarray) and msg.raw_scores.dtype == np.float32
    np.testing.assert_allclose(msg.raw_scores, [0.01, 0.02, 0.03, 0.3, 0.04, 0.5, 0.1], rtol=1e-6)
    assert math.isnan(msg.distance_m)
    assert (msg.roi.x_offset, msg.roi.y_offset, msg.roi.width, msg.roi.height, msg.roi.do_rectify) == (10, 20, 30, 40, True)
    assert (msg.window_fill, msg.window_length) == (13, 20)
