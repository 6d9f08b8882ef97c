"""One frame's identity decision, shared by every back-end: the nearest enrolled person is named
when its distance is at most `threshold` and at most `max_ratio` times the second-nearest
person's (a ratio test; 1.0 turns it off); otherwise the face is `UNKNOWN_PERSON`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from emotion_ros.identity.store import validate_name
from emotion_ros.labels import UNKNOWN_PERSON


@dataclass(frozen=True)
class IdentityResult:
    name: str           # enrolled name or UNKNOWN_PERSON
    distance: float     # distance to the best match (the nearest enrolled photo)
    confidence: float   # 0..1: 1 - distance / threshold when named, 0 when unknown
    ratio: float = 0.0  # distance / the nearest photo of the second-nearest person (0: one person)


def best_and_ratio(person_distances: np.ndarray) -> tuple[int, float, float]:
    """(index of the nearest person, its distance, that distance / the second-nearest
    person's); the ratio is 0 with one person and 1 when both distances are 0."""
    order = np.argsort(person_distances, kind="stable")
    best = float(person_distances[order[0]])
    second = float(person_distances[order[1]]) if len(order) > 1 else math.inf
    ratio = best / second if second > 0 else 1.0
    return int(order[0]), best, ratio


def decide(person_distances: np.ndarray, names: list[str], threshold: float, max_ratio: float) -> IdentityResult:
    """The `IdentityResult` for one face's distances to each person (indexed like `names`)."""
    label, dist, ratio = best_and_ratio(person_distances)
    if dist <= threshold and ratio <= max_ratio:
        return IdentityResult(names[label], dist, 1.0 - dist / threshold, ratio)
    return IdentityResult(UNKNOWN_PERSON, dist, 0.0, ratio)


def check_rule(threshold: float, max_ratio: float) -> None:
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    if not 0 < max_ratio <= 1:
        raise ValueError(f"max_ratio must be in (0, 1], got {max_ratio!r}")


def check_training(crops, labels, names) -> tuple[list[str], np.ndarray]:
    """Validated (names, int32 labels) for training on `crops`; ValueError naming the problem."""
    names = [validate_name(n) for n in names]
    labels = np.asarray(labels, np.int32).reshape(-1)
    if len(crops) == 0:
        raise ValueError("no face photos to train on; enrol people first (python -m emotion_ros.tools.enrol)")
    if len(crops) != len(labels):
        raise ValueError(f"{len(crops)} crops but {len(labels)} labels")
    if labels.min() < 0 or labels.max() >= len(names):
        raise ValueError(f"labels must index the {len(names)} names")
    missing = sorted(set(range(len(names))) - set(labels.tolist()))
    if missing:
        raise ValueError(f"no photos for {[names[i] for i in missing]}")
    return names, labels
