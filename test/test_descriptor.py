"""The optional descriptor back-end (dlib-bin + face-recognition-models)."""

import os
import signal
import sys
import threading

import numpy as np
import pytest

from emotion_ros import resources
from emotion_ros.identity import FaceStore, IdentityCore, load_identifier
from emotion_ros.identity import descriptor
from emotion_ros.labels import UNKNOWN_PERSON

needs_dlib = pytest.mark.skipif(not descriptor.available(), reason="dlib-bin / face-recognition-models not installed "
                                "(pip install -r requirements/descriptor.txt)")
needs_sample = pytest.mark.skipif(not resources.enrol_sample_dir().is_dir(), reason="bundled enrolment photos absent")


def test_missing_dependency_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)
    assert not descriptor.available()
    with pytest.raises(ImportError, match="requirements/descriptor.txt"):
        descriptor.DescriptorModel()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """alice and bob's bundled photos 1-4 enrolled (detected and aligned); photos 5-6 kept back."""
    from emotion_ros.tools.enrol import enrol_from_dir
    store = FaceStore(tmp_path_factory.mktemp("store") / "faces")
    for name in ("alice", "bob"):
        enrol_from_dir(store, name, resources.enrol_sample_dir() / name, 4, log=lambda _: None)
    return store


@needs_dlib
@needs_sample
def test_descriptor_names_the_enrolled_and_round_trips(sample_store):
    from emotion_ros.tools.enrol import aligned_face, photo_detector, read_photo
    ident = descriptor.DescriptorIdentifier()
    ident.train_from_store(sample_store)
    assert ident.descriptors.shape == (8, 128) and ident.names == ["alice", "bob"]
    detector = photo_detector()
    for label, name in enumerate(("alice", "bob")):
        for photo in ("5.pgm", "6.pgm"):
            crop = aligned_face(read_photo(resources.enrol_sample_dir() / name / photo), detector)
            distances = ident.person_distances(crop)
            assert int(np.argmin(distances)) == label       # nearer to the right person
    path = ident.save(sample_store.model_path("descriptor"))
    loaded = load_identifier("descriptor", sample_store.root)
    assert loaded.names == ident.names and loaded.threshold == descriptor.DEFAULT_THRESHOLD
    np.testing.assert_array_equal(loaded.descriptors, ident.descriptors)
    assert load_identifier("descriptor", model_file=str(path), threshold=0.01).predict(crop).name == UNKNOWN_PERSON


@needs_dlib
def test_descriptor_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_identity --backend descriptor"):
        load_identifier("descriptor", tmp_path)
    with pytest.raises(RuntimeError, match="not trained"):
        descriptor.DescriptorIdentifier().predict(np.zeros((128, 128), np.uint8))
    with pytest.raises(ValueError, match="backend"):
        load_identifier("eigenfaces", tmp_path)


@needs_dlib
def test_descriptor_process_matches_and_frames_never_wait_for_it():
    """The descriptor runs in a child process (dlib holds the GIL while it computes): with the
    child stopped mid-request, the identity core still answers every frame at once."""
    crop = np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8)
    child = descriptor.DescriptorProcess()
    core = None
    try:
        np.testing.assert_allclose(child.describe(crop), descriptor.DescriptorModel().describe(crop), atol=1e-6)
        with pytest.raises(ValueError, match="shape"):
            child.describe(np.zeros((3, 3), np.uint8))
        ident = descriptor.DescriptorIdentifier(model=child)
        ident.train([crop], [0], ["ann"])
        core = IdentityCore(ident, rate_hz=5.0, asynchronous=True)
        os.kill(child._child.pid, signal.SIGSTOP)
        try:
            answered = []
            frames = threading.Thread(target=lambda: answered.extend(
                core.process(i / 30, [(1, crop)])[0].name for i in range(30)))
            frames.start()
            frames.join(timeout=10)
            assert not frames.is_alive() and answered == [UNKNOWN_PERSON] * 30
        finally:
            os.kill(child._child.pid, signal.SIGCONT)
        assert core.wait_idle(30.0)
        assert core.process(1.1, [(1, crop)])[0].name == UNKNOWN_PERSON     # one result so far: not enough
    finally:
        if core is not None:
            core.close()
        child.close()
    with pytest.raises(RuntimeError, match="ended"):
        child.describe(crop)
