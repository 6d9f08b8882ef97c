"""The example behaviour node reacts to changes of a person's confirmed emotion only."""

import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from emotion_ros.msg import PersonEmotion  # noqa: E402
from emotion_ros.nodes.behaviour import Behaviour  # noqa: E402
from emotion_ros.nodes.common import bring_up_alone  # noqa: E402

from ros_helpers import Recorder  # noqa: E402


def test_behaviour_logs_when_a_confirmed_emotion_changes(monkeypatch):
    log = Recorder()
    monkeypatch.setattr(Behaviour, "get_logger", lambda self: log)
    rclpy.init()
    try:
        node = Behaviour()
        assert bring_up_alone(node)
        for label, confirmed in [("Neutral", False)] * 3 + [("Happy", True)] * 3 + [("Neutral", True)]:
            node.on_person_emotion(PersonEmotion(person="alice", emotion_label=label, confirmed=confirmed,
                                                 emotion_share=0.7, identity_confidence=0.5))
        node.on_person_emotion(PersonEmotion(person="unknown", track_id=7, emotion_label="Neutral"))
        node.destroy_node()
    finally:
        rclpy.shutdown()
    assert log.infos == ["alice is in view, no clear emotion yet", "alice looks Happy (70% of the window)",
                         "alice looks Neutral (70% of the window)", "stranger #7 is in view, no clear emotion yet"]
