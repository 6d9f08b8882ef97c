import cv2
import numpy as np
import pytest

from emotion_ros import resources
from emotion_ros.capture import Frame
from emotion_ros.detection import Detection
from emotion_ros.identity import FaceStore, LbphIdentifier
from emotion_ros.tools import enrol, train_identity
from test_identity import synthetic_face


@pytest.fixture
def photo_dir(tmp_path):
    """Ten synthetic PGM photos per person, named 1.pgm .. 10.pgm, plus a stray text file."""
    root = tmp_path / "photos"
    for person, name in enumerate(["ann", "bob"]):
        (root / name).mkdir(parents=True)
        for i in range(1, 11):
            cv2.imwrite(str(root / name / f"{i}.pgm"), synthetic_face(person, i))
        (root / name / "notes.txt").write_text("not a photo")
    return root


def test_enrol_from_dir_then_train(photo_dir, tmp_path, capsys):
    store_dir = tmp_path / "data" / "faces"
    for name in ("ann", "bob"):
        assert enrol.main(["--name", name, "--from-dir", str(photo_dir / name),
                           "--photos", "4", "--store", str(store_dir)]) == 0
    store = FaceStore(store_dir)
    assert store.people() == ["ann", "bob"]
    photos = store.images("ann")
    assert [p.name for p in photos] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    # natural order: 1.pgm, 2.pgm, 3.pgm, 4.pgm (not 1, 10, 2, 3)
    np.testing.assert_array_equal(cv2.imread(str(photos[1]), cv2.IMREAD_GRAYSCALE), synthetic_face(0, 2))

    sheet = cv2.imread(str(store_dir / "ann" / enrol.CONTACT_SHEET))
    assert sheet is not None and sheet.shape == (96, 4 * 96, 3)

    assert train_identity.main(["--store", str(store_dir)]) == 0
    out = capsys.readouterr().out
    assert "ann: 4 photos" in out and "bob: 4 photos" in out
    model = LbphIdentifier.load(tmp_path / "data" / "lbph_model.yml")
    assert model.names == ["ann", "bob"]
    assert model.predict(synthetic_face(1, 9)).name == "bob"


def test_train_identity_model_path_and_threshold(photo_dir, tmp_path):
    store_dir = tmp_path / "faces"
    enrol.main(["--name", "ann", "--from-dir", str(photo_dir / "ann"), "--store", str(store_dir)])
    assert len(FaceStore(store_dir).images("ann")) == 10
    model = tmp_path / "models" / "m.yml"
    assert train_identity.main(["--store", str(store_dir), "--model", str(model), "--threshold", "15"]) == 0
    assert LbphIdentifier.load(model).threshold == 15.0


def test_errors_exit_nonzero(tmp_path, capsys):
    assert enrol.main(["--name", "ann", "--from-dir", str(tmp_path / "absent"), "--store", str(tmp_path)]) == 1
    assert "absent" in capsys.readouterr().err
    assert enrol.main(["--name", "unknown", "--from-dir", str(tmp_path), "--store", str(tmp_path)]) == 1
    assert "reserved" in capsys.readouterr().err
    assert train_identity.main(["--store", str(tmp_path / "empty")]) == 1
    assert "no photos" in capsys.readouterr().err


class FakeSource:
    def __init__(self, frames):
        self.frames = list(frames)

    def read(self):
        return self.frames.pop(0) if self.frames else None


class FakeDetector:
    """Faces per frame taken from the frame's first pixel: 0 = none, else a small and a large box."""

    def detect(self, bgr):
        if bgr[0, 0, 0] == 0:
            return []
        return [Detection(0, 0, 20, 20, 0.9), Detection(30, 30, 60, 60, 0.8)]


def frames(pattern):
    for i, has_face in enumerate(pattern):
        rgb = np.full((100, 100, 3), 50 + i, np.uint8)
        rgb[0, 0] = 255 if has_face else 0
        rgb[30:90, 30:90] = 200 + i           # the large face
        yield Frame(rgb, None, float(i), i)


def test_enrol_from_source_every_kth_face_frame_largest_face(tmp_path):
    store = FaceStore(tmp_path)
    pattern = [0, 1, 1, 0, 1, 1, 1, 1, 1]      # face frames: 1, 2, 4, 5, 6, 7, 8
    saved = enrol.enrol_from_source(store, "ann", FakeSource(frames(pattern)), FakeDetector(), 3,
                                    every=2, crop_size=32, log=lambda *a: None)
    assert len(saved) == 3
    crops = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in saved]
    assert all(c.shape == (32, 32) for c in crops)
    # every 2nd face frame: frames 1, 4, 6; the crop is the large face (grey level 200 + i)
    assert [int(c[16, 16]) for c in crops] == [201, 204, 206]


def test_enrol_from_source_stops_at_end_of_stream(tmp_path):
    logs = []
    saved = enrol.enrol_from_source(FaceStore(tmp_path), "ann", FakeSource(frames([1, 0, 1])), FakeDetector(),
                                    5, log=logs.append)
    assert len(saved) == 2 and "2 of 5" in logs[-1]


@pytest.mark.skipif(not resources.SAMPLE_ARCHIVE.is_file(), reason="bundled sample recording absent")
def test_enrol_from_bundled_recording_with_yunet(tmp_path):
    store_dir = tmp_path / "faces"
    assert enrol.main(["--name", "alice", "--source", "fakenect", "--path", str(resources.sample_recording()),
                       "--photos", "3", "--every", "2", "--store", str(store_dir)]) == 0
    photos = FaceStore(store_dir).images("alice")
    assert len(photos) == 3
    assert all(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape == (96, 96) for p in photos)


@pytest.mark.skipif(not resources.enrol_sample_dir().is_dir(), reason="bundled enrolment photos absent")
def test_enrol_from_dir_with_detection(tmp_path):
    store_dir = tmp_path / "faces"
    folder = resources.enrol_sample_dir() / "alice"
    assert enrol.main(["--name", "alice", "--from-dir", str(folder), "--detect", "--store", str(store_dir)]) == 0
    photos = FaceStore(store_dir).images("alice")
    assert len(photos) == len(enrol.photo_files(folder))
    assert all(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape == (96, 96) for p in photos)
