"""Facial emotion classification with the shipped ONNX model, one batch per frame."""

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from emotion_ros.labels import EMOTIONS
from emotion_ros.preprocessing import INPUT_SHAPE, preprocess_batch

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "emotion.onnx"
METADATA_CLASS_KEYS = ("classes", "emotions", "labels")


def _check_metadata(model_path: Path) -> None:
    """If `<model>.json` exists beside the model, its class list must equal `EMOTIONS`."""
    meta_path = model_path.with_suffix(".json")
    if not meta_path.is_file():
        return
    meta = json.loads(meta_path.read_text())
    classes = next((meta[k] for k in METADATA_CLASS_KEYS if k in meta), None)
    if classes is None:
        raise ValueError(f"emotion model metadata {meta_path} has no class list "
                         f"(expected one of the keys {METADATA_CLASS_KEYS})")
    if tuple(classes) != EMOTIONS:
        raise ValueError(f"emotion model metadata {meta_path} lists classes {list(classes)}, "
                         f"but emotion_ros expects {list(EMOTIONS)}")


def onnx_session(path: str | os.PathLike, threads: int = 1) -> ort.InferenceSession:
    """The one way this project builds an ONNX Runtime session: CPU, `threads` intra-op threads,
    one inter-op thread, sequential, all graph optimisations. The emotion node and the training
    benchmarks use it, so the published per-face latency is the node's own."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class EmotionClassifier:
    """ONNX Runtime session scoring face crops with the 7 `EMOTIONS` probabilities."""

    def __init__(self, model_path: str | os.PathLike | None = None, threads: int = 1):
        path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise FileNotFoundError(f"emotion model not found: {path}")
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        _check_metadata(path)
        self.model_path = path
        try:
            self._session = onnx_session(path, threads)
        except (ort.capi.onnxruntime_pybind11_state.Fail,
                ort.capi.onnxruntime_pybind11_state.InvalidProtobuf,
                ort.capi.onnxruntime_pybind11_state.InvalidGraph) as error:
            raise ValueError(f"emotion model {path} cannot be loaded by ONNX Runtime: {error}") from error
        model_input = self._session.get_inputs()[0]
        self.input_name = model_input.name
        dims = list(model_input.shape)
        if len(dims) != 4 or any(isinstance(d, int) and d != want for d, want in zip(dims[1:], INPUT_SHAPE)):
            raise ValueError(f"emotion model {path} takes input shape {dims}, expected [N, *{INPUT_SHAPE}]")
        out_dims = list(self._session.get_outputs()[0].shape)
        if len(out_dims) != 2 or (isinstance(out_dims[1], int) and out_dims[1] != len(EMOTIONS)):
            raise ValueError(f"emotion model {path} outputs shape {out_dims}, expected [N, {len(EMOTIONS)}]")

    def classify(self, crops) -> np.ndarray:
        """(N, 7) float32 probabilities for N 8-bit grey or BGR face crops, in one batch."""
        if len(crops) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        scores = self._session.run(None, {self.input_name: preprocess_batch(crops)})[0]
        if scores.shape != (len(crops), len(EMOTIONS)):
            raise ValueError(f"emotion model {self.model_path} returned shape {scores.shape} "
                             f"for {len(crops)} faces, expected ({len(crops)}, {len(EMOTIONS)})")
        return np.asarray(scores, np.float32)
