"""The optional descriptor back-end (dlib-bin + face-recognition-models)."""

import sys
import threading
import time

import numpy as np
import pytest

from emotion_ros import resources
from emotion_ros.identity import FaceStore, load_identifier
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


def longest_stall(model, crop, calls=2) -> float:
    """The longest time the calling thread could not run Python while another thread computed
    `calls` descriptors with `model`."""
    done = threading.Event()

    def job():
        for _ in range(calls):
            model.describe(crop)
        done.set()

    worker = threading.Thread(target=job)
    last, longest = time.perf_counter(), 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest


@needs_dlib
def test_descriptor_process_matches_and_leaves_the_gil_free():
    """dlib holds the GIL while it computes; in the child process the node's other threads run on."""
    crop = np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8)
    child = descriptor.DescriptorProcess()
    try:
        np.testing.assert_allclose(child.describe(crop), descriptor.DescriptorModel().describe(crop), atol=1e-6)
        with pytest.raises(ValueError, match="shape"):
            child.describe(np.zeros((3, 3), np.uint8))
        in_process = longest_stall(descriptor.DescriptorModel(), crop)     # dlib holds the GIL
        assert in_process > 0.03 and longest_stall(child, crop) < in_process / 2
    finally:
        child.close()
    with pytest.raises(RuntimeError, match="ended"):
        child.describe(crop)
