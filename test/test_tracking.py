import pytest

from emotion_ros.detection import Detection
from emotion_ros.tracking import FaceTracker, iou


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
