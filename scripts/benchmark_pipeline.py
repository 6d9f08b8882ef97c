#!/usr/bin/env python3
"""Print the pipeline's frames per second and camera-to-/person_emotions latency (median, p95)
on the bundled sample, composed (one process) and as one process per node.

Two regimes per mode: the recording replayed at camera pace (30 FPS), and as fast as the
graph takes it (driver not paced; best-effort images, so the slowest node sets the rate).

    .venv/bin/python scripts/benchmark_pipeline.py [--duration 20]
"""

import argparse
import json
import subprocess
import sys


def measure(mode: str, realtime: bool, duration: float) -> dict:
    command = [sys.executable, "-m", "emotion_ros.run", "--mode", mode, "--no-echo", "--stats",
               "--duration", str(duration), "--set", "driver.loop=true",
               "--set", f"driver.realtime={'true' if realtime else 'false'}"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    args = parser.parse_args()
    print(f"{'mode':<10} {'replay':<12} {'frames':>7} {'FPS':>6} {'latency median ms':>18} {'p95 ms':>7}")
    for mode in ("composed", "processes"):
        for realtime in (True, False):
            stats = measure(mode, realtime, args.duration)
            print(f"{mode:<10} {'camera pace' if realtime else 'max rate':<12} {stats['frames']:>7} "
                  f"{stats['fps']:>6.1f} {stats['latency_median_ms']:>18.1f} {stats['latency_p95_ms']:>7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
