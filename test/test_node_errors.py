"""Bad input to the nodes: a clear error, logged once, counted, and the node goes on working;
a node that cannot work (missing or corrupt model, bad parameter) refuses to configure."""

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from lifecycle_msgs.msg import Transition  # noqa: E402
from rclpy.lifecycle import TransitionCallbackReturn  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402

from emotion_ros import graph  # noqa: E402
from emotion_ros.conversions import array_to_image  # noqa: E402
from emotion_ros.labels import EMOTIONS, UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import Face, FaceArray  # noqa: E402
from emotion_ros.pairing import DEPTH, RGB  # noqa: E402

from onnx_fixtures import make_brightness_model  # noqa: E402
from ros_helpers import Recorder  # noqa: E402

assert Transition  # the transitions below are the lifecycle_msgs ones, triggered in place


@pytest.fixture
def make_node(tmp_path, monkeypatch):
    """Create a node with the package's YAML plus `overrides`, configure and activate it, its
    logger and publishers recorded; `configured` False when configure failed."""
    created = []

    def make(name, **overrides):
        parameters = graph.node_parameters()
        parameters[name].update(overrides)
        params_file = graph.write_parameters(parameters, tmp_path / f"{name}.yaml")
        rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
        recorder = Recorder()
        node_class = graph.node_class(name)
        monkeypatch.setattr(node_class, "get_logger", lambda self: recorder)
        node = node_class()
        created.append(node)
        if node.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
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


def bgr(height=48, width=64):
    return array_to_image(np.zeros((height, width, 3), np.uint8), "bgr8")


def bad_images():
    wrong_encoding = array_to_image(np.zeros((48, 64, 3), np.uint8), "rgb16")
    truncated = bgr()
    truncated.data = truncated.data[:100]
    wrong_step = bgr()
    wrong_step.step = 100
    empty = bgr()
    empty.height = empty.width = 0
    empty.data = b""
    depth_on_colour = array_to_image(np.zeros((48, 64), np.uint16), "16UC1")
    return [wrong_encoding, truncated, wrong_step, empty, depth_on_colour]


def test_detector_logs_bad_images_once_counts_them_and_goes_on(make_node):
    node, log = make_node("face_detector", use_depth=False)
    for _ in range(3):
        for image in bad_images():
            node.on_image(RGB, image)
    assert len(log.errors) == 1 and not log.published
    assert "'rgb16' is not supported" in log.errors[0] and "bgr8" in log.errors[0]
    assert node.stats.problems == 15 and "'16UC1'" in node.stats.last_problem
    status = node.diagnostic_status()
    assert status.level == status.WARN and {v.key: v.value for v in status.values}["bad_input"] == "15"
    node.on_image(RGB, bgr())
    assert len(log.published) == 1 and log.published[0].faces == []


def test_detector_takes_a_4k_frame(make_node):
    node, log = make_node("face_detector", use_depth=False)
    node.on_image(RGB, bgr(2160, 3840))
    assert len(log.published) == 1 and not log.errors


def test_detector_rejects_depth_that_is_not_registered_to_rgb(make_node):
    node, log = make_node("face_detector", use_depth=True)
    rgb = bgr()
    depth = array_to_image(np.zeros((24, 32), np.uint16), "16UC1")
    node.on_image(DEPTH, depth)
    node.on_image(RGB, rgb)
    assert not log.published and "not registered" in log.errors[0]


def test_detector_without_depth_passes_frames_and_warns_once(make_node):
    """A webcam, or a recording without depth, with use_depth true: frames wait for depth only
    briefly, then pass without gating; one warning."""
    node, log = make_node("face_detector", use_depth=True)
    clock = iter(np.arange(0.0, 100.0, 0.1))
    node.now_s = lambda: float(next(clock))
    for _ in range(20):
        node.on_image(RGB, bgr())
    assert len(log.published) >= 14, "the detector stalled waiting for depth"
    assert len(log.warnings) == 1 and "no depth" in log.warnings[0]


def test_detector_with_depth_waits_for_it(make_node):
    node, log = make_node("face_detector", use_depth=True)
    rgb = bgr()
    rgb.header.stamp.sec = 7
    depth = array_to_image(np.full((48, 64), 1000, np.uint16), "16UC1", rgb.header)
    node.on_image(RGB, rgb)
    assert not log.published
    node.on_image(DEPTH, depth)
    assert len(log.published) == 1 and not log.warnings


def test_identity_without_a_default_model_names_everyone_unknown(make_node, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    node, log = make_node("identity")
    assert node.configured and "every face" in log.warnings[0]
    node.on_faces(face_array(array_to_image(np.zeros((96, 96), np.uint8), "mono8")))
    assert [face.identity for face in log.published[0].faces] == [UNKNOWN_PERSON]


@pytest.mark.parametrize("corrupt", [False, True])
def test_identity_refuses_to_configure_with_a_missing_or_corrupt_model(make_node, tmp_path, corrupt):
    model = tmp_path / "lbph_model.yml"
    if corrupt:
        model.write_text("not a model")
        model.with_suffix(".json").write_text('{"names": ["alice"], "threshold": 10, "crop_size": 100}')
    node, log = make_node("identity", model_path=str(model))
    assert not node.configured and node.exit_code == 1
    assert len(log.errors) == 1 and str(model) in log.errors[0] and "cannot configure" in log.errors[0]


@pytest.mark.parametrize("content", [None, b"not an onnx model"])
def test_emotion_refuses_to_configure_with_a_missing_or_corrupt_model(make_node, tmp_path, content):
    model = tmp_path / "model.onnx"
    if content is not None:
        model.write_bytes(content)
    node, log = make_node("emotion", model_path=str(model))
    assert not node.configured and len(log.errors) == 1 and str(model) in log.errors[0]


def test_emotion_handles_empty_frames_and_bad_crops(make_node, tmp_path):
    node, log = make_node("emotion", model_path=str(make_brightness_model(tmp_path / "model.onnx")))
    node.on_faces(FaceArray())
    assert log.published[-1].faces == [] and not log.errors
    bad = face_array(array_to_image(np.zeros((96, 96, 3), np.uint8), "bgr8"))
    node.on_faces(bad)
    node.on_faces(bad)
    assert len(log.errors) == 1 and "mono8" in log.errors[0] and node.stats.problems == 2
    node.on_faces(face_array(array_to_image(np.full((96, 96), 128, np.uint8), "mono8")))
    assert len(log.published[-1].faces[0].emotion_scores) == len(EMOTIONS)


def test_aggregator_skips_unscored_faces_with_one_warning(make_node):
    node, log = make_node("aggregator")
    node.on_faces(face_array(array_to_image(np.zeros((8, 8), np.uint8), "mono8")))
    node.on_faces(face_array(array_to_image(np.zeros((8, 8), np.uint8), "mono8")))
    node.on_faces(FaceArray())
    assert not log.published and len(log.warnings) == 1


@pytest.mark.parametrize("overrides, named", [
    ({"score_threshold": 1.5}, "score_threshold"),
    ({"min_distance_m": 3.0, "max_distance_m": 1.0}, "min_distance_m"),
    ({"detector": "cnn"}, "yunet"),
])
def test_a_bad_parameter_file_value_refuses_to_configure(make_node, overrides, named):
    node, log = make_node("face_detector", **overrides)
    assert not node.configured and len(log.errors) == 1 and named in log.errors[0]


def test_parameters_are_checked_when_set_and_thresholds_are_live(make_node):
    node, _ = make_node("face_detector", use_depth=False)
    refused = node.set_parameters([Parameter("score_threshold", value=2.0)])[0]
    assert not refused.successful and node.param("score_threshold") == 0.7
    refused = node.set_parameters([Parameter("min_distance_m", value=5.0)])[0]
    assert not refused.successful and "max_distance_m" in refused.reason
    refused = node.set_parameters([Parameter("crop_size", value=64)])[0]
    assert not refused.successful and "configure" in refused.reason
    assert node.set_parameters([Parameter("score_threshold", value=0.9)])[0].successful
    assert node.detector.score_threshold == pytest.approx(0.9)
    assert node.set_parameters([Parameter("max_distance_m", value=2.0)])[0].successful
    assert node.gate.config.max_distance_m == 2.0


def test_aggregator_min_share_is_live(make_node):
    node, _ = make_node("aggregator")
    assert node.set_parameters([Parameter("min_share", value=0.3)])[0].successful
    assert node.windows.min_share == 0.3
