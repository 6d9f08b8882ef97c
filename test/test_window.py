import pytest

from emotion_ros.labels import EMOTIONS, NEUTRAL
from emotion_ros.window import Confirmation, ConfirmationWindow, WindowBank

HAPPY = EMOTIONS.index("Happy")
SAD = EMOTIONS.index("Sad")
ANGRY = EMOTIONS.index("Angry")


def push_all(window, emotions):
    result = None
    for e in emotions:
        result = window.push(e)
    return result


def test_exactly_min_share_is_not_enough():
    result = push_all(ConfirmationWindow(20, 0.6), [HAPPY] * 12 + [SAD] * 8)
    assert result == Confirmation(NEUTRAL, 0.0, False, 20)


def test_strictly_more_than_min_share_confirms():
    result = push_all(ConfirmationWindow(20, 0.6), [SAD] * 7 + [HAPPY] * 13)
    assert result == Confirmation(HAPPY, 13 / 20, True, 20)


def test_window_not_full_is_neutral_even_if_unanimous():
    window = ConfirmationWindow(20, 0.6)
    for i in range(19):
        result = window.push(HAPPY)
        assert result == Confirmation(NEUTRAL, 0.0, False, i + 1)
    assert window.push(HAPPY) == Confirmation(HAPPY, 1.0, True, 20)


def test_neutral_fallback_share_is_neutrals_share_of_current_fill():
    window = ConfirmationWindow(20, 0.6)
    result = push_all(window, [NEUTRAL, NEUTRAL, HAPPY, SAD])
    assert result == Confirmation(NEUTRAL, 0.5, False, 4)


def test_dominant_neutral_is_confirmed():
    result = push_all(ConfirmationWindow(5, 0.6), [NEUTRAL] * 4 + [SAD])
    assert result == Confirmation(NEUTRAL, 0.8, True, 5)


def test_tie_is_neutral():
    result = push_all(ConfirmationWindow(20, 0.6), [HAPPY] * 10 + [SAD] * 10)
    assert not result.confirmed and result.emotion == NEUTRAL
    # with min_share below one half both classes exceed it: still a tie, still Neutral
    result = push_all(ConfirmationWindow(20, 0.4), [HAPPY] * 10 + [SAD] * 10)
    assert result == Confirmation(NEUTRAL, 0.0, False, 20)


def test_dominance_shifts_as_old_frames_leave():
    window = ConfirmationWindow(20, 0.6)
    assert push_all(window, [HAPPY] * 20).emotion == HAPPY
    results = [window.push(SAD) for _ in range(20)]
    # Happy stays confirmed while it holds >= 13 of 20 (first 7 Sad frames)
    assert all(r.emotion == HAPPY and r.confirmed for r in results[:7])
    # 8..12 Sad frames: neither holds more than 12 -> Neutral
    assert all(r.emotion == NEUTRAL and not r.confirmed for r in results[7:12])
    # from the 13th Sad frame on, Sad is confirmed
    assert all(r.emotion == SAD and r.confirmed for r in results[12:])
    assert results[12].share == 13 / 20
    assert len(window) == 20


def test_length_one_window():
    window = ConfirmationWindow(1, 0.0)
    assert window.push(SAD) == Confirmation(SAD, 1.0, True, 1)
    assert window.push(ANGRY) == Confirmation(ANGRY, 1.0, True, 1)


@pytest.mark.parametrize("length, min_share", [(0, 0.6), (-3, 0.6), (2.5, 0.6), (20, 1.0), (20, -0.1)])
def test_parameter_validation(length, min_share):
    with pytest.raises(ValueError):
        ConfirmationWindow(length, min_share)
    with pytest.raises(ValueError):
        WindowBank(length, min_share, 5.0)


def test_forget_time_validation():
    with pytest.raises(ValueError, match="forget_after_s"):
        WindowBank(20, 0.6, 0.0)


@pytest.mark.parametrize("emotion", [-1, len(EMOTIONS), 2.0, "Happy", None])
def test_bad_emotion_rejected(emotion):
    with pytest.raises(ValueError, match="emotion"):
        ConfirmationWindow(20, 0.6).push(emotion)


def test_bank_keeps_independent_windows_per_key():
    bank = WindowBank(3, 0.6, forget_after_s=5.0)
    for t in range(3):
        alice = bank.update("alice", HAPPY, float(t))
        bob = bank.update("track:7", SAD, float(t))
    assert alice == Confirmation(HAPPY, 1.0, True, 3)
    assert bob == Confirmation(SAD, 1.0, True, 3)
    assert bank.update("alice", HAPPY, 3.0).fill == 3   # each key kept its own full window
    assert bank.update("track:7", SAD, 3.0).fill == 3


def test_bank_coming_back_before_forget_time_keeps_window():
    bank = WindowBank(3, 0.6, forget_after_s=5.0)
    bank.update("alice", HAPPY, 0.0)
    bank.update("alice", HAPPY, 1.0)
    assert bank.prune(6.0) == []          # 5.0 s unseen is not more than forget_after_s
    result = bank.update("alice", HAPPY, 6.0)
    assert result == Confirmation(HAPPY, 1.0, True, 3)


def test_bank_coming_back_after_forget_time_starts_empty():
    bank = WindowBank(3, 0.6, forget_after_s=5.0)
    bank.update("alice", HAPPY, 0.0)
    bank.update("alice", HAPPY, 1.0)
    bank.update("bob", SAD, 5.0)
    assert bank.prune(6.5) == ["alice"]
    assert bank.update("bob", SAD, 7.0).fill == 2        # bob's window was kept
    assert bank.update("alice", HAPPY, 7.0).fill == 1    # alice's was dropped


def test_bank_forgets_on_update_even_without_prune():
    bank = WindowBank(3, 0.6, forget_after_s=5.0)
    bank.update("alice", HAPPY, 0.0)
    bank.update("alice", HAPPY, 1.0)
    assert bank.update("alice", HAPPY, 10.0).fill == 1

