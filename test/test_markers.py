"""Faces placed in 3D for rviz2: back-projection, and the markers node on /person_emotions."""

import math

import pytest

from emotion_ros import markers

TOPIC, NAMESPACE = "person_markers", "person_emotions"  # what the rviz config shows
K = [500.0, 0.0, 320.0, 0.0, 400.0, 240.0, 0.0, 0.0, 1.0]


def test_back_projection_of_a_face_box():
    intrinsics = markers.Intrinsics.from_k(K)
    # a 100 px box centred at (420, 140) at 2 m: 100 px right and up of the centre
    assert markers.face_position(intrinsics, 370, 90, 100, 100, 2.0) == pytest.approx((0.4, -0.5, 2.0))
    assert markers.face_position(intrinsics, 270, 190, 100, 100, 1.0) == pytest.approx((0.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="focal"):
        markers.Intrinsics.from_k([0.0] * 9)


def test_person_markers_sphere_sized_like_the_face_and_labelled():
    intrinsics = markers.Intrinsics.from_k(K)
    sphere, label = markers.person_markers(intrinsics, track_id=4, person="alice", emotion=3, share=0.75,
                                           confirmed=True, roi=(370, 90, 100, 100), distance_m=2.0)
    assert (sphere.kind, sphere.marker_id, label.kind, label.marker_id) == ("sphere", 8, "text", 9)
    assert sphere.scale == pytest.approx(100 * 2.0 / 500.0)  # 0.4 m wide
    assert sphere.rgba[:3] == markers.EMOTION_COLOURS[3] and sphere.rgba[3] > 0.5
    assert label.text == "alice: Happy 75 %"
    assert label.position[1] < sphere.position[1]  # above the face (optical y points down)


def test_faces_without_depth_are_skipped_or_put_at_the_fallback_distance():
    intrinsics = markers.Intrinsics.from_k(K)
    face = dict(track_id=1, person="unknown", emotion=6, share=0.3, confirmed=False, roi=(0, 0, 50, 50))
    assert markers.person_markers(intrinsics, distance_m=math.nan, **face) == []
    sphere, label = markers.person_markers(intrinsics, distance_m=math.nan, fallback_distance_m=1.0, **face)
    assert sphere.position[2] == 1.0 and sphere.rgba[3] < 0.5 and label.text.endswith("?")


def test_markers_node_publishes_a_marker_array_per_person(monkeypatch):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    pytest.importorskip("visualization_msgs", reason="visualization_msgs is not installed")
    from sensor_msgs.msg import CameraInfo

    from emotion_ros.msg import PersonEmotion
    from emotion_ros.nodes.markers import Markers
    from ros_helpers import Recorder

    log = Recorder()
    monkeypatch.setattr(Markers, "get_logger", lambda self: log)
    rclpy.init(args=[])
    try:
        node = Markers()
        assert node.publisher.topic_name == "/" + TOPIC
        node.publisher = log
        person = PersonEmotion(person="bob", track_id=2, emotion=5, emotion_share=0.9, confirmed=True,
                               distance_m=1.5)
        person.header.frame_id = "camera_rgb_optical_frame"
        person.roi.x_offset, person.roi.y_offset, person.roi.width, person.roi.height = 270, 190, 100, 100
        node.on_person_emotion(person)
        node.on_person_emotion(person)
        assert not log.published and len(log.warnings) == 1  # no CameraInfo yet: said once
        node.on_camera_info(CameraInfo(k=K))
        node.on_person_emotion(person)
        (array,) = log.published
        sphere, text = array.markers
        assert sphere.header.frame_id == "camera_rgb_optical_frame" and sphere.type == sphere.SPHERE
        assert sphere.ns == text.ns == NAMESPACE
        assert (sphere.pose.position.x, sphere.pose.position.y, sphere.pose.position.z) == pytest.approx((0, 0, 1.5))
        assert text.text == "bob: Surprise 90 %" and text.lifetime.nanosec == 500_000_000
        node.destroy_node()
    finally:
        rclpy.try_shutdown()


def test_the_shipped_rviz_config_shows_the_markers_node_topic_and_namespace():
    import yaml

    from emotion_ros import graph

    config = yaml.safe_load((graph.share_dir() / "rviz" / "emotion_ros.rviz").read_text())
    displays = {d["Class"]: d for d in config["Visualization Manager"]["Displays"]}
    marker_display = displays["rviz_default_plugins/MarkerArray"]
    assert marker_display["Topic"]["Value"] == "/" + TOPIC
    assert marker_display["Namespaces"] == {NAMESPACE: True}
