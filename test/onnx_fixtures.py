"""Tiny ONNX emotion models for tests, built with the `onnx` helper API.

`make_brightness_model(path)` writes a model with the real model's interface (input `face`
[N, 48, 48, 1] float32 in [0, 1], output `scores` [N, 7] softmax probabilities) whose class
depends only on the crop's mean brightness m = mean pixel / 255:

    m < 1/3        -> Sad       (e.g. a uniform crop of value 30)
    1/3 < m < 2/3  -> Neutral   (e.g. 128)
    m > 2/3        -> Happy     (e.g. 230)

The four other classes always score far lower. `BRIGHTNESS` gives a crop value for each
of the three classes and `uniform_crop(value)` makes such a crop.

The emotion node equalises every crop's histogram (`emotion_ros.preprocessing`), which keeps a
flat crop's value but removes a real face's overall brightness. `make_sharpness_model(path)`
reacts to what survives equalisation, detail: with d = mean |Laplacian| of the model input
(3x3, valid region), it says Sad when d < 0.048 (a face blurred with sigma 3 px at 640x480:
d <= 0.040 on the bundled sample) and Neutral otherwise (the sample's sharp faces: d >= 0.056).
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from emotion_ros.labels import EMOTIONS, NEUTRAL

SAD, HAPPY = EMOTIONS.index("Sad"), EMOTIONS.index("Happy")
BRIGHTNESS = {SAD: 30, NEUTRAL: 128, HAPPY: 230}
_SLOPE = 30.0


def uniform_crop(value: int, size: int = 64, bgr: bool = False) -> np.ndarray:
    """A flat uint8 crop of `value`, grey (size x size) or BGR (size x size x 3)."""
    shape = (size, size, 3) if bgr else (size, size)
    return np.full(shape, value, np.uint8)


def _write(path, weights: np.ndarray, bias: np.ndarray) -> Path:
    """scores = softmax(mean(face over H, W) @ weights + bias)."""
    n_classes = weights.shape[1]
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["face"], ["mean"], axes=[1, 2], keepdims=0),
         helper.make_node("MatMul", ["mean", "weights"], ["linear"]),
         helper.make_node("Add", ["linear", "bias"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["scores"], axis=1)],
        "brightness_emotion",
        [helper.make_tensor_value_info("face", TensorProto.FLOAT, ["N", 48, 48, 1])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", n_classes])],
        [numpy_helper.from_array(weights.astype(np.float32), "weights"),
         numpy_helper.from_array(bias.astype(np.float32), "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, str(path))
    return path


def make_brightness_model(path) -> Path:
    """Write the brightness model described in the module docstring to `path`."""
    weights = np.zeros((1, len(EMOTIONS)))
    bias = np.full(len(EMOTIONS), -_SLOPE)
    weights[0, SAD], bias[SAD] = -_SLOPE, _SLOPE / 3        # 30 (1/3 - m)
    weights[0, NEUTRAL], bias[NEUTRAL] = 0.0, 0.0            # 0
    weights[0, HAPPY], bias[HAPPY] = _SLOPE, -2 * _SLOPE / 3  # 30 (m - 2/3)
    return _write(path, weights, bias)


def make_sharpness_model(path, threshold: float = 0.048, slope: float = 600.0) -> Path:
    """Write the model of the docstring: Sad for a blurred face, Neutral for a sharp one."""
    laplacian = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float32).reshape(1, 1, 3, 3)
    weights = np.zeros((1, len(EMOTIONS)))
    bias = np.full(len(EMOTIONS), -slope * 0.1)
    bias[NEUTRAL] = 0.0
    weights[0, SAD], bias[SAD] = -slope, slope * threshold          # slope (threshold - d)
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["face"], ["nchw"], perm=[0, 3, 1, 2]),
         helper.make_node("Conv", ["nchw", "laplacian"], ["edges"]),
         helper.make_node("Abs", ["edges"], ["detail"]),
         helper.make_node("ReduceMean", ["detail"], ["mean"], axes=[2, 3], keepdims=0),
         helper.make_node("MatMul", ["mean", "weights"], ["linear"]),
         helper.make_node("Add", ["linear", "bias"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["scores"], axis=1)],
        "sharpness_emotion",
        [helper.make_tensor_value_info("face", TensorProto.FLOAT, ["N", 48, 48, 1])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", len(EMOTIONS)])],
        [numpy_helper.from_array(laplacian, "laplacian"),
         numpy_helper.from_array(weights.astype(np.float32), "weights"),
         numpy_helper.from_array(bias.astype(np.float32), "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def make_wrong_classes_model(path, n_classes: int = 5) -> Path:
    """A model with the right input but `n_classes` outputs, for error tests."""
    return _write(path, np.zeros((1, n_classes)), np.zeros(n_classes))
