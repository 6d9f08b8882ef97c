"""Train an emotion CNN on FER2013 with augmentation, per-epoch checkpoints and resume.

Every epoch writes `<out>/last.keras` (model + optimizer state) and `<out>/state.json`
(epoch, best validation accuracy, history); running the same command again resumes from
them (a different --epochs re-plans the learning-rate schedule from the current step).
The best model by validation accuracy is `<out>/best.keras`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from emotion_ros.labels import EMOTIONS
from training.data import Dataset, load_dataset, make_splits, stratified_split
from training.model import CONFIGS, ModelConfig, build_model, configure_tensorflow, get_config

DEFAULT_DATA = "../shared/datasets/fer2013"


def subset(data: Dataset, count: int, seed: int) -> Dataset:
    """A stratified, deterministic subset of about `count` samples."""
    if count >= len(data):
        return data
    keep, _ = stratified_split(data.labels, (count / len(data), 1 - count / len(data)), seed)
    return data.subset(keep)


def class_weights(labels: np.ndarray) -> np.ndarray:
    """Balanced weights n / (classes * count) per class."""
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(np.float64)
    return (len(labels) / (len(EMOTIONS) * np.maximum(counts, 1))).astype(np.float32)


def camera_nuisances(downscale: float, highlight_clip: float, seed: int):
    """A Keras layer giving each face, with the given probabilities, what a camera does and
    equalisation cannot undo: shrunk to 16-40 px (one size per batch) and upscaled back, and
    highlights clipped as by a gain g in 1-2 before equalisation (on equalised inputs, whose
    values are their ranks, that maps every value >= 1/g to 1 and keeps the others)."""
    import keras
    import tensorflow as tf

    class CameraNuisances(keras.layers.Layer):
        def call(self, faces, training=None):
            if not training:
                return faces
            batch = tf.shape(faces)[0]
            size = tf.shape(faces)[1:3]
            if downscale:
                side = tf.random.uniform((), 16, 41, tf.int32)
                small = tf.image.resize(faces, (side, side), method="area")
                back = tf.image.resize(small, size, method="bilinear")
                pick = tf.random.uniform((batch, 1, 1, 1)) < downscale
                faces = tf.where(pick, back, faces)
            if highlight_clip:
                gain = tf.random.uniform((batch, 1, 1, 1), 1.0, 2.0)
                pick = tf.random.uniform((batch, 1, 1, 1)) < highlight_clip
                faces = tf.where(pick & (faces * gain >= 1.0), tf.ones_like(faces), faces)
            return faces

    return CameraNuisances(name="camera_nuisances")


def make_augmenter(config: ModelConfig, seed: int):
    """Random horizontal flip, rotation, zoom, shift, blur, erasing, downscaling and clipped
    highlights (Keras layers)."""
    import keras
    from keras import layers

    steps = [layers.RandomFlip("horizontal", seed=seed)]
    if config.rotation_deg:
        steps.append(layers.RandomRotation(config.rotation_deg / 360.0, fill_mode="nearest",
                                           seed=seed + 1))
    if config.zoom:
        steps.append(layers.RandomZoom(config.zoom, fill_mode="nearest", seed=seed + 2))
    if config.shift:
        steps.append(layers.RandomTranslation(config.shift, config.shift, fill_mode="nearest",
                                              seed=seed + 3))
    if config.blur:
        steps.append(layers.RandomGaussianBlur(config.blur, kernel_size=5, sigma=(0.1, 1.5),
                                               value_range=(0.0, 1.0), seed=seed + 4))
    if config.erasing:
        steps.append(layers.RandomErasing(config.erasing, scale=(0.02, 0.12), fill_value=0.5,
                                          value_range=(0.0, 1.0), seed=seed + 5))
    if config.downscale or config.highlight_clip:
        steps.append(camera_nuisances(config.downscale, config.highlight_clip, seed + 6))
    return keras.Sequential(steps, name="augment")


def make_dataset(data: Dataset, config: ModelConfig, *, train: bool, seed: int,
                 weights: np.ndarray | None = None):
    """tf.data pipeline of (preprocessed face, one-hot label[, sample weight]) batches."""
    import tensorflow as tf

    x = data.inputs()
    y = np.eye(len(EMOTIONS), dtype=np.float32)[data.labels]
    tensors = (x, y) if weights is None else (x, y, weights[data.labels])
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if train:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size)
    if train:
        augment = make_augmenter(config, seed)
        ds = ds.map(lambda face, *rest: (augment(face, training=True), *rest),
                    num_parallel_calls=1)
    return ds.prefetch(2)


def make_learning_rate(config: ModelConfig, steps_per_epoch: int, epochs: int):
    """The configured learning rate: a schedule over optimizer steps, or a constant."""
    import keras

    if config.schedule == "inverse_time":
        # Keras 2's Adam(decay=d): lr / (1 + d * iterations).
        lr = keras.optimizers.schedules.InverseTimeDecay(config.learning_rate, 1, config.decay)
    elif config.schedule == "cosine":
        warmup = config.warmup_epochs * steps_per_epoch
        lr = keras.optimizers.schedules.CosineDecay(
            config.learning_rate * 0.1 if warmup else config.learning_rate,
            max(1, epochs * steps_per_epoch - warmup), alpha=0.0,
            warmup_target=config.learning_rate if warmup else None, warmup_steps=warmup)
    elif config.schedule == "constant":
        lr = config.learning_rate
    else:
        raise ValueError(f"unknown schedule {config.schedule!r}")
    return lr


def make_optimizer(config: ModelConfig, steps_per_epoch: int, epochs: int):
    """Adam/AdamW/SGD with the configured learning-rate schedule."""
    import keras

    lr = make_learning_rate(config, steps_per_epoch, epochs)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def compile_model(model, config: ModelConfig, steps_per_epoch: int, epochs: int,
                  metrics=("accuracy",)) -> None:
    import keras

    model.compile(optimizer=make_optimizer(config, steps_per_epoch, epochs),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=list(metrics))


def checkpoint_callback(out: str, state: dict):
    """Keras callback saving last.keras + state.json each epoch and best.keras on improvement."""
    import keras

    class EpochCheckpoint(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.time()

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            logs["seconds"] = time.time() - self.started
            state["history"].append({"epoch": epoch + 1, **logs})
            if logs.get("val_accuracy", -1.0) > state["best_val_accuracy"]:
                state["best_val_accuracy"] = logs["val_accuracy"]
                state["best_epoch"] = epoch + 1
                self.model.save(os.path.join(out, "best.keras"))
            self.model.save(os.path.join(out, "last.keras.tmp.keras"))
            os.replace(os.path.join(out, "last.keras.tmp.keras"), os.path.join(out, "last.keras"))
            state["epoch"] = epoch + 1
            with open(os.path.join(out, "state.json.tmp"), "w") as stream:
                json.dump(state, stream, indent=1)
            os.replace(os.path.join(out, "state.json.tmp"), os.path.join(out, "state.json"))
            print(f"epoch {epoch + 1}: " + " ".join(f"{k}={v:.4f}" for k, v in logs.items())
                  + f" best_val_accuracy={state['best_val_accuracy']:.4f}"
                  f" (epoch {state['best_epoch']})", flush=True)

    return EpochCheckpoint()


def train(config: ModelConfig, splits: dict[str, Dataset], out: str, epochs: int, *,
          seed: int = 42, verbose: int = 2, run_info: dict | None = None) -> dict:
    """Train (or resume) `config` on splits["train"], selecting on splits["val"].

    Returns the final state (epoch, best_val_accuracy, best_epoch, history).
    """
    import keras

    os.makedirs(out, exist_ok=True)
    state_path, last_path = os.path.join(out, "state.json"), os.path.join(out, "last.keras")
    steps = int(np.ceil(len(splits["train"]) / config.batch_size))
    if os.path.exists(state_path) and os.path.exists(last_path):
        with open(state_path) as stream:
            state = json.load(stream)
        if state["config"] != json.loads(json.dumps(config.to_dict())):
            raise SystemExit(f"{out} holds a run of another configuration; use another --out")
        model = keras.models.load_model(last_path)
        print(f"resuming {out} after epoch {state['epoch']}", flush=True)
        planned = state.setdefault("run", {}).get("epochs", epochs)
        if planned != epochs:
            # The schedule follows optimizer.iterations: rebuild it for the new total.
            model.optimizer.learning_rate = make_learning_rate(config, steps, epochs)
            state["run"]["epochs"] = epochs
            print(f"learning-rate schedule re-planned from {planned} to {epochs} epochs",
                  flush=True)
    else:
        keras.utils.set_random_seed(seed)
        state = {"config": config.to_dict(), "epoch": 0, "best_val_accuracy": -1.0,
                 "best_epoch": 0, "history": [], "run": {**(run_info or {}), "epochs": epochs}}
        model = build_model(config)
        compile_model(model, config, steps, epochs)
    if state["epoch"] >= epochs:
        print(f"{out}: already trained for {state['epoch']} epochs", flush=True)
        return state
    weights = class_weights(splits["train"].labels) if config.class_weight else None
    train_ds = make_dataset(splits["train"], config, train=True, seed=seed, weights=weights)
    val_ds = make_dataset(splits["val"], config, train=False, seed=seed)
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=state["epoch"],
              callbacks=[checkpoint_callback(out, state)], verbose=verbose, shuffle=False)
    with open(os.path.join(out, "config.json"), "w") as stream:
        json.dump(config.to_dict(), stream, indent=1)
    return state


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """--data, --protocol, --val-fraction, --seed (shared by the steps)."""
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="fer2013.csv, a folder holding it, or the image-folder layout "
                             "(default: %(default)s)")
    parser.add_argument("--protocol", choices=("official", "post"), default="official",
                        help="official: train/ minus a stratified validation carve-out, test "
                             "= public_test/; post: all merged, stratified 70/20/10")
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="validation share of Training (official protocol)")
    parser.add_argument("--seed", type=int, default=42, help="split and training seed")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser)
    parser.add_argument("--config", default="improved",
                        help=f"one of {sorted(CONFIGS)} or a JSON file of ModelConfig fields")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--subset", type=int, default=0,
                        help="train on a stratified subset of N samples (validation N/5)")
    parser.add_argument("--class-weight", action="store_true",
                        help="weight the loss by balanced class weights")
    parser.add_argument("--batch-size", type=int, default=0, help="override the config's")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    parser.add_argument("--out", required=True, help="output folder (checkpoints, best.keras)")
    args = parser.parse_args(argv)

    configure_tensorflow(args.threads)
    config = get_config(args.config)
    if args.class_weight:
        config = config.replace(class_weight=True)
    if args.batch_size:
        config = config.replace(batch_size=args.batch_size)
    splits = make_splits(load_dataset(args.data), args.protocol, args.val_fraction, args.seed)
    if args.subset:
        splits["train"] = subset(splits["train"], args.subset, args.seed)
        splits["val"] = subset(splits["val"], max(args.subset // 5, len(EMOTIONS)), args.seed)
    print(f"config {config.name}: train {len(splits['train'])}, val {len(splits['val'])}",
          flush=True)
    run_info = {"data": os.path.abspath(args.data), "protocol": args.protocol,
                "val_fraction": args.val_fraction, "seed": args.seed, "subset": args.subset}
    state = train(config, splits, args.out, args.epochs, seed=args.seed,
                  verbose=1 if sys.stdout.isatty() else 2, run_info=run_info)
    print(f"best val accuracy {state['best_val_accuracy']:.4f} at epoch {state['best_epoch']}; "
          f"model: {os.path.join(args.out, 'best.keras')}")


if __name__ == "__main__":
    main()
