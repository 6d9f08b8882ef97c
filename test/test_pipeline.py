"""The whole graph, composed in one process, on a recording made by the test.

The recording is the bundled sample's first 30 frames (real faces of alice, bob and a stranger,
plus decoys that depth must reject) with alice's and bob's faces blurred per frame. The emotion
model is a tiny ONNX model that says Sad for a blurred face and Neutral for a sharp one
(`onnx_fixtures.make_sharpness_model`; the emotion node equalises crops, so brightness would not
reach it): alice is blurred in every frame (holds "Sad"), bob every other frame (flickers between
Sad and Neutral), the stranger is left alone (Neutral).
"""

import json

import cv2
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from rclpy.experimental import EventsExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from emotion_ros import capture, graph, identity, resources  # noqa: E402
from emotion_ros.demo import enrol_sample_people, train_sample_model  # noqa: E402
from emotion_ros.labels import EMOTIONS, NEUTRAL, UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import PersonEmotion  # noqa: E402
from emotion_ros.nodes.manager import GraphManager  # noqa: E402
from emotion_ros.pairing import stamp_key  # noqa: E402

from onnx_fixtures import make_sharpness_model  # noqa: E402
from ros_helpers import spin_until  # noqa: E402

FRAMES = 30
RECORDED_FPS = 10.0    # slow enough that a busy test machine never makes the graph skip a frame
BLUR_PX = 3.0          # Gaussian blur that turns a sample face's crop "Sad" for the test model
ENROL_BLUR_PX = 2.5     # the same blur on the 128 px aligned identity crops
SAD = EMOTIONS.index("Sad")


def blur(rgb, box, sigma):
    """Blur a face box and a margin around it."""
    x, y, w, h = box
    margin = int(0.4 * w)
    region = rgb[max(0, y - margin):y + h + margin, max(0, x - margin):x + w + margin]
    region[:] = cv2.GaussianBlur(region, (0, 0), sigma)


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
                    blur(rgb, face["box"], BLUR_PX)
            writer.write(capture.Frame(rgb, frame.depth, 1000.0 + index / RECORDED_FPS, index))
    source.close()
    return [[face for face in frame["faces"] if face["kind"] == "real"] for frame in truth]


def enrol_blurred_too(store_dir) -> str:
    """The sample's people enrolled as the demo enrols them, plus a blurred copy of each photo
    (as a camera out of focus would give them): the faces the test blurs must still be named."""
    enrol_sample_people(store_dir)
    store = identity.FaceStore(store_dir)
    for name in store.people():
        for photo in store.images(name):
            store.add(name, cv2.GaussianBlur(cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE), (0, 0), ENROL_BLUR_PX))
    return train_sample_model(store)


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
    parameters["identity"]["model_path"] = enrol_blurred_too(tmp / "faces")
    parameters["emotion"]["model_path"] = str(make_sharpness_model(tmp / "sharpness.onnx"))
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
    assert all(p.raw_emotion == SAD for p in alice)
    early = [p for p in alice if p.window_fill < p.window_length]
    assert early and all(not p.confirmed and p.emotion == NEUTRAL for p in early)
    full = [p for p in alice if p.window_fill == p.window_length]
    assert full and all(p.confirmed and p.emotion == SAD and p.emotion_label == "Sad" for p in full)
    assert full[-1].emotion_share == pytest.approx(1.0)


def test_a_flickering_expression_stays_neutral(pipeline_run):
    _, _, people = pipeline_run
    bob = by_person(people, "bob")
    assert {p.raw_emotion for p in bob} == {SAD, NEUTRAL}
    assert all(p.emotion == NEUTRAL and not p.confirmed for p in bob)
    assert max(p.window_fill for p in bob) == 20
