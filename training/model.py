"""Emotion CNN configurations and the pure `build_model(config) -> keras.Model`.

`seed` is the blog post's design (conv 32/64/128/128, dense 1024, L2 on convs, dropout);
`improved` is a narrower BatchNorm + global-average-pooling net chosen for <= 1 ms per face
in ONNX Runtime on one thread (see `python -m training.benchmark --candidates`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from dataclasses import dataclass

from emotion_ros.labels import EMOTIONS
from emotion_ros.preprocessing import INPUT_SHAPE

INPUT_NAME = "face"
OUTPUT_NAME = "scores"


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and training hyper-parameters of one configuration.

    stages: conv filter counts per stage; each stage ends with 2x2 max-pooling and
    `conv_dropout`. head: "flatten" (then `dense` layers) or "gap" (global average pooling).
    schedule: "inverse_time" (lr / (1 + decay * step), Keras 2's Adam `decay`) or
    "cosine" (linear warm-up then cosine decay to 0 over the run).
    """

    name: str = "seed"
    stages: tuple = ((32, 64), (128,), (128,))
    kernel_size: int = 3
    padding: str = "valid"
    batchnorm: bool = False
    head: str = "flatten"
    dense: tuple = (1024,)
    conv_dropout: float = 0.25
    dropout: float = 0.5
    l2: float = 0.01
    # training
    optimizer: str = "adam"
    learning_rate: float = 1e-4
    decay: float = 1e-6
    schedule: str = "inverse_time"
    warmup_epochs: int = 0
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    batch_size: int = 64
    zoom: float = 0.2
    shift: float = 0.0
    rotation_deg: float = 0.0
    blur: float = 0.0           # probability of a Gaussian blur (sigma up to 1.5 px)
    erasing: float = 0.0        # probability of erasing a random patch
    downscale: float = 0.0      # probability of a face shrunk to 16-40 px and upscaled back
    highlight_clip: float = 0.0  # probability of highlights clipped as by a gain of 1-2x
    class_weight: bool = False

    def replace(self, **changes) -> "ModelConfig":
        """Return a copy with `changes` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        values = dict(values)
        for key in ("stages", "dense"):
            if key in values:
                values[key] = tuple(tuple(v) if isinstance(v, list) else v for v in values[key])
        return cls(**values)


CONFIGS = {
    # The post: Adam lr 1e-4, decay 1e-6, L2 0.01 on convs, dropout 0.25/0.5, zoom + flip.
    "seed": ModelConfig(),
    # Eight 3x3 convs with BN, five 2x2 pools, global average pooling: ~30 M MACs,
    # ~0.72 ms per face in ONNX Runtime on one thread here (seed: 77 M MACs, ~1.76 ms).
    "improved": ModelConfig(
        name="improved", stages=((32,), (32, 32), (64, 64), (128, 128), (256,)), padding="same",
        batchnorm=True, head="gap", dense=(), conv_dropout=0.1, dropout=0.3, l2=0.0,
        optimizer="adamw", learning_rate=2e-3, schedule="cosine", warmup_epochs=2,
        weight_decay=5e-4, label_smoothing=0.1, batch_size=64, zoom=0.15, shift=0.1,
        rotation_deg=10.0, class_weight=False),
    # `improved` trained on the equalised inputs of emotion_ros.preprocessing (run-time parity)
    # with the camera's nuisances as augmentation: rotation 15 deg, zoom and shift as a
    # detector's box varies, blur (out of focus, small faces upscaled), random erasing
    # (occlusion by hands, glasses, hair).
    "parity": ModelConfig(
        name="parity", stages=((32,), (32, 32), (64, 64), (128, 128), (256,)), padding="same",
        batchnorm=True, head="gap", dense=(), conv_dropout=0.1, dropout=0.3, l2=0.0,
        optimizer="adamw", learning_rate=2e-3, schedule="cosine", warmup_epochs=2,
        weight_decay=5e-4, label_smoothing=0.1, batch_size=64, zoom=0.15, shift=0.1,
        rotation_deg=15.0, blur=0.3, erasing=0.25, class_weight=False),
    # More capacity inside the budget (66.7 M MACs, 1.3 M parameters: stages 1.5x as wide as
    # `improved`), and the camera nuisances equalisation cannot undo: small faces upscaled,
    # highlights clipped by over-exposure.
    "wide": ModelConfig(
        name="wide", stages=((48,), (48, 48), (96, 96), (192, 192), (384,)), padding="same",
        batchnorm=True, head="gap", dense=(), conv_dropout=0.1, dropout=0.3, l2=0.0,
        optimizer="adamw", learning_rate=2e-3, schedule="cosine", warmup_epochs=2,
        weight_decay=5e-4, label_smoothing=0.1, batch_size=64, zoom=0.15, shift=0.1,
        rotation_deg=15.0, blur=0.3, erasing=0.25, downscale=0.2, highlight_clip=0.15,
        class_weight=False),
}


def get_config(name_or_path: str) -> ModelConfig:
    """A named configuration from CONFIGS, or a JSON file of ModelConfig fields."""
    if name_or_path in CONFIGS:
        return CONFIGS[name_or_path]
    with open(name_or_path) as stream:
        return ModelConfig.from_dict(json.load(stream))


def configure_tensorflow(threads: int = 2) -> None:
    """Cap TensorFlow to `threads` intra-op threads and one inter-op thread."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised: keep the first setting
        pass


def build_model(config: ModelConfig):
    """Return the (uncompiled) Keras model of `config`: (N, 48, 48, 1) -> softmax over 7."""
    import keras
    from keras import layers, regularizers

    reg = regularizers.l2(config.l2) if config.l2 else None
    inputs = keras.Input(shape=INPUT_SHAPE, name=INPUT_NAME)
    x = inputs
    for stage, filters in enumerate(config.stages):
        for i, width in enumerate(filters):
            x = layers.Conv2D(width, config.kernel_size, padding=config.padding,
                              use_bias=not config.batchnorm, kernel_regularizer=reg,
                              activation=None if config.batchnorm else "relu",
                              name=f"conv{stage + 1}_{i + 1}")(x)
            if config.batchnorm:
                x = layers.BatchNormalization(name=f"bn{stage + 1}_{i + 1}")(x)
                x = layers.ReLU(name=f"relu{stage + 1}_{i + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{stage + 1}")(x)
        if config.conv_dropout:
            x = layers.Dropout(config.conv_dropout, name=f"drop{stage + 1}")(x)
    if config.head == "gap":
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    elif config.head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        raise ValueError(f"unknown head {config.head!r}, expected 'flatten' or 'gap'")
    for i, units in enumerate(config.dense):
        x = layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="drop_head")(x)
    outputs = layers.Dense(len(EMOTIONS), activation="softmax", name=OUTPUT_NAME)(x)
    model = keras.Model(inputs, outputs, name=config.name)
    model.output_names = [OUTPUT_NAME]
    return model


def conv_macs(config: ModelConfig) -> int:
    """Multiply-accumulates of one forward pass (convolutions and dense layers)."""
    size, channels, macs = INPUT_SHAPE[0], INPUT_SHAPE[2], 0
    k = config.kernel_size
    for filters in config.stages:
        for width in filters:
            if config.padding == "valid":
                size -= k - 1
            macs += size * size * k * k * channels * width
            channels = width
        size //= 2
    features = channels if config.head == "gap" else size * size * channels
    for units in (*config.dense, len(EMOTIONS)):
        macs += features * units
        features = units
    return macs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] +
                                     " Prints the summary of a configuration.")
    parser.add_argument("--config", default="improved",
                        help=f"one of {sorted(CONFIGS)} or a JSON file of ModelConfig fields")
    args = parser.parse_args(argv)
    configure_tensorflow()
    config = get_config(args.config)
    build_model(config).summary()
    print(f"{conv_macs(config) / 1e6:.1f} M multiply-accumulates per face")


if __name__ == "__main__":
    main()
