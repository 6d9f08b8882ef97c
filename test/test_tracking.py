import cv2
import numpy as np
import pytest

from emotion_ros.detection import Detection
from emotion_ros.tracking import (APPEARANCE_JUMP, FaceTracker, SceneCutDetector, face_signature, frame_signature,
                                  histogram_distance, iou, signature_distance)


def box(x, y=100, size=50):
    return (x, y, size, size)


def test_iou():
    assert iou(box(0), box(0)) == 1.0
    assert iou(box(0), box(100)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou(Detection(0, 0, 10, 10, 0.9), (0, 0, 10, 10)) == 1.0


def test_ids_start_at_one_and_stay_stable_while_faces_move():
    tracker = FaceTracker()
    assert tracker.update([box(100), box(400)]) == [1, 2]
    for step in range(1, 10):
        assert tracker.update([box(400 - 5 * step), box(100 + 5 * step)]) == [2, 1]


def test_a_new_face_gets_a_new_id_and_ids_are_never_reused():
    tracker = FaceTracker(max_missed=1)
    assert tracker.update([box(100)]) == [1]
    assert tracker.update([box(100), box(300)]) == [1, 2]
    assert tracker.update([box(300)]) == [2]            # track 1 unseen once: dropped
    assert tracker.update([box(100), box(300)]) == [3, 2]


def test_track_dropped_after_max_missed_frames_unseen():
    tracker = FaceTracker(max_missed=3)
    tracker.update([box(100)])
    for _ in range(2):
        assert tracker.update([]) == []
    assert tracker.update([box(100)]) == [1]            # 2 frames unseen: still track 1
    for _ in range(3):
        tracker.update([])
    assert tracker.tracks == []
    assert tracker.update([box(100)]) == [2]            # 3 frames unseen: dropped


def test_crossing_faces_keep_their_ids():
    """Two faces walking past each other: the constant-velocity prediction keeps them apart."""
    tracker = FaceTracker(max_missed=2, min_iou=0.3)
    ids = []
    for step in range(21):
        left, right = box(100 + 15 * step, size=60), box(400 - 15 * step, size=60)
        ids.append(tracker.update([left, right]))
    assert all(frame_ids == [1, 2] for frame_ids in ids)


def test_crossing_at_different_depths():
    """A near (big) face passes in front of a far (small) one that stays still."""
    tracker = FaceTracker()
    for step in range(16):
        near, far = box(60 + 20 * step, y=80, size=120), box(300, y=120, size=40)
        assert tracker.update([far, near]) == [1, 2]


def test_faces_that_trade_places_trade_ids():
    """Documented rule: tracking follows positions; a swap in one frame swaps the ids."""
    tracker = FaceTracker()
    tracker.update([box(100), box(300)])
    assert tracker.update([box(300), box(100)]) == [2, 1]


def test_missed_face_is_found_again_where_it_was_heading():
    tracker = FaceTracker(max_missed=3, min_iou=0.3)
    for step in range(4):
        tracker.update([box(100 + 20 * step)])
    tracker.update([])                                   # unseen at 180
    assert tracker.update([box(200)]) == [1]


def test_deterministic_and_order_independent_ids_for_ties():
    runs = []
    for _ in range(2):
        tracker = FaceTracker()
        runs.append([tracker.update([box(100), box(100)]), tracker.update([box(100)]),
                     tracker.update([box(100), box(100)])])
    assert runs[0] == runs[1] == [[1, 2], [1], [1, 2]]


def test_max_missed_must_be_positive():
    with pytest.raises(ValueError):
        FaceTracker(max_missed=0)


# --- scene cuts and appearance jumps --------------------------------------------------------

def scene(seed, size=(240, 320)):
    rng = np.random.default_rng(seed)
    image = np.zeros((*size, 3), np.uint8)
    image[:] = rng.integers(0, 256, 3)
    for _ in range(8):
        x, y = (int(v) for v in rng.integers(0, 300, 2))
        cv2.rectangle(image, (x, y), (x + 60, y + 40), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    return image


def face(person, shift=0):
    """A distinct 64x64 grey 'face' per person; `shift` moves it by a pixel or two."""
    rng = np.random.default_rng(person)
    image = cv2.resize(rng.integers(0, 256, (6, 6), dtype=np.uint8).astype(np.uint8), (64, 64),
                       interpolation=cv2.INTER_CUBIC)
    return np.roll(image, shift, axis=1)


def test_scene_cut_detector():
    cuts = SceneCutDetector()
    frame = scene(1)
    assert cuts.update(frame) is False                    # first frame
    moved = np.roll(frame, 5, axis=1)
    assert cuts.update(moved) is False                    # the camera pans a little
    assert cuts.update(np.clip(moved * 1.03, 0, 255).astype(np.uint8)) is False  # auto-exposure step
    assert cuts.update(scene(2)) is True                  # another shot
    assert cuts.update(scene(2)) is False
    assert cuts.update(cv2.cvtColor(scene(3), cv2.COLOR_BGR2GRAY)) is True  # grey frames work too
    assert histogram_distance(frame_signature(frame), frame_signature(frame)) == pytest.approx(0, abs=1e-6)


def test_a_cut_ends_every_track():
    tracker = FaceTracker()
    assert tracker.update([box(100), box(300)]) == [1, 2]
    assert tracker.update([box(100), box(300)], cut=True) == [3, 4]
    assert tracker.cuts == 1
    assert tracker.update([box(100), box(300)]) == [3, 4]


def test_the_same_face_keeps_its_track_while_it_moves():
    tracker = FaceTracker()
    ids = [tracker.update([box(100 + 3 * i)], [face_signature(face(1, i % 3))]) for i in range(10)]
    assert ids == [[1]] * 10 and tracker.jumps == 0


def test_two_people_at_the_same_box_never_share_a_track():
    """Person 2 takes person 1's place with no cut: the appearance jump ends the track."""
    tracker = FaceTracker()
    for _ in range(3):
        assert tracker.update([box(100)], [face_signature(face(1))]) == [1]
    assert tracker.update([box(100)], [face_signature(face(2))]) == [2]
    assert tracker.jumps == 1
    assert signature_distance(face_signature(face(1)), face_signature(face(2))) > APPEARANCE_JUMP


def test_signatures_must_match_the_boxes():
    with pytest.raises(ValueError, match="signatures"):
        FaceTracker().update([box(100)], [])


def test_no_name_across_a_cut_through_tracker_and_identity_core():
    """Enrolled ann, then a cut to a stranger at the very same box: the stranger's frames are
    never given ann's name, and each shot's name comes from its own frames only."""
    from emotion_ros.identity import IdentityCore, IdentityResult
    from emotion_ros.labels import UNKNOWN_PERSON

    class ByPixel:
        def predict(self, crop):
            return IdentityResult("ann", 5.0, 0.9) if crop[0, 0] == 1 else IdentityResult(UNKNOWN_PERSON, 50.0, 0.0)

    cuts, tracker, core = SceneCutDetector(), FaceTracker(), IdentityCore(ByPixel())
    published = []
    for i in range(60):
        person, background = (1, scene(1)) if i < 30 else (2, scene(2))
        crop = face(person)
        crop[0, 0] = person
        ids = tracker.update([box(100)], [face_signature(crop)], cut=cuts.update(background))
        published.append(core.process(i / 30, [(ids[0], crop)])[0].name)
    assert "ann" in published[:30] and published[30:] == [UNKNOWN_PERSON] * 30
