"""Per-face latency of an emotion model: Keras predict, Keras direct call and ONNX Runtime.

Modes:
  --model M          latency table of M (.keras; its ONNX export, or --onnx, for ONNX Runtime)
  --candidates       ONNX latency of candidate architectures (untrained; run before training)
  --table R [R ...]  one table of accuracy vs ONNX latency from evaluation reports
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from emotion_ros.preprocessing import INPUT_SHAPE
from training.data import split_label


def time_per_face(run, batch: int, repeats: int, warmup: int = 10) -> dict:
    """Median and p95 milliseconds per face of `run(x)` on a random batch of `batch` faces."""
    x = np.random.RandomState(0).rand(batch, *INPUT_SHAPE).astype(np.float32)
    for _ in range(warmup):
        run(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        times.append((time.perf_counter() - start) * 1e3 / batch)
    return {"median_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95)),
            "batch": batch, "repeats": repeats}


def onnx_latency(path: str, batch: int = 1, repeats: int = 300) -> dict:
    """ONNX Runtime per-face latency with one intra-op thread."""
    from training.onnx_utils import onnx_session

    session = onnx_session(path, threads=1)
    name = session.get_inputs()[0].name
    result = time_per_face(lambda x: session.run(None, {name: x}), batch, repeats)
    return {**result, "threads": 1}


CANDIDATES = {
    "seed (post)": None,
    "gap 32/64/128/256": ((32,), (64,), (128,), (256,)),
    "gap 16/32x2/64x2/128x2": ((16,), (32, 32), (64, 64), (128, 128)),
    "gap 32/32x2/64x2/128x2": ((32,), (32, 32), (64, 64), (128, 128)),
    "gap 32/32x2/64x2/128x2/256 (improved)": ((32,), (32, 32), (64, 64), (128, 128), (256,)),
    "gap 32/64/128/192x2": ((32,), (64,), (128,), (192, 192)),
    "gap 32/64/128x2/256": ((32,), (64,), (128, 128), (256,)),
    "gap 32/64x2/128x2/192": ((32,), (64, 64), (128, 128), (192,)),
    "gap 48/48x2/96x2/192x2/384 (wide)": ((48,), (48, 48), (96, 96), (192, 192), (384,)),
}


def candidates(repeats: int) -> None:
    """Print MACs, parameters and ONNX latency (with and without flip TTA) per candidate."""
    from training.model import CONFIGS, build_model, conv_macs
    from training.onnx_utils import to_onnx

    print(f"{'candidate':<40}{'MMAC':>7}{'params':>9}{'ms (b1)':>9}{'ms TTA':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, stages in CANDIDATES.items():
            config = (CONFIGS["seed"] if stages is None
                      else CONFIGS["improved"].replace(stages=stages))
            model = build_model(config)
            row = []
            for tta in (False, True):
                path = os.path.join(tmp, "candidate.onnx")
                to_onnx(model, path, tta=tta)
                row.append(onnx_latency(path, 1, repeats)["median_ms"])
            print(f"{name:<40}{conv_macs(config) / 1e6:>7.1f}{model.count_params():>9}"
                  f"{row[0]:>9.3f}{row[1]:>9.3f}", flush=True)


def model_latency(model_path: str, onnx_path: str | None, repeats: int) -> dict:
    """Latency rows for Keras predict, Keras call and ONNX Runtime at batch 1 and 8."""
    import keras

    from training.onnx_utils import to_onnx

    model = keras.models.load_model(model_path, compile=False)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        if onnx_path is None:
            onnx_path = os.path.join(tmp, "model.onnx")
            to_onnx(model, onnx_path)
        # ONNX first: TensorFlow's thread pool keeps spinning after Keras calls.
        for batch in (1, 8):
            rows[f"onnx_b{batch}"] = onnx_latency(onnx_path, batch, repeats)
        for batch in (1, 8):
            rows[f"keras_predict_b{batch}"] = time_per_face(
                lambda x: model.predict(x, verbose=0), batch, max(20, repeats // 10))
            rows[f"keras_call_b{batch}"] = time_per_face(
                lambda x: model(x, training=False).numpy(), batch, repeats)
    return rows


def print_latency(rows: dict) -> None:
    print(f"{'runtime':<22}{'batch':>6}{'median ms/face':>16}{'p95 ms/face':>13}")
    for name, row in rows.items():
        print(f"{name:<22}{row['batch']:>6}{row['median_ms']:>16.3f}{row['p95_ms']:>13.3f}")
    for batch in (1, 8):
        onnx = rows[f"onnx_b{batch}"]["median_ms"]
        print(f"batch {batch}: Keras predict / ONNX = "
              f"{rows[f'keras_predict_b{batch}']['median_ms'] / onnx:.1f}x, "
              f"Keras call / ONNX = {rows[f'keras_call_b{batch}']['median_ms'] / onnx:.1f}x")


def table(reports: list[str]) -> str:
    """Markdown table of accuracy, macro-F1 and ONNX latency, one row per report."""
    lines = ["| configuration | model | data | split | accuracy | macro-F1 | ONNX ms/face "
             "(median, b1, 1 thread) | p95 ms |", "|---|---|---|---|---|---|---|---|"]
    for path in reports:
        with open(path) as stream:
            r = json.load(stream)
        if not {"name", "accuracy", "macro_f1"} <= set(r):
            print(f"skipped {path}: not a training.evaluate report", file=sys.stderr)
            continue
        latency = r.get("onnx_latency", {})
        lines.append(f"| {r['name']} | {os.path.basename(r['model'])} | {r.get('training', '')} "
                     f"| {split_label(r['split'])} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} "
                     f"| {latency.get('median_ms', float('nan')):.3f} "
                     f"| {latency.get('p95_ms', float('nan')):.3f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--model", help="Keras model (.keras) to time")
    mode.add_argument("--candidates", action="store_true",
                      help="time untrained candidate architectures in ONNX Runtime")
    mode.add_argument("--table", nargs="+", metavar="REPORT",
                      help="evaluation JSON reports (training.evaluate) to tabulate")
    parser.add_argument("--onnx", help="ONNX file of --model (default: export it to a temp file)")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--json", help="also write the latency rows here")
    args = parser.parse_args(argv)

    if args.table:
        print(table(args.table))
        return
    from training.model import configure_tensorflow

    configure_tensorflow(threads=1)
    if args.candidates:
        candidates(args.repeats)
        return
    rows = model_latency(args.model, args.onnx, args.repeats)
    print_latency(rows)
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(rows, stream, indent=1)


if __name__ == "__main__":
    main()
