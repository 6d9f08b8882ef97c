"""The whole graph, composed in one process, on a recording made by the test.

The recording is the bundled sample's first 30 frames (real faces of alice, bob and a stranger,
plus decoys that depth must reject) with the lower half of alice's and bob's faces brightened
per frame. The emotion model is a tiny ONNX model that says Happy when a face's lower half is
brighter than its upper half (`onnx_fixtures.make_smile_model`; the emotion node equalises
crops, so overall brightness alone would not reach it): alice is changed in every frame
(holds "Happy"), bob every other frame (flickers between Happy and Neutral), the stranger is
left alone (Neutral).
"""

import json

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from rclpy.experimental import EventsExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from emotion_ros import capture, graph, resources, run  # noqa: E402
from emotion_ros.demo import enrol_sample_people  # noqa: E402
from emotion_ros.labels import EMOTIONS, NEUTRAL, UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import PersonEmotion  # noqa: E402
from emotion_ros.nodes.manager import GraphManager  # noqa: E402
from emotion_ros.pairing import stamp_key  # noqa: E402

from onnx_fixtures import make_smile_model  # noqa: E402
from ros_helpers import spin_until  # noqa: E402

FRAMES = 30
RECORDED_FPS = 10.0    # slow enough that a busy test machine never makes the graph skip a frame
BRIGHT = 1.6           # gain on a face's lower half that turns it "Happy" for the test model
HAPPY = EMOTIONS.index("Happy")


def smile(rgb, box, gain):
    """Brighten the lower half of a face box (and a margin around it)."""
    x, y, w, h = box
    margin = int(0.4 * w)
    region = rgb[y + h // 2:y + h + margin, max(0, x - margin):x + w + margin]
    region[:] = np.clip(region * gain, 0, 255).astype(np.uint8)


def make_recording(path) -> list[dict]:
    """Write the test recording; return the ground-truth faces of each frame."""
    sample = resources.sample_recording()
    truth = json.loads((sample / "labels.json").read_text())["frames"][:FRAMES]
    source = capture.open_source("fakenect", path=str(sample), realtime=False)
    with capture.FakenectWriter(str(path)) as writer:
        for index in range(FRAMES):
            frame = source.read()
            rgb = frame.rgb.copy()
            for face in truth[index]["faces"]:
                if face["kind"] == "real" and (face["person"] == "alice" or (face["person"] == "bob" and index % 2)):
                    smile(rgb, face["box"], BRIGHT)
            writer.write(capture.Frame(rgb, frame.depth, 1000.0 + index / RECORDED_FPS, index))
    source.close()
    return [[face for face in frame["faces"] if face["kind"] == "real"] for frame in truth]


def overlaps(roi, box) -> bool:
    x, y, w, h = box
    return abs(roi.x_offset - x) < w / 2 and abs(roi.y_offset - y) < h / 2


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    truth = make_recording(tmp / "recording")
    parameters = graph.node_parameters(source="fakenect", path=str(tmp / "recording"))
    parameters["driver"].update(image_qos_reliable=True, realtime=True)
    parameters["face_detector"]["image_qos_reliable"] = True
    parameters["identity"]["model_path"] = enrol_sample_people(tmp / "faces")
    parameters["emotion"]["model_path"] = str(make_smile_model(tmp / "smile.onnx"))
    params_file = graph.write_parameters(parameters, tmp / "parameters.yaml")

    rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
    try:
        listener = rclpy.create_node("listener")
        image_stamps, people = [], []
        reliable_images = QoSProfile(depth=FRAMES, reliability=ReliabilityPolicy.RELIABLE)
        listener.create_subscription(Image, "camera/image_raw", lambda m: image_stamps.append(stamp_key(m.header)),
                                     reliable_images)
        listener.create_subscription(PersonEmotion, "person_emotions", people.append, 100)
        executor = EventsExecutor()
        executor.add_node(listener)
        nodes = [graph.node_class(name)() for name in graph.PIPELINE_NODES]
        for node in nodes:
            executor.add_node(node)
        manager = GraphManager(listener, graph.PIPELINE_NODES, lambda c, t: spin_until(executor, c, t))
        assert manager.bring_up() == ""
        driver = nodes[0]
        assert spin_until(executor, driver.finished.is_set, 30.0), "the recording did not play to its end"
        spin_until(executor, lambda: False, 1.0)  # let the frames in flight arrive
        for node in nodes + [listener]:
            node.destroy_node()
    finally:
        rclpy.try_shutdown()
    return truth, image_stamps, people


def by_person(people, name):
    return [p for p in people if p.person == name]


def test_every_message_is_stamped_with_its_source_frame(pipeline_run):
    truth, image_stamps, people = pipeline_run
    assert len(image_stamps) == FRAMES
    frame_of = {stamp: index for index, stamp in enumerate(image_stamps)}
    assert people and all(stamp_key(p.header) in frame_of for p in people)
    assert {frame_of[stamp_key(p.header)] for p in people} == set(range(FRAMES)), "a frame was lost"
    for person in people:
        boxes = [face["box"] for face in truth[frame_of[stamp_key(person.header)]]]
        assert any(overlaps(person.roi, box) for box in boxes), "a face's box is not in the frame its stamp names"


def test_enrolled_people_are_named_and_the_stranger_is_unknown(pipeline_run):
    truth, image_stamps, people = pipeline_run
    frame_of = {stamp: index for index, stamp in enumerate(image_stamps)}
    named = {"alice": 0, "bob": 0, "stranger": 0}
    for person in people:
        face = next(f for f in truth[frame_of[stamp_key(person.header)]] if overlaps(person.roi, f["box"]))
        if face["person"] == "stranger":
            assert person.person == UNKNOWN_PERSON
        else:
            assert person.person in (face["person"], UNKNOWN_PERSON), "an enrolled face got someone else's name"
        named[face["person"]] += person.person == face["person"]
    assert named["alice"] >= 0.9 * FRAMES and named["bob"] >= 0.8 * FRAMES
    assert by_person(people, UNKNOWN_PERSON), "the stranger never appeared"


def test_decoys_never_reach_person_emotions(pipeline_run):
    _, _, people = pipeline_run
    assert all(p.distance_m < 3.0 for p in people)
    assert len(people) <= 3 * FRAMES


def test_a_held_expression_is_confirmed_once_the_window_fills(pipeline_run):
    _, _, people = pipeline_run
    alice = by_person(people, "alice")
    assert all(p.raw_emotion == HAPPY for p in alice)
    early = [p for p in alice if p.window_fill < p.window_length]
    assert early and all(not p.confirmed and p.emotion == NEUTRAL for p in early)
    full = [p for p in alice if p.window_fill == p.window_length]
    assert full and all(p.confirmed and p.emotion == HAPPY and p.emotion_label == "Happy" for p in full)
    assert full[-1].emotion_share == pytest.approx(1.0)


def test_a_flickering_expression_stays_neutral(pipeline_run):
    _, _, people = pipeline_run
    bob = by_person(people, "bob")
    assert {p.raw_emotion for p in bob} == {HAPPY, NEUTRAL}
    assert all(p.emotion == NEUTRAL and not p.confirmed for p in bob)
    assert max(p.window_fill for p in bob) == 20
