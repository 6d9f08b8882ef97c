"""The face store: a folder per person of numbered PNG identity crops, private to the user.

Faces are biometric data: the store's folders are created 0700 and its files 0600. A photo
whose pixels are already in the store (under any name) is refused (`DuplicatePhoto`), so the
same picture cannot be enrolled twice or under two names. The identity models trained on the
store live inside it (`model_path`), so two stores in one folder never share a model file.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.identity.align import ALIGNED_SIZE
from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.preprocessing import to_gray

MIN_CROP_SIDE = 8
DIR_MODE, FILE_MODE = 0o700, 0o600
MODEL_FILES = {"lbph": "lbph_model.yml", "descriptor": "descriptor_model.npz"}

_PHOTO = re.compile(r"^(\d+)\.png$")


class DuplicatePhoto(ValueError):
    """The photo is already in the store."""


def default_store_dir() -> Path:
    """`$XDG_DATA_HOME/emotion_ros/faces`, or `~/.local/share/emotion_ros/faces`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "emotion_ros" / "faces"


def model_path(store_dir: str | os.PathLike | None = None, backend: str = "lbph") -> Path:
    """The `backend`'s model file inside the face store (default store when None)."""
    if backend not in MODEL_FILES:
        raise ValueError(f"unknown identity backend {backend!r}; expected one of {', '.join(MODEL_FILES)}")
    return Path(store_dir if store_dir is not None else default_store_dir()) / MODEL_FILES[backend]


def private_file(path: str | os.PathLike) -> Path:
    """Create (or keep) `path` as an owner-only file, its folder owner-only; returns the path."""
    path = Path(path)
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def private_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


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


def pixel_hash(gray: np.ndarray) -> str:
    """sha256 of a grey image's shape and pixels (what the store compares to refuse duplicates)."""
    gray = np.ascontiguousarray(gray)
    return hashlib.sha256(repr(gray.shape).encode() + gray.tobytes()).hexdigest()


class FaceStore:
    """A folder per person holding numbered PNG grey identity crops (`align.align_face`)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_store_dir()
        self._hashes: dict[str, Path] | None = None

    def person_dir(self, name: str) -> Path:
        return self.root / validate_name(name)

    def model_path(self, backend: str = "lbph") -> Path:
        return model_path(self.root, backend)

    def find(self, crop: np.ndarray) -> Path | None:
        """The stored photo with exactly these pixels, or None."""
        return self._known().get(pixel_hash(to_gray(crop, MIN_CROP_SIDE)))

    def add(self, name: str, crop: np.ndarray) -> Path:
        """Save `crop` as the person's next numbered PNG (owner-only) and return its path;
        DuplicatePhoto when the same pixels are already stored."""
        gray = np.ascontiguousarray(to_gray(crop, MIN_CROP_SIDE))
        folder = self.person_dir(name)
        digest = pixel_hash(gray)
        known = self._known()
        if digest in known:
            raise DuplicatePhoto(f"this photo is already enrolled as {known[digest]}")
        ok, png = cv2.imencode(".png", gray)
        if not ok:
            raise OSError(f"could not encode a face photo for {name}")
        private_dir(self.root)
        private_dir(folder)
        numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _PHOTO.match(p.name))]
        path = folder / f"{max(numbers, default=0) + 1:04d}.png"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(png.tobytes())
        known[digest] = path
        return path

    def _known(self) -> dict[str, Path]:
        if self._hashes is None:
            self._hashes = {}
            for name in self.people():
                for path in self.images(name):
                    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                    if image is not None:
                        self._hashes.setdefault(pixel_hash(image), path)
        return self._hashes

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

    def training_set(self) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
        """`load()`; ValueError when the store has no photos yet, or holds a photo that is not an
        aligned identity crop (a store enrolled before alignment: its crops would not match)."""
        crops, labels, names = self.load()
        if not crops:
            raise ValueError(f"face store {self.root} has no photos; enrol people first "
                             "(python -m emotion_ros.tools.enrol)")
        for crop, label in zip(crops, labels):
            if crop.shape != (ALIGNED_SIZE, ALIGNED_SIZE):
                raise ValueError(f"{names[label]} has a {crop.shape[1]}x{crop.shape[0]} photo in {self.root}, not a "
                                 f"{ALIGNED_SIZE}x{ALIGNED_SIZE} aligned identity crop (enrolled by an older "
                                 "version?); delete that person's folder and enrol again")
        return crops, labels, names

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
