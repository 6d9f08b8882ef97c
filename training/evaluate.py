"""Evaluate a Keras (.keras) or ONNX (.onnx) emotion model on a FER2013 split.

Writes a JSON report (accuracy, macro-F1, per-class precision/recall/F1, confusion matrix,
ONNX latency) and a normalised confusion-matrix PNG. Model inputs are always
`emotion_ros.preprocessing.preprocess_batch` of the faces.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np

from emotion_ros.labels import EMOTIONS
from training.data import load_dataset, make_splits, split_label
from training.model import configure_tensorflow
from training.onnx_utils import onnx_predict, onnx_session, to_onnx
from training.train import add_data_arguments

SPLIT_NAMES = {"test": "FER2013 PublicTest (public_test/)", "val": "validation carve-out"}


def metrics(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and confusion matrices."""
    k = len(EMOTIONS)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    tp = np.diag(confusion).astype(np.float64)
    support, predicted_count = confusion.sum(1), confusion.sum(0)
    precision = np.divide(tp, predicted_count, out=np.zeros(k), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k),
                   where=precision + recall > 0)
    normalised = confusion / np.maximum(support[:, None], 1)
    return {
        "faces": int(len(labels)),
        "accuracy": float(tp.sum() / max(len(labels), 1)),
        "macro_f1": float(f1.mean()),
        "per_class": {name: {"precision": float(precision[i]), "recall": float(recall[i]),
                             "f1": float(f1[i]), "support": int(support[i])}
                      for i, name in enumerate(EMOTIONS)},
        "confusion": confusion.tolist(),
        "confusion_normalised": np.round(normalised, 4).tolist(),
    }


def plot_confusion(normalised, path: str, title: str) -> None:
    """Save the row-normalised confusion matrix as a small PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    normalised = np.asarray(normalised)
    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=90)
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(EMOTIONS)):
        for j in range(len(EMOTIONS)):
            ax.text(j, i, f"{normalised[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if normalised[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def predict(model_path: str, inputs: np.ndarray, tmp: str) -> tuple[np.ndarray, str]:
    """Scores of `inputs` and the ONNX file of the model (exported to `tmp` for Keras)."""
    if model_path.endswith(".onnx"):
        return onnx_predict(onnx_session(model_path, threads=2), inputs), model_path
    import keras

    model = keras.models.load_model(model_path, compile=False)
    onnx_path = os.path.join(tmp, "model.onnx")
    to_onnx(model, onnx_path)
    return model.predict(inputs, batch_size=256, verbose=0), onnx_path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser)
    parser.add_argument("--model", required=True, help=".keras or .onnx model")
    parser.add_argument("--split", default="test",
                        help="train, val, test (= public_test) or private_test (default: test)")
    parser.add_argument("--name", help="configuration name in the report (default: model's)")
    parser.add_argument("--training", default="", help="training description for the report")
    parser.add_argument("--report", required=True, help="JSON report path")
    parser.add_argument("--figure", help="confusion-matrix PNG path")
    parser.add_argument("--metadata", help="also store the metrics in this model metadata JSON")
    args = parser.parse_args(argv)

    configure_tensorflow()
    from training.benchmark import onnx_latency

    split = make_splits(load_dataset(args.data), args.protocol, args.val_fraction,
                        args.seed)[args.split]
    with tempfile.TemporaryDirectory() as tmp:
        scores, onnx_path = predict(args.model, split.inputs(), tmp)
        latency = onnx_latency(onnx_path)
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    report = {"name": name, "model": os.path.abspath(args.model), "training": args.training,
              "split": args.split, **metrics(split.labels, scores.argmax(1)),
              "onnx_latency": latency}
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w") as stream:
        json.dump(report, stream, indent=1)
    print(f"{name} on {args.split} ({report['faces']} faces): accuracy {report['accuracy']:.4f}, "
          f"macro-F1 {report['macro_f1']:.4f}, ONNX {latency['median_ms']:.3f} ms/face "
          f"(median, batch 1, 1 thread)")
    print(f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for cls, row in report["per_class"].items():
        print(f"{cls:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
              f"{row['support']:>9}")
    if args.figure:
        plot_confusion(report["confusion_normalised"], args.figure,
                       f"{name}: {split_label(args.split)}, "
                       f"accuracy {report['accuracy']:.3f}")
    if args.metadata:
        with open(args.metadata) as stream:
            meta = json.load(stream)
        meta["metrics"] = {
            "split": SPLIT_NAMES.get(args.split, args.split),
            **{k: report[k] for k in ("faces", "accuracy", "macro_f1", "per_class")}}
        meta["onnx_latency"] = latency
        with open(args.metadata, "w") as stream:
            json.dump(meta, stream, indent=1)
    print(f"wrote {args.report}")


if __name__ == "__main__":
    main()
