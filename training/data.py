"""FER2013 loading (class folders or the original CSV) and deterministic stratified splits.

Loaders return raw 8-bit faces (N, 48, 48) and FER2013 label codes (the order of
`emotion_ros.labels.EMOTIONS`); model inputs are always `preprocess_batch(faces)`.
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import dataclass

import cv2
import numpy as np

from emotion_ros.labels import EMOTIONS
from emotion_ros.preprocessing import INPUT_SIZE, preprocess_batch, preprocess_face

__all__ = [
    "DatasetError", "Dataset", "load_folders", "load_csv", "load_dataset",
    "stratified_split", "make_splits", "preprocess_face", "preprocess_batch",
]

USAGES = ("Training", "PublicTest", "PrivateTest")
# Split folder names of the image-folder layout -> FER2013 usage.
FOLDER_USAGE = {
    "train": "Training", "training": "Training",
    "public_test": "PublicTest", "publictest": "PublicTest", "test": "PublicTest",
    "private_test": "PrivateTest", "privatetest": "PrivateTest",
}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".pgm", ".bmp")
CLASS_INDEX = {name.lower(): code for code, name in enumerate(EMOTIONS)}


class DatasetError(ValueError):
    """A dataset file or row that cannot be used; the message names it."""


@dataclass(frozen=True)
class Dataset:
    """Faces (N, 48, 48) uint8, labels (N,) int64, FER2013 usage and source per sample."""

    faces: np.ndarray
    labels: np.ndarray
    usage: np.ndarray
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> "Dataset":
        """Return the samples at `index`, in that order."""
        index = np.asarray(index, dtype=np.int64)
        return Dataset(self.faces[index], self.labels[index], self.usage[index],
                       tuple(self.sources[i] for i in index))

    def inputs(self) -> np.ndarray:
        """Model inputs (N, 48, 48, 1) float32 via the shared preprocessing."""
        return preprocess_batch(list(self.faces))


def _read_image(path: str) -> np.ndarray:
    face = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if face is None:
        raise DatasetError(f"{path}: unreadable image")
    if face.shape != (INPUT_SIZE, INPUT_SIZE):
        raise DatasetError(f"{path}: expected a {INPUT_SIZE}x{INPUT_SIZE} image, got "
                           f"{face.shape[1]}x{face.shape[0]}")
    return face


def _class_code(name: str, where: str) -> int:
    try:
        return CLASS_INDEX[name.lower()]
    except KeyError:
        raise DatasetError(f"{where}: unknown class {name!r}, expected one of "
                           f"{[e.lower() for e in EMOTIONS]}") from None


def _load_class_folders(root: str, usage: str):
    faces, labels, sources = [], [], []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        code = _class_code(name, folder)
        for file in sorted(os.listdir(folder)):
            path = os.path.join(folder, file)
            if not file.lower().endswith(IMAGE_EXTENSIONS):
                raise DatasetError(f"{path}: not an image file")
            faces.append(_read_image(path))
            labels.append(code)
            sources.append(path)
    return faces, labels, [usage] * len(labels), sources


def load_folders(root: str) -> Dataset:
    """Load the image-folder layout.

    `root` holds either split folders (train/, public_test/, optionally private_test/)
    each with one folder per class, or class folders directly (all counted as Training).
    """
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    if not names:
        raise DatasetError(f"{root}: no class or split folders")
    # Split folders in FER2013's usage order (Training, PublicTest, PrivateTest), like the CSV.
    splits = sorted((n for n in names if n.lower() in FOLDER_USAGE),
                    key=lambda n: (USAGES.index(FOLDER_USAGE[n.lower()]), n))
    parts = ([(os.path.join(root, n), FOLDER_USAGE[n.lower()]) for n in splits]
             if splits else [(root, "Training")])
    faces, labels, usage, sources = [], [], [], []
    for folder, use in parts:
        f, l, u, s = _load_class_folders(folder, use)
        faces += f
        labels += l
        usage += u
        sources += s
    if not faces:
        raise DatasetError(f"{root}: no images")
    return Dataset(np.stack(faces), np.asarray(labels, np.int64), np.asarray(usage),
                   tuple(sources))


def load_csv(path: str) -> Dataset:
    """Load the original `fer2013.csv` (columns emotion, pixels, Usage)."""
    faces, labels, usage, sources = [], [], [], []
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: missing columns {sorted(missing)}")
        for row_number, row in enumerate(reader, start=2):  # line 1 is the header
            where = f"{path}, row {row_number}"
            try:
                code = int(row["emotion"])
            except (TypeError, ValueError):
                raise DatasetError(f"{where}: emotion {row['emotion']!r} is not an integer") \
                    from None
            if not 0 <= code < len(EMOTIONS):
                raise DatasetError(f"{where}: unknown class code {code}")
            try:
                pixels = np.array(row["pixels"].split(), dtype=np.int64)
            except (AttributeError, ValueError):
                raise DatasetError(f"{where}: pixels are not integers") from None
            if pixels.size != INPUT_SIZE * INPUT_SIZE or pixels.min() < 0 or pixels.max() > 255:
                raise DatasetError(f"{where}: expected {INPUT_SIZE * INPUT_SIZE} pixels in 0..255, "
                                   f"got {pixels.size}")
            if row["Usage"] not in USAGES:
                raise DatasetError(f"{where}: unknown Usage {row['Usage']!r}")
            faces.append(pixels.astype(np.uint8).reshape(INPUT_SIZE, INPUT_SIZE))
            labels.append(code)
            usage.append(row["Usage"])
            sources.append(f"{path}:{row_number}")
    if not faces:
        raise DatasetError(f"{path}: no rows")
    return Dataset(np.stack(faces), np.asarray(labels, np.int64), np.asarray(usage),
                   tuple(sources))


def load_dataset(path: str) -> Dataset:
    """Load a CSV file, a folder holding `fer2013.csv`, or the image-folder layout."""
    if os.path.isfile(path):
        return load_csv(path)
    if not os.path.isdir(path):
        raise DatasetError(f"{path}: no such file or folder")
    csv_path = os.path.join(path, "fer2013.csv")
    return load_csv(csv_path) if os.path.isfile(csv_path) else load_folders(path)


def stratified_split(labels: np.ndarray, fractions, seed: int = 0) -> list[np.ndarray]:
    """Split indices into len(fractions) parts, class by class, deterministically.

    Each class's indices are shuffled with `seed`; every part but the last gets
    round(fraction * class size) of them, the last part the rest. Parts come back sorted.
    """
    labels = np.asarray(labels)
    rng = np.random.RandomState(seed)
    parts = [[] for _ in fractions]
    for code in np.unique(labels):
        index = rng.permutation(np.flatnonzero(labels == code))
        start = 0
        for part, fraction in zip(parts[:-1], fractions[:-1]):
            stop = start + int(round(fraction * len(index)))
            part.append(index[start:stop])
            start = stop
        parts[-1].append(index[start:])
    return [np.sort(np.concatenate(p)).astype(np.int64) for p in parts]


def split_label(split: str) -> str:
    """The name reports and figures give a `make_splits` key ("test" -> "public_test")."""
    return "public_test" if split == "test" else split


def make_splits(data: Dataset, protocol: str = "official", val_fraction: float = 0.1,
                seed: int = 42) -> dict[str, Dataset]:
    """Return {"train", "val", "test"[, "private_test"]} datasets.

    official: train/val from Training (stratified `val_fraction` carve-out), test =
    PublicTest, private_test = PrivateTest when present.
    post: every sample merged, stratified 70/20/10 train/val/test.
    """
    if protocol == "post":
        train, val, test = stratified_split(data.labels, (0.7, 0.2, 0.1), seed)
        return {"train": data.subset(train), "val": data.subset(val), "test": data.subset(test)}
    if protocol != "official":
        raise ValueError(f"unknown protocol {protocol!r}, expected 'official' or 'post'")
    training = np.flatnonzero(data.usage == "Training")
    val, train = stratified_split(data.labels[training], (val_fraction, 1 - val_fraction), seed)
    splits = {"train": data.subset(training[train]), "val": data.subset(training[val]),
              "test": data.subset(np.flatnonzero(data.usage == "PublicTest"))}
    private = np.flatnonzero(data.usage == "PrivateTest")
    if private.size:
        splits["private_test"] = data.subset(private)
    return splits


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] +
                                     " Prints the class counts of each split.")
    parser.add_argument("--data", default="../shared/datasets/fer2013",
                        help="fer2013.csv, a folder holding it, or the image-folder layout")
    parser.add_argument("--protocol", choices=("official", "post"), default="official")
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    splits = make_splits(load_dataset(args.data), args.protocol, args.val_fraction, args.seed)
    print(f"{'split':<14}{'total':>7}" + "".join(f"{e:>10}" for e in EMOTIONS))
    for name, part in splits.items():
        counts = np.bincount(part.labels, minlength=len(EMOTIONS))
        print(f"{name:<14}{len(part):>7}" + "".join(f"{c:>10}" for c in counts))


if __name__ == "__main__":
    main()
