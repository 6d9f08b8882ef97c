"""Per-track identity evidence: a track is named only once enough of its frames agree.

Each track keeps its last `window` per-frame results (`IdentityResult`). The leading name is
the one with the largest support (sum of confidences). It is published when
- at least `min_frames` results in the window name it,
- its support is at least `min_support` (a few low-confidence matches are not enough),
- it names at least `min_share` of the window's results (so a rare false accept of a stranger
  does not name him), and
- its support is at least `dominance` times that of any other name.
Until then the track is `UNKNOWN_PERSON`. A published name stays while no other name
qualifies; it goes back to `unknown` after `revert_after` consecutive unknown results, and
another name that qualifies with more support takes over (the evidence turned). A track id is
never reused (the tracker ends tracks at scene cuts and appearance jumps), so a new track
starts with no evidence; `forget` drops the evidence of tracks that ended.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from emotion_ros.identity.decision import IdentityResult
from emotion_ros.labels import UNKNOWN_PERSON


@dataclass(frozen=True)
class EvidenceConfig:
    window: int = 30
    min_frames: int = 3
    min_support: float = 0.5
    min_share: float = 0.2
    dominance: float = 2.0
    revert_after: int = 30

    def __post_init__(self):
        if self.window < 1 or self.min_frames < 1 or self.revert_after < 1:
            raise ValueError(f"window, min_frames and revert_after must be >= 1: {self}")
        if not 0 <= self.min_share <= 1 or self.dominance < 1 or self.min_support < 0:
            raise ValueError(f"need 0 <= min_share <= 1, dominance >= 1, min_support >= 0: {self}")


# Per back-end (frames for LBPH, which runs on every frame; descriptor results come a few per
# second). Chosen with scripts/benchmark_identity_video.py: no wrong name on its sequence.
EVIDENCE = {
    "lbph": EvidenceConfig(window=30, min_frames=3, min_support=0.5, min_share=0.2, revert_after=30),
    "descriptor": EvidenceConfig(window=10, min_frames=2, min_support=0.3, min_share=0.3, revert_after=5),
}


@dataclass(frozen=True)
class Decision:
    name: str                 # published name or UNKNOWN_PERSON
    confidence: float         # mean confidence of the window's results naming it; 0 when unknown
    frames: int = 0           # results in the window naming it
    observed: int = 0         # results in the window
    distance: float = float("nan")  # the latest result's distance to its best match


UNDECIDED = Decision(UNKNOWN_PERSON, 0.0)


@dataclass
class _Track:
    results: deque = field(default_factory=deque)
    name: str = UNKNOWN_PERSON
    unknown_run: int = 0


class TrackEvidence:
    """`add(track_id, result) -> Decision`; `decision(track_id)`; `forget(track_ids)`."""

    def __init__(self, config: EvidenceConfig = EvidenceConfig()):
        self.config = config
        self._tracks: dict[int, _Track] = {}

    def __contains__(self, track_id: int) -> bool:
        return track_id in self._tracks

    def __len__(self) -> int:
        return len(self._tracks)

    def add(self, track_id: int, result: IdentityResult) -> Decision:
        cfg = self.config
        track = self._tracks.setdefault(track_id, _Track(deque(maxlen=cfg.window)))
        track.results.append(result)
        track.unknown_run = track.unknown_run + 1 if result.name == UNKNOWN_PERSON else 0
        support, frames = Counter(), Counter()
        for r in track.results:
            if r.name != UNKNOWN_PERSON:
                support[r.name] += r.confidence
                frames[r.name] += 1
        qualified = None
        if support:
            leader, best = support.most_common(1)[0]
            runner_up = max((s for n, s in support.items() if n != leader), default=0.0)
            if (frames[leader] >= cfg.min_frames and best >= cfg.min_support
                    and frames[leader] >= cfg.min_share * len(track.results) and best >= cfg.dominance * runner_up):
                qualified = leader
        if qualified is not None:
            track.name = qualified
        elif track.unknown_run >= cfg.revert_after:
            track.name = UNKNOWN_PERSON
        return self.decision(track_id)

    def decision(self, track_id: int) -> Decision:
        track = self._tracks.get(track_id)
        if track is None:
            return UNDECIDED
        latest = track.results[-1].distance if track.results else float("nan")
        if track.name == UNKNOWN_PERSON:
            return Decision(UNKNOWN_PERSON, 0.0, 0, len(track.results), latest)
        named = [r.confidence for r in track.results if r.name == track.name]
        return Decision(track.name, sum(named) / len(named) if named else 0.0, len(named), len(track.results), latest)

    def forget(self, track_ids) -> None:
        for track_id in track_ids:
            self._tracks.pop(track_id, None)
