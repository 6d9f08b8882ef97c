import os
import shutil
import stat

import cv2
import numpy as np
import pytest

from emotion_ros import resources
from emotion_ros.capture import Frame
from emotion_ros.detection import Detection
from emotion_ros.identity import ALIGNED_SIZE, FaceStore, LbphIdentifier
from emotion_ros.tools import enrol, train_identity

SAMPLE = resources.enrol_sample_dir()
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="bundled enrolment photos absent")


@pytest.fixture
def photo_dir(tmp_path):
    """The bundled enrolment photos (alice, bob: 6 face photos each) plus a stray text file."""
    root = tmp_path / "photos"
    shutil.copytree(SAMPLE, root)
    for name in ("alice", "bob"):
        (root / name / "notes.txt").write_text("not a photo")
    return root


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@needs_sample
def test_enrol_from_dir_then_train(photo_dir, tmp_path, capsys):
    store_dir = tmp_path / "data" / "faces"
    for name in ("alice", "bob"):
        assert enrol.main(["--name", name, "--from-dir", str(photo_dir / name),
                           "--photos", "4", "--store", str(store_dir)]) == 0
    store = FaceStore(store_dir)
    assert store.people() == ["alice", "bob"]
    photos = store.images("alice")
    assert [p.name for p in photos] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    # every photo was detected and aligned: the store holds identity crops, not the photos
    assert all(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape == (ALIGNED_SIZE, ALIGNED_SIZE) for p in photos)
    sheet = store_dir / "alice" / enrol.CONTACT_SHEET
    assert cv2.imread(str(sheet)).shape == (96, 4 * 96, 3) and mode(sheet) == 0o600
    assert mode(store_dir) == 0o700 and mode(photos[0]) == 0o600

    assert train_identity.main(["--store", str(store_dir)]) == 0
    out = capsys.readouterr().out
    assert "alice: 4 photos" in out and "bob: 4 photos" in out
    assert not (tmp_path / "data" / "lbph_model.yml").exists()         # the model lives inside the store
    model = LbphIdentifier.load(store_dir / "lbph_model.yml")
    assert model.names == ["alice", "bob"]


@needs_sample
def test_a_photo_without_a_face_stores_nothing(photo_dir, tmp_path, capsys):
    cv2.imwrite(str(photo_dir / "alice" / "7.png"), np.full((112, 92), 128, np.uint8))
    store_dir = tmp_path / "faces"
    assert enrol.main(["--name", "alice", "--from-dir", str(photo_dir / "alice"), "--store", str(store_dir)]) == 1
    err = capsys.readouterr().err
    assert "7.png: no face found" in err and "nothing enrolled" in err
    assert FaceStore(store_dir).images("alice") == []


@needs_sample
@pytest.mark.skipif(not resources.SAMPLE_ARCHIVE.is_file(), reason="bundled sample recording absent")
def test_a_photo_with_several_faces_stores_nothing(tmp_path, capsys):
    from emotion_ros.capture import open_source
    source = open_source("fakenect", path=str(resources.sample_recording()), realtime=False)
    group = tmp_path / "group.png"
    cv2.imwrite(str(group), source.read().rgb)          # alice, bob and a stranger in one photo
    source.close()
    store_dir = tmp_path / "faces"
    args = ["--name", "alice", "--photo", str(SAMPLE / "alice" / "1.pgm"), "--photo", str(group),
            "--store", str(store_dir)]
    assert enrol.main(args) == 1
    assert "faces found" in capsys.readouterr().err
    assert FaceStore(store_dir).people() == []


@needs_sample
def test_duplicates_are_refused(photo_dir, tmp_path, capsys):
    store_dir = tmp_path / "faces"
    args = ["--name", "alice", "--from-dir", str(photo_dir / "alice"), "--store", str(store_dir)]
    assert enrol.main(args) == 0
    assert enrol.main(args) == 1                        # the same photos again: all refused, none stored
    out, err = capsys.readouterr()
    refused = [line for line in out.splitlines() if line.startswith("refused ")]
    assert len(refused) == 6 and all("already enrolled" in line for line in refused) and "no new photos" in err
    shutil.copy(photo_dir / "alice" / "1.pgm", photo_dir / "bob" / "99.pgm")
    assert enrol.main(["--name", "bob", "--from-dir", str(photo_dir / "bob"), "--store", str(store_dir)]) == 0
    assert len(FaceStore(store_dir).images("bob")) == 6   # alice's photo is not stored as bob too


@needs_sample
def test_train_identity_model_path_and_threshold(photo_dir, tmp_path):
    store_dir = tmp_path / "faces"
    assert enrol.main(["--name", "alice", "--from-dir", str(photo_dir / "alice"), "--store", str(store_dir)]) == 0
    assert len(FaceStore(store_dir).images("alice")) == 6
    model = tmp_path / "models" / "m.yml"
    assert train_identity.main(["--store", str(store_dir), "--model", str(model), "--threshold", "15"]) == 0
    assert LbphIdentifier.load(model).threshold == 15.0


def test_errors_exit_nonzero(tmp_path, capsys):
    assert enrol.main(["--name", "ann", "--from-dir", str(tmp_path / "absent"), "--store", str(tmp_path)]) == 1
    assert "absent" in capsys.readouterr().err
    assert enrol.main(["--name", "unknown", "--from-dir", str(tmp_path), "--store", str(tmp_path)]) == 1
    assert "reserved" in capsys.readouterr().err
    assert enrol.main(["--name", "ann", "--from-dir", str(tmp_path), "--store", str(tmp_path / "s")]) == 1
    assert "no photos" in capsys.readouterr().err
    assert train_identity.main(["--store", str(tmp_path / "empty")]) == 1
    assert "no photos" in capsys.readouterr().err


class FakeSource:
    def __init__(self, frames):
        self.frames = list(frames)

    def read(self):
        return self.frames.pop(0) if self.frames else None


class FakeDetector:
    """Faces per frame from the frame's first pixel: 0 = none, 1 = one face, 2 = two faces."""

    def detect(self, bgr):
        count = int(bgr[0, 0, 0])
        return [Detection(30 + 5 * k, 30, 60, 60, 0.9) for k in range(count)]


def frames(pattern):
    for i, faces in enumerate(pattern):
        rng = np.random.default_rng(i)
        rgb = rng.integers(0, 256, (120, 120, 3), dtype=np.uint8)   # every frame different
        rgb[0, 0] = faces
        yield Frame(rgb, None, float(i), i)


def test_enrol_from_source_every_kth_frame_with_one_face(tmp_path):
    store = FaceStore(tmp_path)
    logs = []
    pattern = [0, 1, 2, 1, 0, 1, 1, 2, 1, 1]      # one-face frames: 1, 3, 5, 6, 8, 9
    saved = enrol.enrol_from_source(store, "ann", FakeSource(frames(pattern)), FakeDetector(), 3,
                                    every=2, log=logs.append)
    assert len(saved) == 3 and "skipped 2 frames showing several faces" in logs
    assert all(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape == (ALIGNED_SIZE, ALIGNED_SIZE) for p in saved)


def test_enrol_from_source_stops_at_end_of_stream_and_skips_repeats(tmp_path):
    logs = []
    still = next(frames([1]))
    saved = enrol.enrol_from_source(FaceStore(tmp_path), "ann", FakeSource([still, still, still]), FakeDetector(),
                                    5, log=logs.append)
    assert len(saved) == 1 and "1 of 5" in logs[-1]       # a still video gives one photo, not three


@pytest.mark.skipif(not resources.SAMPLE_ARCHIVE.is_file(), reason="bundled sample recording absent")
def test_enrol_from_bundled_recording_skips_frames_with_several_faces(tmp_path, capsys):
    store_dir = tmp_path / "faces"
    assert enrol.main(["--name", "alice", "--source", "fakenect", "--path", str(resources.sample_recording()),
                       "--photos", "3", "--store", str(store_dir)]) == 1
    out, err = capsys.readouterr()
    assert "several faces" in out and "no new photos" in err
