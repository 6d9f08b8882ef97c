"""The identity node: names a track once its frames agree, never dies on bad input."""

import builtin_interfaces.msg
import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
from emotion_ros.identity import FaceStore, LbphIdentifier  # noqa: E402
from emotion_ros.labels import UNKNOWN_PERSON  # noqa: E402
from emotion_ros.msg import Face, FaceArray  # noqa: E402
from emotion_ros.conversions import array_to_image  # noqa: E402

from test_identity import synthetic_face  # noqa: E402
from test_node_errors import make_node  # noqa: E402,F401  (fixture)


@pytest.fixture
def store(tmp_path):
    store = FaceStore(tmp_path / "faces")
    for person, name in enumerate(("ann", "bob")):
        for photo in range(4):
            store.add(name, synthetic_face(person, photo))
    ident = LbphIdentifier()
    ident.train_from_store(store)
    ident.save(store.model_path())
    return store


def frame(index, *faces):
    msg = FaceArray(faces=[Face(track_id=t, identity_crop=crop) for t, crop in faces])
    msg.header.stamp = builtin_interfaces.msg.Time(sec=100 + index // 30, nanosec=(index % 30) * 33_000_000)
    return msg


def test_a_track_is_named_once_its_frames_agree(make_node, store):
    node, log = make_node("identity", store=str(store.root))
    assert not log.errors
    ann = array_to_image(synthetic_face(0, 9), "mono8")
    names = []
    for i in range(5):
        node.on_faces(frame(i, (1, ann)))
        names.append(log.published[-1].faces[0].identity)
    assert names[0] == UNKNOWN_PERSON and names[-1] == "ann"
    face = log.published[-1].faces[0]
    assert 0 < face.identity_confidence <= 1 and np.isfinite(face.identity_distance)
    node.on_faces(frame(5, (2, ann)))                  # a new track starts unknown
    assert log.published[-1].faces[0].identity == UNKNOWN_PERSON


def test_faces_without_an_identity_crop_are_unknown_and_logged_once(make_node, store):
    node, log = make_node("identity", store=str(store.root))
    for i in range(3):
        node.on_faces(frame(i, (1, array_to_image(np.zeros((0, 0), np.uint8), "mono8"))))
    assert len(log.published) == 3 and log.published[-1].faces[0].identity == UNKNOWN_PERSON
    assert len(log.errors) == 1 and "identity_crop" in log.errors[0]


def test_descriptor_backend_without_its_model_names_everyone_unknown(make_node, store):
    node, log = make_node("identity", store=str(store.root), backend="descriptor")
    assert node.configured and log.warnings and "no descriptor model" in log.warnings[0]
    node.on_faces(frame(0, (1, array_to_image(synthetic_face(0, 9), "mono8"))))
    assert log.published[-1].faces[0].identity == UNKNOWN_PERSON
