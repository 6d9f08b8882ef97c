import json
import os
import stat

import cv2
import numpy as np
import pytest

from emotion_ros.identity import (
    ALIGNED_SIZE, DEFAULT_RATIO, DEFAULT_THRESHOLD, DuplicatePhoto, FaceStore, IdentityResult, LbphIdentifier,
    default_store_dir, face_region, model_path)
from emotion_ros.identity.lbph import REGION_SIZE, augment
from emotion_ros.labels import UNKNOWN_PERSON

NAMES = ["ann", "bob", "cy"]


def synthetic_face(person: int, photo: int) -> np.ndarray:
    """A deterministic textured 128x128 'face' per person; photos differ by shift, noise, brightness."""
    rng = np.random.default_rng(person)
    img = np.full((ALIGNED_SIZE, ALIGNED_SIZE), 90 + 10 * (person % 5), np.uint8)
    for _ in range(12):
        centre = tuple(int(v) for v in rng.integers(10, 110, 2))
        axes = tuple(int(v) for v in rng.integers(5, 30, 2))
        cv2.ellipse(img, centre, axes, float(rng.integers(0, 180)), 0, 360, int(rng.integers(0, 256)), -1)
    for _ in range(8):
        p1, p2 = (tuple(int(v) for v in rng.integers(0, ALIGNED_SIZE, 2)) for _ in range(2))
        cv2.line(img, p1, p2, int(rng.integers(0, 256)), int(rng.integers(1, 4)))
    noise = np.random.default_rng(1000 * person + photo)
    shift = np.float32([[1, 0, noise.integers(-2, 3)], [0, 1, noise.integers(-2, 3)]])
    img = cv2.warpAffine(img, shift, (ALIGNED_SIZE, ALIGNED_SIZE), borderMode=cv2.BORDER_REFLECT)
    img = img.astype(np.int16) + noise.integers(-3, 4, img.shape) + int(noise.integers(-15, 16))
    return np.clip(img, 0, 255).astype(np.uint8)


def stranger_face() -> np.ndarray:
    """Smooth stripes: far from every textured synthetic face."""
    return np.tile(((np.sin(np.arange(ALIGNED_SIZE) / 3.0) + 1) * 120).astype(np.uint8), (ALIGNED_SIZE, 1))


@pytest.fixture(scope="module")
def trained():
    ident = LbphIdentifier()
    crops = [synthetic_face(p, i) for p in range(3) for i in range(4)]
    labels = [p for p in range(3) for _ in range(4)]
    ident.train(crops, labels, NAMES)
    return ident


# --- FaceStore ---------------------------------------------------------------------------

def test_store_add_list_and_load(tmp_path):
    store = FaceStore(tmp_path / "faces")
    assert store.people() == []
    first = store.add("bob", synthetic_face(1, 0))
    second = store.add("bob", cv2.cvtColor(synthetic_face(1, 1), cv2.COLOR_GRAY2BGR))
    store.add("ann", synthetic_face(0, 0))
    assert (first.name, second.name) == ("0001.png", "0002.png")
    assert store.people() == ["ann", "bob"]
    assert store.images("bob") == [first, second]
    assert store.images("nobody") == []

    crops, labels, names = store.load()
    assert names == ["ann", "bob"]
    assert labels.tolist() == [0, 1, 1] and labels.dtype == np.int32
    assert all(c.dtype == np.uint8 and c.ndim == 2 for c in crops)
    np.testing.assert_array_equal(crops[1], synthetic_face(1, 0))


def test_store_removing_a_photo_is_deleting_its_file(tmp_path):
    store = FaceStore(tmp_path)
    paths = [store.add("ann", synthetic_face(0, i)) for i in range(3)]
    paths[1].unlink()
    (tmp_path / "ann" / "contact_sheet.png").write_bytes(b"not a photo")
    assert store.images("ann") == [paths[0], paths[2]]
    assert store.add("ann", synthetic_face(0, 3)).name == "0004.png"
    assert len(store.load()[0]) == 3


@pytest.mark.parametrize("name", ["", "  ", "a/b", "..", ".hidden", "unknown", "Unknown", " ann", "a\\b", "a\nb"])
def test_store_rejects_bad_names(tmp_path, name):
    with pytest.raises(ValueError):
        FaceStore(tmp_path).add(name, synthetic_face(0, 0))


def test_store_rejects_bad_crops(tmp_path):
    store = FaceStore(tmp_path)
    with pytest.raises(ValueError, match="uint8"):
        store.add("ann", np.zeros((50, 50), np.float32))
    with pytest.raises(ValueError, match="shape"):
        store.add("ann", np.zeros((50, 50, 4), np.uint8))


def test_default_store_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_dir() == tmp_path / "emotion_ros" / "faces"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store_dir() == tmp_path / "home" / ".local" / "share" / "emotion_ros" / "faces"
    assert FaceStore().root == default_store_dir()
    assert model_path() == default_store_dir() / "lbph_model.yml"
    assert model_path(tmp_path / "x" / "faces") == tmp_path / "x" / "faces" / "lbph_model.yml"
    assert FaceStore(tmp_path / "s").model_path("descriptor") == tmp_path / "s" / "descriptor_model.npz"
    with pytest.raises(ValueError, match="backend"):
        model_path(tmp_path, "eigenfaces")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_store_is_private(tmp_path):
    """Face photos are biometric data: folders 0700, files 0600, whatever the umask."""
    old = os.umask(0o022)
    try:
        store = FaceStore(tmp_path / "faces")
        photo = store.add("ann", synthetic_face(0, 0))
        ident = LbphIdentifier()
        ident.train_from_store(store)
        model = ident.save(store.model_path())
    finally:
        os.umask(old)
    assert mode(store.root) == 0o700 and mode(store.person_dir("ann")) == 0o700
    assert mode(photo) == 0o600 and mode(model) == 0o600 and mode(LbphIdentifier.names_path(model)) == 0o600


def test_store_refuses_a_photo_it_already_holds(tmp_path):
    store = FaceStore(tmp_path)
    first = store.add("ann", synthetic_face(0, 0))
    with pytest.raises(DuplicatePhoto, match=str(first)):
        store.add("ann", synthetic_face(0, 0))
    with pytest.raises(DuplicatePhoto):                       # under another name, or in colour
        store.add("bob", cv2.cvtColor(synthetic_face(0, 0), cv2.COLOR_GRAY2BGR))
    assert FaceStore(tmp_path).find(synthetic_face(0, 0)) == first   # a fresh instance reads the hashes back
    assert store.add("ann", synthetic_face(0, 1)).name == "0002.png"
    assert store.images("bob") == []


def test_two_stores_in_one_folder_keep_their_own_models(tmp_path):
    models = []
    for person, name in ((0, "ann"), (1, "bob")):
        store = FaceStore(tmp_path / f"store_{name}")
        for photo in range(3):
            store.add(name, synthetic_face(person, photo))
        ident = LbphIdentifier()
        ident.train_from_store(store)
        models.append(ident.save(store.model_path()))
    assert models[0] != models[1]
    assert LbphIdentifier.load(models[0]).names == ["ann"] and LbphIdentifier.load(models[1]).names == ["bob"]


# --- LbphIdentifier ----------------------------------------------------------------------

def test_face_region_is_the_central_face_at_a_fixed_size():
    crop = np.zeros((128, 128), np.uint8)
    crop[40:100, 44:84] = 255                     # the face area where align puts it
    region = face_region(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
    assert region.shape == (REGION_SIZE[1], REGION_SIZE[0]) and region.dtype == np.uint8
    assert region[region.shape[0] // 2, region.shape[1] // 2] == 255      # centre kept
    assert region[:, 0].max() == 0 and region[:, -1].max() == 0           # the sides are cut off
    # any square size: the same region, scaled
    big = face_region(cv2.resize(crop, (256, 256), interpolation=cv2.INTER_NEAREST))
    assert np.mean(big != region) < 0.05


def test_augment_gives_mirrored_turned_and_relit_copies():
    face = synthetic_face(0, 0)
    variants = augment(face)
    assert len(variants) == 6 and all(v.shape == face.shape and v.dtype == np.uint8 for v in variants)
    np.testing.assert_array_equal(variants[0], face)
    np.testing.assert_array_equal(variants[1], face[:, ::-1])
    assert len({v.tobytes() for v in variants}) == 6
    assert variants[4].mean() > face.mean() > variants[5].mean()     # gamma < 1 brightens


def test_enrolled_people_are_recognised(trained):
    for person, name in enumerate(NAMES):
        for photo in (10, 11, 12):
            result = trained.predict(synthetic_face(person, photo))
            assert result.name == name
            assert result.distance <= trained.threshold
            assert result.confidence == pytest.approx(1 - result.distance / trained.threshold)
            assert 0 < result.confidence <= 1
            assert 0 < result.ratio <= trained.max_ratio


def test_stranger_is_unknown(trained):
    result = trained.predict(stranger_face())
    assert result.name == UNKNOWN_PERSON
    assert result.distance > trained.threshold and result.confidence == 0.0


def test_defaults_use_the_ratio_test():
    ident = LbphIdentifier()
    assert ident.threshold == DEFAULT_THRESHOLD and ident.max_ratio == DEFAULT_RATIO
    assert 0 < DEFAULT_RATIO < 1


def test_person_distances_agree_with_the_prediction(trained):
    trained.threshold, trained.max_ratio = 1e9, 1.0  # no rejection: the nearest person is named
    for probe in (synthetic_face(1, 10), synthetic_face(2, 11), stranger_face()):
        per_person = trained.person_distances(probe)
        result = trained.predict(probe)
        assert per_person.shape == (len(NAMES),) and per_person.dtype == np.float64
        assert trained.names[int(np.argmin(per_person))] == result.name
        assert per_person.min() == pytest.approx(result.distance)
        best, best_dist, ratio = LbphIdentifier.best_and_ratio(per_person)
        assert trained.names[best] == result.name and best_dist == pytest.approx(result.distance)
        assert result.ratio == pytest.approx(ratio)
        assert ratio == pytest.approx(result.distance / np.sort(per_person)[1])


def test_best_and_ratio():
    assert LbphIdentifier.best_and_ratio(np.array([5.0, 2.0, 4.0])) == (1, 2.0, 0.5)
    assert LbphIdentifier.best_and_ratio(np.array([3.0])) == (0, 3.0, 0.0)
    assert LbphIdentifier.best_and_ratio(np.array([0.0, 0.0])) == (0, 0.0, 1.0)


def test_look_alikes_are_unknown_by_the_ratio_test():
    """The same photos enrolled under two names: every distance is well under the threshold,
    but the two nearest people are as near, so the ratio test answers unknown."""
    crops = [synthetic_face(0, i) for i in range(4)] * 2 + [synthetic_face(1, i) for i in range(4)]
    labels = [0] * 4 + [1] * 4 + [2] * 4
    ident = LbphIdentifier()
    ident.train(crops, labels, ["ann", "twin", "bob"])
    plain = LbphIdentifier(max_ratio=1.0)
    plain.train(crops, labels, ["ann", "twin", "bob"])
    for photo in (10, 11, 12):
        result = ident.predict(synthetic_face(0, photo))
        assert result.distance <= ident.threshold and result.ratio > ident.max_ratio
        assert result.name == UNKNOWN_PERSON and result.confidence == 0.0
        assert plain.predict(synthetic_face(0, photo)).name in ("ann", "twin")
    assert ident.predict(synthetic_face(1, 10)).name == "bob"


def test_ratio_boundary():
    ident = LbphIdentifier(threshold=1000.0)
    ident.train([synthetic_face(p, i) for p in range(3) for i in range(4)], [p for p in range(3) for _ in range(4)],
                NAMES)
    probe = synthetic_face(1, 10)
    ratio = ident.predict(probe).ratio
    ident.max_ratio = ratio
    assert ident.predict(probe).name == "bob"
    ident.max_ratio = ratio * 0.999
    result = ident.predict(probe)
    assert result.name == UNKNOWN_PERSON and result.confidence == 0.0 and result.distance < ident.threshold


def test_threshold_boundary():
    ident = LbphIdentifier()
    ident.train([synthetic_face(0, i) for i in range(3)], [0, 0, 0], ["ann"])
    distance = float(ident.person_distances(synthetic_face(0, 5)).min())
    ident.threshold = distance
    assert ident.predict(synthetic_face(0, 5)) == IdentityResult("ann", distance, 0.0)
    ident.threshold = distance * 0.999
    assert ident.predict(synthetic_face(0, 5)).name == UNKNOWN_PERSON


def test_train_from_store_and_save_load_round_trip(tmp_path):
    store = FaceStore(tmp_path / "faces")
    for person, name in enumerate(NAMES):
        for photo in range(3):
            store.add(name, synthetic_face(person, photo))
    ident = LbphIdentifier(threshold=12.5, max_ratio=0.75)
    ident.train_from_store(store)
    model = ident.save(tmp_path / "model" / "lbph_model.yml")
    assert model.is_file() and LbphIdentifier.names_path(model).is_file()

    loaded = LbphIdentifier.load(model)
    assert loaded.names == NAMES and loaded.threshold == 12.5 and loaded.max_ratio == 0.75
    probe = synthetic_face(2, 9)
    assert loaded.predict(probe) == ident.predict(probe)
    np.testing.assert_array_equal(loaded.person_distances(probe), ident.person_distances(probe))
    overridden = LbphIdentifier.load(model, threshold=DEFAULT_THRESHOLD, max_ratio=DEFAULT_RATIO)
    assert (overridden.threshold, overridden.max_ratio) == (DEFAULT_THRESHOLD, DEFAULT_RATIO)


def test_model_saved_without_max_ratio_keeps_the_plain_threshold_rule(tmp_path):
    ident = LbphIdentifier(threshold=12.5)
    ident.train([synthetic_face(p, i) for p in range(3) for i in range(3)], [p for p in range(3) for _ in range(3)],
                NAMES)
    model = ident.save(tmp_path / "lbph_model.yml")
    meta_path = LbphIdentifier.names_path(model)
    meta = json.loads(meta_path.read_text())
    del meta["max_ratio"]
    meta_path.write_text(json.dumps(meta))
    loaded = LbphIdentifier.load(model)
    assert loaded.threshold == 12.5 and loaded.max_ratio == 1.0
    assert LbphIdentifier.load(model, max_ratio=0.8).max_ratio == 0.8


def test_model_and_names_that_do_not_match(tmp_path):
    ident = LbphIdentifier()
    ident.train([synthetic_face(p, i) for p in range(3) for i in range(2)], [p for p in range(3) for _ in range(2)],
                NAMES)
    model = ident.save(tmp_path / "lbph_model.yml")
    meta_path = LbphIdentifier.names_path(model)
    meta = json.loads(meta_path.read_text())
    meta["names"] = NAMES[:2]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="does not match"):
        LbphIdentifier.load(model)


def test_untrained_model_errors(tmp_path):
    ident = LbphIdentifier()
    with pytest.raises(RuntimeError, match="not trained"):
        ident.predict(synthetic_face(0, 0))
    with pytest.raises(RuntimeError, match="untrained"):
        ident.save(tmp_path / "m.yml")


def test_empty_store_error(tmp_path):
    with pytest.raises(ValueError, match="no photos"):
        LbphIdentifier().train_from_store(FaceStore(tmp_path / "empty"))


def test_missing_model_file_names_it(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(FileNotFoundError, match="nope.yml"):
        LbphIdentifier.load(missing)


@pytest.mark.parametrize("crop, match", [
    (np.zeros((60, 60), np.float64), "uint8"),
    (np.zeros((60,), np.uint8), "shape"),
    (np.zeros((4, 4), np.uint8), "shape"),
])
def test_bad_crop_errors(trained, crop, match):
    with pytest.raises(ValueError, match=match):
        trained.predict(crop)


def test_bad_training_input():
    ident = LbphIdentifier()
    crops = [synthetic_face(0, 0), synthetic_face(1, 0)]
    with pytest.raises(ValueError, match="labels"):
        ident.train(crops, [0], ["ann", "bob"])
    with pytest.raises(ValueError, match="cy"):
        ident.train(crops, [0, 1], ["ann", "bob", "cy"])
    with pytest.raises(ValueError, match="index"):
        ident.train(crops, [0, 2], ["ann", "bob"])
    with pytest.raises(ValueError, match="threshold"):
        LbphIdentifier(threshold=0)
    for bad in (0, -0.5, 1.01):
        with pytest.raises(ValueError, match="max_ratio"):
            LbphIdentifier(max_ratio=bad)


def test_a_store_enrolled_before_alignment_is_refused_for_training(tmp_path):
    store = FaceStore(tmp_path)
    store.add("ann", synthetic_face(0, 0))
    store.add("ann", cv2.resize(synthetic_face(0, 1), (96, 96)))     # an old, unaligned 96x96 crop
    with pytest.raises(ValueError, match="96x96 photo.*enrol again"):
        LbphIdentifier().train_from_store(store)
