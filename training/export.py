"""Export a Keras emotion model to ONNX, check parity on real FER2013 faces, write metadata.

The ONNX graph has input `face` [N, 48, 48, 1] float32 in [0, 1] (dynamic N) and output
`scores` [N, 7] softmax probabilities in `emotion_ros.labels.EMOTIONS` order. Parity
(max abs difference, argmax agreement) against Keras is printed and stored in the metadata.
`--int8 N` also writes a statically quantised copy (`<out>_int8.onnx`, calibrated on N
training faces) and prints its agreement and latency, to measure what int8 buys.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from emotion_ros.labels import EMOTIONS
from emotion_ros.preprocessing import (EMOTION_CROP_OFFSET_Y, EMOTION_CROP_SCALE, INPUT_SHAPE,
                                        NORMALISATION)
from training.data import load_dataset, make_splits
from training.model import INPUT_NAME, OUTPUT_NAME, configure_tensorflow
from training.onnx_utils import onnx_predict, onnx_session, quantize_int8, to_onnx
from training.train import add_data_arguments

LICENCES = {
    "model": "Apache-2.0 (weights trained by the emotion_ros project)",
    "data": "FER2013 (Goodfellow et al., ICML 2013 workshop 'Challenges in Representation "
            "Learning', Kaggle): released for research use only; the weights inherit that "
            "restriction",
}


def parity(model, onnx_path: str, inputs: np.ndarray, tta: bool) -> dict:
    """Compare Keras and ONNX scores on `inputs`."""
    keras_scores = model.predict(inputs, batch_size=256, verbose=0)
    if tta:
        mirrored = model.predict(inputs[:, :, ::-1, :], batch_size=256, verbose=0)
        keras_scores = (keras_scores + mirrored) / 2
    onnx_scores = onnx_predict(onnx_session(onnx_path, threads=2), inputs)
    diff = np.abs(keras_scores - onnx_scores)
    return {"faces": int(len(inputs)), "max_abs_diff": float(diff.max()),
            "argmax_agreement": float(np.mean(keras_scores.argmax(1) == onnx_scores.argmax(1))),
            "onnx_row_sum_max_error": float(np.abs(onnx_scores.sum(1) - 1).max())}


def metadata(model_path: str, config: dict, run: dict, parity_result: dict, latency: dict,
             tta: bool, opset: int) -> dict:
    """The emotion.json content; `training.evaluate --metadata` adds the test metrics."""
    return {
        "classes": list(EMOTIONS),
        "input": {"name": INPUT_NAME, "shape": ["N", *INPUT_SHAPE], "dtype": "float32",
                  "range": [0.0, 1.0], "layout": "NHWC, grey"},
        "output": {"name": OUTPUT_NAME, "shape": ["N", len(EMOTIONS)],
                   "meaning": "softmax probabilities in `classes` order"
                              + (", mean of the face and its horizontal mirror" if tta else "")},
        "preprocessing": {
            "function": "emotion_ros.preprocessing.preprocess_face",
            "batch_function": "emotion_ros.preprocessing.preprocess_batch",
            "steps": ["BGR to grey (if colour)", "resize to 48x48 with cv2.INTER_AREA",
                      "histogram equalisation (cv2.equalizeHist)", "float32 / 255"],
            "normalisation": NORMALISATION,
            "why": "FER2013's image folders are histogram-equalised; fer2013.csv rows and camera "
                   "crops are not: equalising every face gives training and run time one "
                   "input distribution",
            "framing": {"crop": "emotion_ros.detection.crop_face (square, edge pixels repeated "
                                "outside the image)",
                        "side_over_box_longer_side": EMOTION_CROP_SCALE,
                        "centre_offset_y_box_sides": EMOTION_CROP_OFFSET_Y,
                        "measured_by": "python -m training.framing (YuNet on upscaled FER2013 "
                                       "train faces)"}},
        "model": {"config": config.get("name"), "architecture": config,
                  "source": os.path.basename(model_path), "onnx_opset": opset,
                  "test_time_flip": tta},
        "training": {
            "data": "FER2013 Training (train/ folder, 28,709 faces)",
            "split": (f"stratified {run.get('val_fraction', 0.1):.0%} validation carve-out of "
                      f"Training (seed {run.get('seed', 42)}) for model selection; the rest "
                      f"for training; public_test/ only for the final report"
                      if run.get("protocol", "official") == "official"
                      else "all merged, stratified 70/20/10 train/val/test"),
            **{k: run[k] for k in ("epochs", "best_epoch", "best_val_accuracy", "subset",
                                   "seed", "protocol") if k in run}},
        "parity_keras_vs_onnx": parity_result,
        "onnx_latency": latency,
        "licence": LICENCES,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser)
    parser.add_argument("--model", required=True, help="Keras model (.keras)")
    parser.add_argument("--out", default="emotion_ros/models/emotion.onnx", help="ONNX path")
    parser.add_argument("--metadata", default=None,
                        help="metadata JSON path (default: --out with .json)")
    parser.add_argument("--tta", action="store_true",
                        help="bake horizontal-flip test-time augmentation into the graph")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--parity-faces", type=int, default=1000,
                        help="validation faces (from train/) used for the parity check")
    parser.add_argument("--int8", type=int, default=0, metavar="N",
                        help="also write <out>_int8.onnx, quantised with N calibration faces "
                             "from the training split")
    args = parser.parse_args(argv)

    configure_tensorflow()
    import keras

    from training.benchmark import onnx_latency

    model = keras.models.load_model(args.model, compile=False)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    to_onnx(model, args.out, tta=args.tta, opset=args.opset)
    splits = make_splits(load_dataset(args.data), args.protocol, args.val_fraction, args.seed)
    val = splits["val"].inputs()[:args.parity_faces]
    result = parity(model, args.out, val, args.tta)
    print(f"parity on {result['faces']} FER2013 validation faces: max abs diff "
          f"{result['max_abs_diff']:.2e}, argmax agreement {result['argmax_agreement']:.4f}")
    latency = onnx_latency(args.out)
    print(f"ONNX Runtime, 1 thread, batch 1: median {latency['median_ms']:.3f} ms/face, "
          f"p95 {latency['p95_ms']:.3f} ms/face")
    state_path = os.path.join(os.path.dirname(os.path.abspath(args.model)), "state.json")
    config, run = {}, {}
    if os.path.exists(state_path):
        with open(state_path) as stream:
            state = json.load(stream)
        config, run = state["config"], {**state.get("run", {}), "epochs": state["epoch"],
                                         "best_epoch": state["best_epoch"],
                                         "best_val_accuracy": state["best_val_accuracy"]}
    meta = metadata(args.model, config, run, result, latency, args.tta, args.opset)
    meta_path = args.metadata or os.path.splitext(args.out)[0] + ".json"
    with open(meta_path, "w") as stream:
        json.dump(meta, stream, indent=1)
    print(f"wrote {args.out} and {meta_path}")
    if args.int8:
        int8_path = os.path.splitext(args.out)[0] + "_int8.onnx"
        train = splits["train"].inputs()
        picks = np.random.default_rng(args.seed).choice(len(train), min(args.int8, len(train)),
                                                        replace=False)
        quantize_int8(args.out, int8_path, train[np.sort(picks)])
        session = onnx_session(int8_path, threads=2)
        agreement = np.mean(onnx_predict(session, val).argmax(1)
                            == onnx_predict(onnx_session(args.out, threads=2), val).argmax(1))
        latency = onnx_latency(int8_path)
        print(f"wrote {int8_path}: argmax agreement with float {agreement:.4f} on {len(val)} "
              f"validation faces; median {latency['median_ms']:.3f} ms/face, "
              f"p95 {latency['p95_ms']:.3f}")


if __name__ == "__main__":
    main()
