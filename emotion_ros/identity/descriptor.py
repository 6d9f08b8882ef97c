"""Descriptor back-end: dlib's 128-d face descriptor (ResNet, `face-recognition-models`).

Optional: needs `dlib-bin` and `face-recognition-models` from PyPI (requirements/descriptor.txt,
`EMOTION_ROS_DESCRIPTOR=1 scripts/setup.sh`, or `pip install .[descriptor]`). dlib's 5-point
shape model is fitted inside the aligned identity crop (the face box where `align` puts it), and
the descriptor is computed on dlib's own 150x150 chip of that fit. A face is named after the
person whose nearest enrolled descriptor is within `threshold` (Euclidean) and passes the ratio
test (`decision.decide`). About 100 ms per face on one core: the identity core runs it off the
frame path, at a bounded rate per track. dlib holds Python's GIL while it computes, which would
stall every thread of the node for those 100 ms, so the node computes descriptors in a child
process (`DescriptorProcess`, `python -m emotion_ros.identity.descriptor --serve`).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.identity.align import BOX_EYES, EYE_DISTANCE, EYE_Y
from emotion_ros.identity.decision import IdentityResult, check_rule, check_training, decide
from emotion_ros.identity.store import MIN_CROP_SIDE, FaceStore, private_file, validate_name
from emotion_ros.preprocessing import to_gray

# Chosen with scripts/evaluate_identity.py on full-resolution ORL (README "Identity").
DEFAULT_THRESHOLD = 0.45
DEFAULT_RATIO = 1.0
INSTALL_HINT = ("the descriptor back-end needs dlib-bin and face-recognition-models: "
                "pip install -r requirements/descriptor.txt (or EMOTION_ROS_DESCRIPTOR=1 scripts/setup.sh)")


def available() -> bool:
    """Whether dlib and the face-recognition models can be imported."""
    try:
        import dlib  # noqa: F401
        import face_recognition_models  # noqa: F401
    except ImportError:
        return False
    return True


class DescriptorModel:
    """dlib's shape predictor and descriptor network, loaded once."""

    def __init__(self):
        try:
            import dlib
            import face_recognition_models as models
        except ImportError as error:
            raise ImportError(f"{INSTALL_HINT} ({error})") from error
        self._dlib = dlib
        self._shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._net = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def describe(self, crop: np.ndarray) -> np.ndarray:
        """128-d float64 descriptor of an aligned identity crop (grey or BGR, any square size)."""
        gray = to_gray(crop, MIN_CROP_SIDE)
        size = gray.shape[1]
        # the face box as YuNet draws it around eyes placed by align.py
        box_w = EYE_DISTANCE * size / (BOX_EYES[1][0] - BOX_EYES[0][0])
        box_h = box_w * 1.28
        x0, y0 = size / 2 - box_w / 2, EYE_Y * gray.shape[0] - BOX_EYES[0][1] * box_h
        rect = self._dlib.rectangle(round(x0), round(y0), round(x0 + box_w), round(y0 + box_h))
        rgb = np.ascontiguousarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB))
        return np.asarray(self._net.compute_face_descriptor(rgb, self._shape(rgb, rect), 0), np.float64)


class DescriptorProcess:
    """`DescriptorModel.describe` computed in a child process (the GIL stays free meanwhile).

    Protocol on the child's stdin/stdout: the child writes b"R" once its models are loaded; per
    crop the parent writes height and width (two little-endian uint32) and the grey pixels, the
    child answers b"D" and 128 float64, or b"E", a uint32 length and an error message."""

    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._child = subprocess.Popen([sys.executable, "-m", "emotion_ros.identity.descriptor", "--serve"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._lock = threading.Lock()
        if self._child.stdout.read(1) != b"R":
            self.close()
            raise ImportError(f"the descriptor process did not start; {INSTALL_HINT}")

    def describe(self, crop: np.ndarray) -> np.ndarray:
        gray = np.ascontiguousarray(to_gray(crop, MIN_CROP_SIDE))
        with self._lock:
            if self._child.stdin.closed or self._child.poll() is not None:
                raise RuntimeError("the descriptor process has ended")
            try:
                self._child.stdin.write(struct.pack("<II", *gray.shape) + gray.tobytes())
                self._child.stdin.flush()
                status = self._child.stdout.read(1)
                if status == b"D":
                    return np.frombuffer(_read(self._child.stdout, 128 * 8), np.float64).copy()
                if status == b"E":
                    (length,) = struct.unpack("<I", _read(self._child.stdout, 4))
                    raise ValueError(_read(self._child.stdout, length).decode())
            except (BrokenPipeError, EOFError):
                pass
        raise RuntimeError("the descriptor process has ended")

    def close(self) -> None:
        if self._child.poll() is None:
            try:
                self._child.stdin.close()
                self._child.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._child.kill()
                self._child.wait()


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def _serve(stdin=None, stdout=None) -> int:
    """The child's loop: descriptors of the crops on stdin, answers on stdout, until stdin ends."""
    stdin, stdout = stdin or sys.stdin.buffer, stdout or sys.stdout.buffer
    try:
        model = DescriptorModel()
    except ImportError as error:
        print(error, file=sys.stderr)
        return 1
    stdout.write(b"R")
    stdout.flush()
    while True:
        try:
            height, width = struct.unpack("<II", _read(stdin, 8))
            gray = np.frombuffer(_read(stdin, height * width), np.uint8).reshape(height, width)
        except EOFError:
            return 0
        try:
            answer = b"D" + model.describe(gray).astype(np.float64).tobytes()
        except (ValueError, RuntimeError) as error:
            message = str(error).encode()
            answer = b"E" + struct.pack("<I", len(message)) + message
        stdout.write(answer)
        stdout.flush()


class DescriptorIdentifier:
    """Nearest enrolled descriptor per person, with the shared rejection rule."""

    backend = "descriptor"

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, *, max_ratio: float = DEFAULT_RATIO,
                 model: DescriptorModel | None = None):
        check_rule(threshold, max_ratio)
        self.threshold = float(threshold)
        self.max_ratio = float(max_ratio)
        self.model = model or DescriptorModel()
        self.names: list[str] = []
        self.descriptors = np.zeros((0, 128))
        self.labels = np.zeros(0, np.int32)

    @property
    def trained(self) -> bool:
        return bool(self.names)

    def train(self, crops, labels, names) -> None:
        names, labels = check_training(crops, labels, names)
        self.descriptors = np.stack([self.model.describe(c) for c in crops])
        self.labels, self.names = labels, names

    def train_from_store(self, store: FaceStore) -> None:
        self.train(*store.training_set())

    def distances_of(self, descriptor: np.ndarray) -> np.ndarray:
        """Euclidean distance from a descriptor to each person's nearest enrolled one."""
        if not self.trained:
            raise RuntimeError("descriptor identifier is not trained; call train(), train_from_store() or load()")
        dist = np.linalg.norm(self.descriptors - descriptor, axis=1)
        nearest = np.full(len(self.names), np.inf)
        np.minimum.at(nearest, self.labels, dist)
        return nearest

    def person_distances(self, crop: np.ndarray) -> np.ndarray:
        return self.distances_of(self.model.describe(crop))

    def predict(self, crop: np.ndarray) -> IdentityResult:
        return decide(self.person_distances(crop), self.names, self.threshold, self.max_ratio)

    def close(self) -> None:
        """Stop the model's child process, if it has one."""
        close = getattr(self.model, "close", None)
        if close is not None:
            close()

    def save(self, path: str | os.PathLike) -> Path:
        """Write names, labels, descriptors and the rule to `path` (.npz), owner-only."""
        if not self.trained:
            raise RuntimeError("cannot save an untrained descriptor identifier")
        path = private_file(path)
        with open(path, "wb") as out:
            np.savez(out, descriptors=self.descriptors, labels=self.labels, names=np.asarray(self.names),
                     threshold=self.threshold, max_ratio=self.max_ratio)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, threshold: float | None = None, max_ratio: float | None = None,
             model: DescriptorModel | None = None) -> "DescriptorIdentifier":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"descriptor model file not found: {path} (train one with "
                                    "python -m emotion_ros.tools.train_identity --backend descriptor)")
        with np.load(path, allow_pickle=False) as data:
            ident = cls(float(data["threshold"]) if threshold is None else threshold,
                        max_ratio=float(data["max_ratio"]) if max_ratio is None else max_ratio, model=model)
            ident.descriptors = np.asarray(data["descriptors"], np.float64)
            ident.labels = np.asarray(data["labels"], np.int32)
            ident.names = [validate_name(str(n)) for n in data["names"]]
        if (not ident.names or ident.descriptors.shape != (len(ident.labels), 128)
                or ident.labels.min() < 0 or ident.labels.max() >= len(ident.names)):
            raise ValueError(f"descriptor model {path} is inconsistent; re-train it")
        return ident


if __name__ == "__main__" and "--serve" in sys.argv[1:]:
    sys.exit(_serve())
