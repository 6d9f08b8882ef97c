"""LBPH back-end: OpenCV's local-binary-pattern histograms on the face region of the identity crop.

`LbphIdentifier` is trained on the store's aligned crops, each also in a few augmented copies
(mirrored, turned by +-ROTATION_DEG, darker and brighter by a gamma), and names a face after
the person owning the nearest enrolled copy (`decision.decide`: threshold and ratio test).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.identity.align import ALIGNED_SIZE, EYE_DISTANCE, EYE_Y
from emotion_ros.identity.decision import IdentityResult, best_and_ratio, check_rule, check_training, decide
from emotion_ros.identity.store import MIN_CROP_SIDE, FaceStore, private_file, validate_name
from emotion_ros.preprocessing import to_gray

# Rejection settings, chosen with scripts/evaluate_identity.py on full-resolution ORL (its
# docstring and README "Identity"): the most correct names with every stranger photo of the
# tuning split rejected (88.0 % named, 0.7 % wrong, 11.3 % rejected; confirmation split: 85.3 %
# named, 98 % of strangers rejected). Not the "<= 5 % false rejects" point (38.8 / 0.95: only
# 75 % of strangers rejected): in a video a stranger's frames are alike, so a stranger accepted
# once is accepted on most frames, while an enrolled person needs only a share of his frames named
# (identity.evidence); scripts/benchmark_identity_video.py named strangers at the looser settings.
DEFAULT_THRESHOLD = 23.7
DEFAULT_RATIO = 0.90
# The LBPH face region of the aligned crop, in eye distances: above and below the eye line, and
# half its width; resized to REGION_SIZE (w, h); LBP radius and grid. Chosen on the tuning split
# among a few variants (regions, sizes, grids 3x4..8x8, radius 1-2, with and without
# augmentation): this one gave the best closed set and open-set trade-off.
REGION = (0.7, 1.6, 1.0)
REGION_SIZE = (64, 76)
RADIUS, GRID, GRID_Y = 2, 4, 5     # LBP radius (8 neighbours); histogram cells across and down
ROTATION_DEG = 6.0
GAMMAS = (0.8, 1.25)


def face_region(crop: np.ndarray) -> np.ndarray:
    """The LBPH input: the face region of an aligned identity crop (any square size), grey,
    REGION_SIZE. ValueError names a bad crop."""
    gray = to_gray(crop, MIN_CROP_SIDE)
    height, width = gray.shape
    eye_distance, eye_y = EYE_DISTANCE * width, EYE_Y * height
    above, below, half = REGION
    y0, y1 = max(0, round(eye_y - above * eye_distance)), min(height, round(eye_y + below * eye_distance))
    x0, x1 = max(0, round(width / 2 - half * eye_distance)), min(width, round(width / 2 + half * eye_distance))
    region = gray[y0:y1, x0:x1]
    shrinking = region.shape[0] * region.shape[1] > REGION_SIZE[0] * REGION_SIZE[1]
    return cv2.resize(region, REGION_SIZE, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def augment(crop: np.ndarray) -> list[np.ndarray]:
    """The crop and its enrolment variants: mirrored, turned by -+ROTATION_DEG about the eyes'
    midpoint, and each gamma of GAMMAS (grey, same size as the crop)."""
    gray = to_gray(crop, MIN_CROP_SIDE)
    height, width = gray.shape
    centre = (width / 2, EYE_Y * height)
    variants = [gray, cv2.flip(gray, 1)]
    for angle in (-ROTATION_DEG, ROTATION_DEG):
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        variants.append(cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_REPLICATE))
    for gamma in GAMMAS:
        table = np.clip(255.0 * (np.arange(256) / 255.0) ** gamma + 0.5, 0, 255).astype(np.uint8)
        variants.append(cv2.LUT(gray, table))
    return variants


class LbphIdentifier:
    """OpenCV LBPH face recogniser with the shared rejection rule (`decision.decide`).

    `max_ratio=1.0` turns the ratio test off; `augmented=False` trains on the photos only.
    """

    backend = "lbph"

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, *, max_ratio: float = DEFAULT_RATIO,
                 radius: int = RADIUS, neighbors: int = 8, grid_x: int = GRID, grid_y: int = GRID_Y,
                 augmented: bool = True):
        check_rule(threshold, max_ratio)
        self.threshold = float(threshold)
        self.max_ratio = float(max_ratio)
        self.augmented = bool(augmented)
        self.names: list[str] = []
        self._model = cv2.face.LBPHFaceRecognizer_create(
            radius=radius, neighbors=neighbors, grid_x=grid_x, grid_y=grid_y)

    @property
    def trained(self) -> bool:
        return bool(self.names)

    def train(self, crops, labels, names) -> None:
        """Train on aligned grey crops with labels indexing `names` (every name needs a photo)."""
        names, labels = check_training(crops, labels, names)
        regions, expanded = [], []
        for crop, label in zip(crops, labels):
            for variant in (augment(crop) if self.augmented else [crop]):
                regions.append(face_region(variant))
                expanded.append(label)
        self._model.train(regions, np.asarray(expanded, np.int32))
        self.names = names

    def train_from_store(self, store: FaceStore) -> None:
        """Train on every photo of `store`."""
        self.train(*store.training_set())

    def _check_trained(self):
        if not self.trained:
            raise RuntimeError("LBPH identifier is not trained; call train(), train_from_store() or load()")

    def person_distances(self, crop: np.ndarray) -> np.ndarray:
        """LBPH distance from the face to each person's nearest enrolled photo, indexed like
        `names` (float64)."""
        self._check_trained()
        collector = cv2.face.StandardCollector_create()
        self._model.predict_collect(face_region(crop), collector)
        results = np.asarray(collector.getResults(False), np.float64).reshape(-1, 2)
        nearest = np.full(len(self.names), np.inf)
        np.minimum.at(nearest, results[:, 0].astype(np.intp), results[:, 1])
        return nearest

    best_and_ratio = staticmethod(best_and_ratio)

    def predict(self, crop: np.ndarray) -> IdentityResult:
        """Name of the best match, or `UNKNOWN_PERSON` (`decision.decide`)."""
        return decide(self.person_distances(crop), self.names, self.threshold, self.max_ratio)

    @staticmethod
    def names_path(path: str | os.PathLike) -> Path:
        """The JSON file beside a model file: names, threshold and max_ratio."""
        return Path(path).with_suffix(".json")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the LBPH model to `path` (.yml) and its names/settings JSON beside it, owner-only."""
        if not self.trained:
            raise RuntimeError("cannot save an untrained LBPH identifier")
        path = private_file(path)
        self._model.write(str(path))
        meta = {"names": self.names, "threshold": self.threshold, "max_ratio": self.max_ratio,
                "region": list(REGION), "region_size": list(REGION_SIZE), "aligned_size": ALIGNED_SIZE}
        private_file(self.names_path(path)).write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, threshold: float | None = None,
             max_ratio: float | None = None) -> "LbphIdentifier":
        """Read a model written by `save`; `threshold` and `max_ratio` override the saved ones."""
        path, meta_path = Path(path), cls.names_path(path)
        for required in (path, meta_path):
            if not required.is_file():
                raise FileNotFoundError(f"LBPH model file not found: {required} "
                                        "(train one with python -m emotion_ros.tools.train_identity)")
        meta = json.loads(meta_path.read_text())
        if meta.get("region") != list(REGION) or meta.get("region_size") != list(REGION_SIZE):
            raise ValueError(f"LBPH model {path} was trained on other face crops; enrol again and "
                             "re-train (python -m emotion_ros.tools.train_identity)")
        ident = cls(threshold if threshold is not None else meta["threshold"],
                    max_ratio=max_ratio if max_ratio is not None else meta.get("max_ratio", 1.0))
        ident._model.read(str(path))
        ident.names = [validate_name(n) for n in meta["names"]]
        if not ident.names:
            raise ValueError(f"LBPH model {path} lists no people")
        labels = np.asarray(ident._model.getLabels(), np.intp).reshape(-1)
        if len(labels) == 0 or labels.min() < 0 or labels.max() >= len(ident.names):
            raise ValueError(f"LBPH model {path} does not match the {len(ident.names)} names of {meta_path}")
        return ident
