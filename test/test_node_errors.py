"""Bad input to the nodes: a clear error, logged once, and the node goes on working."""

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from emotion_ros import graph, run  # noqa: E402
from emotion_ros.labels import EMOTIONS, UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import Face, FaceArray  # noqa: E402
from emotion_ros.nodes.common import array_to_image  # noqa: E402
from emotion_ros.nodes.face_detector import DEPTH, RGB  # noqa: E402

from onnx_fixtures import make_brightness_model  # noqa: E402
from ros_helpers import Recorder  # noqa: E402


@pytest.fixture
def make_node(tmp_path, monkeypatch):
    """Create a node with the package's YAML plus `overrides`, its logger and publishers recorded."""
    created = []

    def make(name, **overrides):
        parameters = graph.node_parameters()
        parameters[name].update(overrides)
        params_file = graph.write_parameters(parameters, tmp_path / f"{name}.yaml")
        rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
        recorder = Recorder()
        node_class = run.node_class(name)
        monkeypatch.setattr(node_class, "get_logger", lambda self: recorder)
        node = node_class()
        created.append(node)
        for attribute in ("publisher", "faces_pub", "annotated_pub"):
            if hasattr(node, attribute):
                setattr(node, attribute, recorder)
        return node, recorder

    yield make
    for node in created:
        node.destroy_node()
    rclpy.try_shutdown()


def face_array(*crops) -> FaceArray:
    return FaceArray(faces=[Face(track_id=i + 1, crop=crop) for i, crop in enumerate(crops)])


def test_detector_logs_a_bad_image_once_and_goes_on(make_node):
    node, log = make_node("face_detector", use_depth=False)
    wrong_encoding = array_to_image(np.zeros((48, 64, 3), np.uint8), "rgb16")
    truncated = array_to_image(np.zeros((48, 64, 3), np.uint8), "bgr8")
    truncated.data = truncated.data[:100]
    for _ in range(3):
        node.on_image(RGB, wrong_encoding)
        node.on_image(RGB, truncated)
    assert len(log.errors) == 2 and not log.published
    assert "'rgb16' is not supported" in log.errors[0] and "rgb8" in log.errors[0]
    assert "bytes" in log.errors[1]
    node.on_image(RGB, array_to_image(np.zeros((48, 64, 3), np.uint8), "bgr8"))
    assert len(log.published) == 1 and log.published[0].faces == []


def test_detector_rejects_depth_that_is_not_registered_to_rgb(make_node):
    node, log = make_node("face_detector", use_depth=True)
    rgb = array_to_image(np.zeros((48, 64, 3), np.uint8), "bgr8")
    depth = array_to_image(np.zeros((24, 32), np.uint16), "16UC1")
    node.on_image(DEPTH, depth)
    node.on_image(RGB, rgb)
    assert not log.published and "not registered" in log.errors[0]


def test_identity_without_a_model_names_everyone_unknown(make_node, tmp_path):
    missing = tmp_path / "no_such_model.yml"
    node, log = make_node("identity", model_path=str(missing))
    assert str(missing) in log.errors[0]
    node.on_faces(face_array(array_to_image(np.zeros((96, 96), np.uint8), "mono8")))
    assert [face.identity for face in log.published[0].faces] == [UNKNOWN_PERSON]


def test_emotion_without_a_model_passes_faces_on_unscored(make_node, tmp_path):
    missing = tmp_path / "no_such_model.onnx"
    node, log = make_node("emotion", model_path=str(missing))
    assert str(missing) in log.errors[0]
    node.on_faces(face_array(array_to_image(np.zeros((96, 96), np.uint8), "mono8")))
    assert len(log.published) == 1 and len(log.published[0].faces[0].emotion_scores) == 0


def test_emotion_handles_empty_frames_and_bad_crops(make_node, tmp_path):
    node, log = make_node("emotion", model_path=str(make_brightness_model(tmp_path / "model.onnx")))
    node.on_faces(FaceArray())
    assert log.published[-1].faces == [] and not log.errors
    bad = face_array(array_to_image(np.zeros((96, 96, 3), np.uint8), "bgr8"))
    node.on_faces(bad)
    node.on_faces(bad)
    assert len(log.errors) == 1 and "mono8" in log.errors[0]
    node.on_faces(face_array(array_to_image(np.full((96, 96), 128, np.uint8), "mono8")))
    assert len(log.published[-1].faces[0].emotion_scores) == len(EMOTIONS)


def test_aggregator_skips_unscored_faces_with_one_warning(make_node):
    node, log = make_node("aggregator")
    node.on_faces(face_array(array_to_image(np.zeros((8, 8), np.uint8), "mono8")))
    node.on_faces(face_array(array_to_image(np.zeros((8, 8), np.uint8), "mono8")))
    node.on_faces(FaceArray())
    assert not log.published and len(log.warnings) == 1
