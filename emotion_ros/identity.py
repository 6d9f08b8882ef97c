"""Who is in front of the robot: a folder of enrolled face photos and an LBPH recogniser.

`FaceStore` keeps one folder per person with numbered PNG grey crops (``0001.png``, ...);
removing a bad photo is deleting its file. `LbphIdentifier` trains OpenCV's LBPH
recogniser on the store and names a face after the person with the nearest enrolled photo,
or `UNKNOWN_PERSON` when that distance exceeds a threshold or when the second-nearest
person is almost as near (a ratio test).
"""

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.preprocessing import to_gray

# Rejection settings (LbphIdentifier: distance <= threshold AND ratio <= max_ratio), chosen with
# scripts/evaluate_identity.py on the ORL faces (the 23x28 copy; s1..s30 enrolled with photos 1-5
# and tested on 6-10, s31..s40 as strangers; grid 4x4, radius 1, 8 neighbours, 100x100 equalised
# crops): the pair with the most correct names among those rejecting >= 90 % of strangers, from
# thresholds in steps of 0.1 and max_ratio in steps of 0.01. At 11.6 / 0.89: 92.7 % of enrolled
# test photos get the correct name (0 % a wrong one, 7.3 % rejected), 91.0 % of strangers rejected.
# The plain threshold rule (max_ratio 1.0) does best at 10.4: 91.3 % / 90.0 %. Confirmed on the
# script's cross-check split, not used for the choice (s11..s40 enrolled with photos 6-10, strangers
# s1..s10): 91.3 % correct, 0 % wrong, 91.0 % strangers rejected (plain 10.4: 88.7 % / 89.0 %).
# The goal of 95 % correct with 90 % of strangers rejected is still not reached: grid/radius variants
# reach 92-93 %; other decision rules tried (mean of each person's 2 nearest photos, distances
# divided by per-person or per-photo spreads, cohort/z-score normalisation) reach 91-94 % on the main
# split, and the one at 95.3 % (distance / the photo's nearest other-person photo) fell to 92.0 % /
# 89 % on the cross-check. Distances depend on grid, radius and on how crops are made (camera,
# detector, resampling): re-run the script or re-tune for other conditions.
DEFAULT_THRESHOLD = 11.6
DEFAULT_RATIO = 0.89
CROP_SIZE = 100
GRID = 4
MIN_CROP_SIDE = 8

_PHOTO = re.compile(r"^(\d+)\.png$")


@dataclass(frozen=True)
class IdentityResult:
    name: str           # enrolled name or UNKNOWN_PERSON
    distance: float     # LBPH distance to the best match (the nearest enrolled photo)
    confidence: float   # 0..1: 1 - distance / threshold when named, 0 when unknown
    ratio: float = 0.0  # distance / the nearest photo of the second-nearest person (0: one person)


def default_store_dir() -> Path:
    """`$XDG_DATA_HOME/emotion_ros/faces`, or `~/.local/share/emotion_ros/faces`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "emotion_ros" / "faces"


def default_model_path(store_dir: str | os.PathLike | None = None) -> Path:
    """`lbph_model.yml` beside the face store (the store's parent directory)."""
    return Path(store_dir if store_dir is not None else default_store_dir()).absolute().parent / "lbph_model.yml"


def validate_name(name: str) -> str:
    """Return `name` if it can be a person's folder name, else raise ValueError."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"person name must be a non-empty string, got {name!r}")
    if name != name.strip() or name.startswith("."):
        raise ValueError(f"person name must not start with '.' or have surrounding spaces: {name!r}")
    if "/" in name or "\\" in name or any(ord(c) < 32 for c in name):
        raise ValueError(f"person name must not contain path separators or control characters: {name!r}")
    if name.lower() == UNKNOWN_PERSON:
        raise ValueError(f"{UNKNOWN_PERSON!r} is reserved for faces that match nobody")
    return name


def normalize_crop(crop: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """The one LBPH input normalisation, for training and prediction alike.

    Grey, resized to `size` x `size` (area interpolation when shrinking), histogram equalised.
    """
    gray = to_gray(crop, MIN_CROP_SIDE)
    shrinking = gray.shape[0] * gray.shape[1] > size * size
    gray = cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return cv2.equalizeHist(gray)


class FaceStore:
    """A folder per person holding numbered PNG grey face crops."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_store_dir()

    def person_dir(self, name: str) -> Path:
        return self.root / validate_name(name)

    def add(self, name: str, crop: np.ndarray) -> Path:
        """Save `crop` as the person's next numbered PNG and return its path."""
        gray = np.ascontiguousarray(to_gray(crop, MIN_CROP_SIDE))
        folder = self.person_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _PHOTO.match(p.name))]
        path = folder / f"{max(numbers, default=0) + 1:04d}.png"
        if not cv2.imwrite(str(path), gray):
            raise OSError(f"could not write face photo {path}")
        return path

    def people(self) -> list[str]:
        """Sorted names of the people with at least one photo."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and self.images(p.name))

    def images(self, name: str) -> list[Path]:
        """The person's photos in number order (other files such as a contact sheet are ignored)."""
        folder = self.person_dir(name)
        if not folder.is_dir():
            return []
        photos = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _PHOTO.match(p.name))]
        return [p for _, p in sorted(photos)]

    def load(self) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
        """All photos as (grey crops, int32 labels indexing `names`, sorted names)."""
        crops, labels = [], []
        names = self.people()
        for label, name in enumerate(names):
            for path in self.images(name):
                image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                if image is None:
                    raise OSError(f"could not read face photo {path}; delete or replace it")
                crops.append(image)
                labels.append(label)
        return crops, np.asarray(labels, np.int32), names


class LbphIdentifier:
    """OpenCV LBPH face recogniser with two rejection rules.

    A face is named after the person owning the nearest enrolled photo when both hold:
    its LBPH distance is at most `threshold`, and `ratio` = that distance divided by the
    distance to the nearest photo of any *other* person is at most `max_ratio` (the match
    must be clearly better than the runner-up). `max_ratio=1.0` turns the ratio test off
    (plain thresholding); with a single enrolled person the ratio is 0.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, *, max_ratio: float = DEFAULT_RATIO,
                 radius: int = 1, neighbors: int = 8, grid_x: int = GRID, grid_y: int = GRID,
                 crop_size: int = CROP_SIZE):
        if not threshold > 0:
            raise ValueError(f"threshold must be > 0, got {threshold!r}")
        if not 0 < max_ratio <= 1:
            raise ValueError(f"max_ratio must be in (0, 1], got {max_ratio!r}")
        self.threshold = float(threshold)
        self.max_ratio = float(max_ratio)
        self.crop_size = int(crop_size)
        self.names: list[str] = []
        self._model = cv2.face.LBPHFaceRecognizer_create(
            radius=radius, neighbors=neighbors, grid_x=grid_x, grid_y=grid_y)

    @property
    def trained(self) -> bool:
        return bool(self.names)

    def train(self, crops, labels, names) -> None:
        """Train on grey crops with labels indexing `names` (every name needs a photo)."""
        names = [validate_name(n) for n in names]
        labels = np.asarray(labels, np.int32).reshape(-1)
        if len(crops) == 0:
            raise ValueError("no face photos to train on; enrol people first "
                             "(python -m emotion_ros.tools.enrol)")
        if len(crops) != len(labels):
            raise ValueError(f"{len(crops)} crops but {len(labels)} labels")
        if labels.min() < 0 or labels.max() >= len(names):
            raise ValueError(f"labels must index the {len(names)} names")
        missing = sorted(set(range(len(names))) - set(labels.tolist()))
        if missing:
            raise ValueError(f"no photos for {[names[i] for i in missing]}")
        self._model.train([normalize_crop(c, self.crop_size) for c in crops], labels)
        self.names = names

    def train_from_store(self, store: FaceStore) -> None:
        """Train on every photo of `store`."""
        crops, labels, names = store.load()
        if not crops:
            raise ValueError(f"face store {store.root} has no photos; enrol people first "
                             "(python -m emotion_ros.tools.enrol)")
        self.train(crops, labels, names)

    def distance(self, gray_crop: np.ndarray) -> tuple[int, float]:
        """(label of the nearest enrolled photo, its LBPH distance), no threshold applied."""
        if not self.trained:
            raise RuntimeError("LBPH identifier is not trained; call train(), train_from_store() or load()")
        label, dist = self._model.predict(normalize_crop(gray_crop, self.crop_size))
        return int(label), float(dist)

    def person_distances(self, gray_crop: np.ndarray) -> np.ndarray:
        """LBPH distance from the face to each person's nearest enrolled photo, indexed like
        `names` (float64; the minimum is `distance()`'s distance)."""
        if not self.trained:
            raise RuntimeError("LBPH identifier is not trained; call train(), train_from_store() or load()")
        collector = cv2.face.StandardCollector_create()
        self._model.predict_collect(normalize_crop(gray_crop, self.crop_size), collector)
        results = np.asarray(collector.getResults(False), np.float64).reshape(-1, 2)
        nearest = np.full(len(self.names), np.inf)
        np.minimum.at(nearest, results[:, 0].astype(np.intp), results[:, 1])
        return nearest

    @staticmethod
    def best_and_ratio(person_distances: np.ndarray) -> tuple[int, float, float]:
        """(index of the nearest person, its distance, that distance / the second-nearest
        person's); the ratio is 0 with one person and 1 when both distances are 0."""
        order = np.argsort(person_distances, kind="stable")
        best = float(person_distances[order[0]])
        second = float(person_distances[order[1]]) if len(order) > 1 else math.inf
        ratio = best / second if second > 0 else 1.0
        return int(order[0]), best, ratio

    def predict(self, gray_crop: np.ndarray) -> IdentityResult:
        """Name of the best match, or `UNKNOWN_PERSON` when its distance exceeds `threshold`
        or its ratio to the second-nearest person exceeds `max_ratio`."""
        label, dist, ratio = self.best_and_ratio(self.person_distances(gray_crop))
        if dist <= self.threshold and ratio <= self.max_ratio:
            return IdentityResult(self.names[label], dist, 1.0 - dist / self.threshold, ratio)
        return IdentityResult(UNKNOWN_PERSON, dist, 0.0, ratio)

    @staticmethod
    def names_path(path: str | os.PathLike) -> Path:
        """The JSON file beside a model file: names, threshold, max_ratio and crop size."""
        return Path(path).with_suffix(".json")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the LBPH model to `path` (.yml) and its names/settings JSON beside it."""
        if not self.trained:
            raise RuntimeError("cannot save an untrained LBPH identifier")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._model.write(str(path))
        meta = {"names": self.names, "threshold": self.threshold, "max_ratio": self.max_ratio,
                "crop_size": self.crop_size}
        self.names_path(path).write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, threshold: float | None = None,
             max_ratio: float | None = None) -> "LbphIdentifier":
        """Read a model written by `save`; `threshold` and `max_ratio` override the saved ones.

        A model saved before the ratio test existed (no "max_ratio" in its JSON) loads with
        max_ratio 1.0, i.e. the plain threshold rule it was saved with."""
        path, meta_path = Path(path), cls.names_path(path)
        for required in (path, meta_path):
            if not required.is_file():
                raise FileNotFoundError(f"LBPH model file not found: {required} "
                                        "(train one with python -m emotion_ros.tools.train_identity)")
        meta = json.loads(meta_path.read_text())
        ident = cls(threshold if threshold is not None else meta["threshold"],
                    max_ratio=max_ratio if max_ratio is not None else meta.get("max_ratio", 1.0),
                    crop_size=meta["crop_size"])
        ident._model.read(str(path))
        ident.names = [validate_name(n) for n in meta["names"]]
        if not ident.names:
            raise ValueError(f"LBPH model {path} lists no people")
        labels = np.asarray(ident._model.getLabels(), np.intp).reshape(-1)
        if len(labels) == 0 or labels.min() < 0 or labels.max() >= len(ident.names):
            raise ValueError(f"LBPH model {path} does not match the {len(ident.names)} names of {meta_path}")
        return ident
