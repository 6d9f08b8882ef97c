"""Per-track evidence (identity.evidence) and the identity node's core (identity.core)."""

import threading
import time

import numpy as np
import pytest

from emotion_ros.identity import IdentityCore, IdentityResult
from emotion_ros.identity.evidence import EVIDENCE, EvidenceConfig, TrackEvidence
from emotion_ros.labels import UNKNOWN_PERSON

CONFIG = EvidenceConfig(window=10, min_frames=3, min_support=1.0, min_share=0.3, dominance=2.0, revert_after=5)


def hit(name, confidence=0.5):
    return IdentityResult(name, 10.0, confidence)


MISS = IdentityResult(UNKNOWN_PERSON, 50.0, 0.0)


def feed(evidence, track, results):
    return [evidence.add(track, r).name for r in results]


def test_unknown_until_enough_frames_agree():
    names = feed(TrackEvidence(CONFIG), 1, [hit("ann")] * 4)
    assert names == [UNKNOWN_PERSON, UNKNOWN_PERSON, "ann", "ann"]


def test_confidence_weighs_the_evidence():
    """Three frames agree, but at confidence 0.1 they hold too little support to name anyone."""
    evidence = TrackEvidence(CONFIG)
    assert feed(evidence, 1, [hit("ann", 0.1)] * 5)[-1] == UNKNOWN_PERSON
    assert evidence.add(1, hit("ann", 0.9)).name == "ann"
    decision = evidence.decision(1)
    assert decision.frames == 6 and decision.confidence == pytest.approx((5 * 0.1 + 0.9) / 6)


def test_rare_matches_among_many_misses_do_not_name_a_stranger():
    """A stranger matched now and then (3 of 10 frames is the share needed; 2 are not enough)."""
    evidence = TrackEvidence(CONFIG)
    names = feed(evidence, 1, ([MISS] * 4 + [hit("ann", 0.9)]) * 6)
    assert set(names) == {UNKNOWN_PERSON}


def test_a_contested_track_stays_unknown():
    evidence = TrackEvidence(CONFIG)
    names = feed(evidence, 1, [hit("ann"), hit("bob")] * 5)
    assert set(names) == {UNKNOWN_PERSON}


def test_the_name_is_re_decided_when_the_evidence_turns():
    evidence = TrackEvidence(CONFIG)
    feed(evidence, 1, [hit("ann")] * 5)
    names = feed(evidence, 1, [hit("bob")] * 10)
    assert names[0] == "ann"                       # one frame does not turn it
    assert names[-1] == "bob" and names.index("bob") <= 7


def test_a_named_track_survives_misses_but_not_a_run_of_them():
    evidence = TrackEvidence(CONFIG)
    feed(evidence, 1, [hit("ann")] * 3)
    assert feed(evidence, 1, [MISS, MISS, hit("ann"), MISS])[-1] == "ann"
    assert feed(evidence, 1, [MISS] * 5)[-1] == UNKNOWN_PERSON


def test_tracks_are_independent_and_forgotten():
    evidence = TrackEvidence(CONFIG)
    feed(evidence, 1, [hit("ann")] * 3)
    assert evidence.add(2, hit("ann")).name == UNKNOWN_PERSON
    evidence.forget([1])
    assert 1 not in evidence and evidence.decision(1).name == UNKNOWN_PERSON
    assert evidence.add(1, hit("ann")).name == UNKNOWN_PERSON       # fresh evidence


def test_bad_config():
    with pytest.raises(ValueError):
        EvidenceConfig(window=0)
    with pytest.raises(ValueError):
        EvidenceConfig(dominance=0.5)
    assert set(EVIDENCE) == {"lbph", "descriptor"}


class FakeIdentifier:
    """Names a crop after its first pixel (1 = ann, 2 = bob, else unknown); counts calls."""

    backend = "fake"

    def __init__(self, delay_s=0.0):
        self.delay_s = delay_s
        self.calls = 0
        self.threads = set()

    def predict(self, crop):
        self.calls += 1
        self.threads.add(threading.get_ident())
        time.sleep(self.delay_s)
        value = int(crop[0, 0])
        if value == 255:
            raise ValueError("crop is broken")
        return hit({1: "ann", 2: "bob"}.get(value, UNKNOWN_PERSON), 0.9) if value in (1, 2) else MISS


def crop(value):
    return np.full((8, 8), value, np.uint8)


def test_core_names_a_track_once_its_frames_agree_and_a_new_track_starts_unknown():
    core = IdentityCore(FakeIdentifier(), evidence=CONFIG)
    names = [core.process(i / 30, [(1, crop(1))])[0].name for i in range(4)]
    assert names == [UNKNOWN_PERSON, UNKNOWN_PERSON, "ann", "ann"]
    # the tracker ended track 1 at a cut: bob at the same place is a new track, unknown at first
    assert core.process(4 / 30, [(2, crop(2))])[0].name == UNKNOWN_PERSON


def test_core_rate_bound_per_track():
    fake = FakeIdentifier()
    core = IdentityCore(fake, rate_hz=5.0, asynchronous=False, evidence=CONFIG)
    for i in range(30):                           # one second at 30 FPS, two tracks
        core.process(i / 30, [(1, crop(1)), (2, crop(2))])
    assert fake.calls == 2 * 5


def test_core_forgets_tracks_that_ended():
    core = IdentityCore(FakeIdentifier(), evidence=CONFIG, forget_after_s=1.0)
    for i in range(3):
        core.process(i / 30, [(1, crop(1))])
    assert 1 in core.evidence
    core.process(2.0, [(2, crop(0))])
    assert 1 not in core.evidence


def test_slow_backend_runs_off_the_frame_path():
    """A 100 ms identifier on a worker: every frame returns at once with the current decision."""
    fake = FakeIdentifier(delay_s=0.1)
    core = IdentityCore(fake, rate_hz=5.0, asynchronous=True, evidence=CONFIG)
    try:
        durations, names = [], []
        for i in range(45):                        # 1.5 s of 30 FPS video, paced in real time
            start = time.perf_counter()
            names.append(core.process(i / 30, [(1, crop(1))])[0].name)
            durations.append(time.perf_counter() - start)
            time.sleep(1 / 30)
        assert max(durations) < 0.05
        assert threading.get_ident() not in fake.threads
        assert names[0] == UNKNOWN_PERSON
        assert core.wait_idle()
        assert core.process(1.6, [(1, crop(1))])[0].name == "ann"
        assert fake.calls <= 9                      # at most 5 a second
    finally:
        core.close()


def test_core_reports_bad_crops_and_goes_on():
    core = IdentityCore(FakeIdentifier(), evidence=CONFIG)
    decisions = core.process(0.0, [(1, crop(255)), (2, crop(1))])
    assert [d.name for d in decisions] == [UNKNOWN_PERSON, UNKNOWN_PERSON]
    assert core.problems() == ["face crop skipped: crop is broken"] and core.problems() == []


def test_core_defaults_per_backend():
    class Descriptor(FakeIdentifier):
        backend = "descriptor"
    core = IdentityCore(Descriptor())
    try:
        assert core.rate_hz == 5.0 and core._worker is not None and core.evidence.config == EVIDENCE["descriptor"]
    finally:
        core.close()
    with pytest.raises(ValueError):
        IdentityCore(FakeIdentifier(), rate_hz=-1)
