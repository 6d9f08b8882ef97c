"""Keras -> ONNX conversion, int8 quantisation, and ONNX predictions with the node's own session factory."""

from __future__ import annotations

import os

import numpy as np

from emotion_ros.emotion import onnx_session  # noqa: F401 - the node's session, used by the steps
from emotion_ros.preprocessing import INPUT_SHAPE
from training.model import INPUT_NAME, OUTPUT_NAME


def to_onnx(model, path: str, *, tta: bool = False, opset: int = 17) -> None:
    """Write `model` as ONNX: input `face` [N,48,48,1] float32, output `scores` [N,7].

    With `tta`, the graph scores each face and its horizontal mirror in one batch and
    returns the mean of the two softmax outputs.
    """
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name=INPUT_NAME),)

    @tf.function(input_signature=spec)
    def scores(face):
        if not tta:
            return tf.identity(model(face, training=False), name=OUTPUT_NAME)
        count = tf.shape(face)[0]
        both = model(tf.concat([face, tf.reverse(face, axis=[2])], axis=0), training=False)
        return tf.identity((both[:count] + both[count:]) * 0.5, name=OUTPUT_NAME)

    model_proto, _ = tf2onnx.convert.from_function(scores, input_signature=spec, opset=opset)
    graph = model_proto.graph
    # tf2onnx names tensors after TensorFlow's (e.g. "face:0", "Identity:0").
    _rename(graph, graph.input[0].name, INPUT_NAME)
    _rename(graph, graph.output[0].name, OUTPUT_NAME)
    for value in (graph.input[0], graph.output[0]):  # dynamic batch dimension named "N"
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    with open(path, "wb") as stream:
        stream.write(model_proto.SerializeToString())


def _rename(graph, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in (*graph.input, *graph.output):
        if value.name == old:
            value.name = new


def quantize_int8(source: str, target: str, calibration: np.ndarray) -> None:
    """Static int8 quantisation (QDQ, per-channel weights) calibrated on `calibration` faces."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Faces(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{INPUT_NAME: face[None]} for face in calibration])

        def get_next(self):
            return next(self.batches, None)

    prepared = target + ".prepared.onnx"
    quant_pre_process(source, prepared, skip_symbolic_shape=True)
    try:
        quantize_static(prepared, target, Faces(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True)
    finally:
        os.remove(prepared)


def onnx_predict(session, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Scores (N, 7) of preprocessed `inputs` (N, 48, 48, 1)."""
    name = session.get_inputs()[0].name
    out = [session.run(None, {name: inputs[i:i + batch_size]})[0]
           for i in range(0, len(inputs), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 7), np.float32)
