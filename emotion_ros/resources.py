"""Paths of the files shipped inside the package (models, sample recording, enrolment photos).

Everything is looked up next to this module, which works from a source checkout and from an
install (CMake installs the whole `emotion_ros/` directory). The sample recording ships
compressed (`data/sample.tar.xz`) and is unpacked once into a cache directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
MODELS_DIR = PACKAGE_DIR / "models"
DATA_DIR = PACKAGE_DIR / "data"
SAMPLE_ARCHIVE = DATA_DIR / "sample.tar.xz"
SAMPLE_NAME = "sample"  # top-level directory inside the archive
YUNET_MODEL = "face_detection_yunet_2023mar.onnx"


def model_path(name: str) -> Path:
    """Path of a shipped model file, e.g. model_path(YUNET_MODEL); FileNotFoundError if absent."""
    path = MODELS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"model {name!r} is not shipped in {MODELS_DIR}")
    return path


def enrol_sample_dir() -> Path:
    """Directory of enrolment photos: one sub-directory per person name, PGM files inside."""
    return DATA_DIR / "enrol_sample"


def cache_dir() -> Path:
    """$EMOTION_ROS_CACHE, else $XDG_CACHE_HOME/emotion_ros, else ~/.cache/emotion_ros."""
    if os.environ.get("EMOTION_ROS_CACHE"):
        return Path(os.environ["EMOTION_ROS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "emotion_ros"


def sample_recording() -> Path:
    """The shipped sample (a fakenect directory with labels.json), unpacked on first use.

    The unpacked copy is keyed by the archive's hash, so a new archive is unpacked afresh;
    unpacking goes to a temporary directory renamed into place, so concurrent callers are safe.
    Falls back to the system temporary directory when the cache is not writable.
    """
    if not SAMPLE_ARCHIVE.is_file():
        raise FileNotFoundError(f"sample recording not found: {SAMPLE_ARCHIVE}")
    digest = hashlib.sha256(SAMPLE_ARCHIVE.read_bytes()).hexdigest()[:12]
    for root in (cache_dir(), Path(tempfile.gettempdir()) / "emotion_ros"):
        target = root / f"sample-{digest}"
        if (target / SAMPLE_NAME / "INDEX.txt").is_file():
            return target / SAMPLE_NAME
        try:
            root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=root))
        except OSError:
            continue
        try:
            with tarfile.open(SAMPLE_ARCHIVE) as archive:
                archive.extractall(staging, filter="data")
            try:
                staging.rename(target)
            except OSError:  # another process won the race
                if not (target / SAMPLE_NAME / "INDEX.txt").is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target / SAMPLE_NAME
    raise OSError("no writable cache directory to unpack the sample recording")
