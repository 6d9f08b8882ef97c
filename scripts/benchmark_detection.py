#!/usr/bin/env python3
"""Detector time per 640x480 frame on ONE core (cv2.setNumThreads(1)): median and p95.

Runs each detector over the shipped sample's frames (or --recording) after a warm-up and
prints the figures; the target is < 10 ms per frame for the default detector (YuNet, 320 px).

    .venv/bin/python scripts/benchmark_detection.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_ros.capture import open_source  # noqa: E402
from emotion_ros.depth import DepthGate  # noqa: E402
from emotion_ros.detection import make_detector  # noqa: E402
from emotion_ros.resources import sample_recording  # noqa: E402

CONFIGS = [("yunet", {}), ("yunet", {"width": 640}), ("haar", {})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recording", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the frames")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    source = open_source("fakenect", path=str(args.recording or sample_recording()),
                         realtime=False)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    h, w = frames[0].rgb.shape[:2]
    print(f"{len(frames)} frames {w}x{h}, {args.repeat} passes, cv2.setNumThreads(1), "
          f"opencv {cv2.__version__}")
    for name, options in CONFIGS:
        detector = make_detector(name, **options)
        for frame in frames[:5]:
            detector.detect(frame.rgb)
        times, faces = [], 0
        for _ in range(args.repeat):
            for frame in frames:
                start = time.perf_counter()
                faces += len(detector.detect(frame.rgb))
                times.append(time.perf_counter() - start)
        ms = np.array(times) * 1000
        label = name + "".join(f" {k}={v}" for k, v in options.items())
        print(f"{label:18s} median {np.median(ms):6.2f} ms  p95 {np.percentile(ms, 95):6.2f} ms"
              f"  ({faces / len(times):.1f} faces/frame)")
    gate, detector = DepthGate(), make_detector("yunet")
    boxes = [(frame, detector.detect(frame.rgb)) for frame in frames]
    times = []
    for frame, detections in boxes:
        for det in detections:
            start = time.perf_counter()
            gate.check(frame.depth, det)
            times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    print(f"{'depth gate':18s} median {np.median(ms):6.2f} ms  p95 {np.percentile(ms, 95):6.2f} ms"
          f"  per face")


if __name__ == "__main__":
    main()
