#!/usr/bin/env python3
"""Print the pipeline's frames per second and camera-to-/person_emotions latency (median, p95)
on the bundled sample (640x480, 3 real faces and 2-3 decoys per frame), composed (one
process) and as one process per node, with the camera at each of --rates frames per second.

    .venv/bin/python scripts/benchmark_pipeline.py [--duration 20] [--rates 30 60 90]

A camera faster than the graph costs frames dropped at the head (the `dropped` column: camera
frames that never reached /person_emotions), not latency. A measurement that fails prints its
reason in the row and the script exits 1; it never prints an empty row.
"""

import argparse
import json
import subprocess
import sys


def measure(mode: str, rate_hz: float, duration: float) -> dict:
    command = [sys.executable, "-m", "emotion_ros.run", "--mode", mode, "--no-echo", "--stats",
               "--duration", str(duration), "--set", "driver.loop=true", "--set", "driver.realtime=false",
               "--set", f"driver.max_rate_hz={float(rate_hz)}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 180)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]}")
    stats = json.loads(lines[-1])
    if not stats["messages"]:
        raise RuntimeError(f"no frame reached /person_emotions ({stats['camera_frames']} camera frames)")
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--rates", type=float, nargs="+", default=[30.0, 60.0, 90.0], help="camera rates, frames/s")
    args = parser.parse_args()
    print(f"{'mode':<10} {'camera FPS':>10} {'camera frames':>13} {'frames':>7} {'dropped':>8} {'FPS':>6} "
          f"{'latency median ms':>18} {'p95 ms':>7}")
    failed = False
    for mode in ("composed", "processes"):
        for rate in args.rates:
            try:
                s = measure(mode, rate, args.duration)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"{mode:<10} {rate:>10.0f}  failed: {error}", flush=True)
                failed = True
                continue
            print(f"{mode:<10} {rate:>10.0f} {s['camera_frames']:>13} {s['emotion_frames']:>7} "
                  f"{s['camera_frames'] - s['emotion_frames']:>8} {s['fps']:>6.1f} "
                  f"{s['latency_median_ms']:>18.1f} {s['latency_p95_ms']:>7.1f}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
