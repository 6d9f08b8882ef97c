#!/usr/bin/env python3
"""Detection precision / recall on the labelled sample, per detector, without and with depth gating.

Positives are the real faces of labels.json; a detection matches an unmatched label when
their IoU is at least --iou (greedy, best IoU first). A detection on a decoy, or on nothing,
is a false positive; gating should turn decoy detections into rejections without losing
any real face.

    .venv/bin/python scripts/evaluate_detection.py [--recording DIR] [--iou 0.4]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_ros.capture import open_source  # noqa: E402
from emotion_ros.depth import DepthGate  # noqa: E402
from emotion_ros.detection import make_detector  # noqa: E402
from emotion_ros.resources import sample_recording  # noqa: E402
from emotion_ros.tracking import iou  # noqa: E402


def match(detections, labels, min_iou):
    """Greedy one-to-one matching -> list of label index (or None) per detection."""
    pairs = sorted(((iou(d, lab["box"]), i, j) for i, d in enumerate(detections)
                    for j, lab in enumerate(labels)), reverse=True)
    assigned: list[int | None] = [None] * len(detections)
    used = set()
    for score, i, j in pairs:
        if score >= min_iou and assigned[i] is None and j not in used:
            assigned[i] = j
            used.add(j)
    return assigned


def evaluate(name, frames, gate, min_iou):
    detector = make_detector(name)
    counts = {gating: Counter() for gating in (False, True)}
    reasons = Counter()
    for frame, labels in frames:
        detections = detector.detect(frame.rgb)
        matched = match(detections, labels, min_iou)
        real = sum(lab["kind"] == "real" for lab in labels)
        for gating in (False, True):
            counts[gating]["real"] += real
        for det, j in zip(detections, matched):
            kind = labels[j]["kind"] if j is not None else "none"
            result = gate.check(frame.depth, det)
            for gating in (False, True):
                if gating and not result.kept:
                    if kind == "real":
                        counts[gating]["real rejected"] += 1
                    continue
                counts[gating]["tp" if kind == "real" else "fp"] += 1
                if kind == "decoy":
                    counts[gating]["decoy kept"] += 1
            if not result.kept:
                label = labels[j].get("decoy", labels[j]["kind"]) if j is not None else "none"
                reasons[f"{label} -> {result.reason}"] += 1
    for gating in (False, True):
        c = counts[gating]
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = c["tp"] / max(1, c["real"])
        print(f"{name:6s} gating {'on ' if gating else 'off'}  precision {precision:.3f}  "
              f"recall {recall:.3f}  (tp {c['tp']}, fp {c['fp']}, real faces {c['real']}, "
              f"decoys kept {c['decoy kept']}, real rejected {c['real rejected']})")
    print(f"{name:6s} rejections: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recording", type=Path, default=None,
                        help="fakenect directory with labels.json (default: the shipped sample)")
    parser.add_argument("--iou", type=float, default=0.4)
    parser.add_argument("--detectors", nargs="+", default=["yunet", "haar"])
    args = parser.parse_args()
    recording = args.recording or sample_recording()
    labels = json.loads((recording / "labels.json").read_text())["frames"]
    source = open_source("fakenect", path=str(recording), realtime=False)
    frames = []
    for entry in labels:
        frame = source.read()
        if frame is None:
            raise SystemExit(f"{recording} has fewer frames than labels.json")
        frames.append((frame, entry["faces"]))
    source.close()
    n_real = sum(f["kind"] == "real" for _, faces in frames for f in faces)
    print(f"{recording}: {len(frames)} frames, {n_real} real faces, "
          f"{sum(len(faces) for _, faces in frames) - n_real} decoys")
    gate = DepthGate()
    for name in args.detectors:
        evaluate(name, frames, gate, args.iou)


if __name__ == "__main__":
    main()
