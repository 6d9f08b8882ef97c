#!/usr/bin/env python3
"""Print the pipeline's frames per second and camera-to-/person_emotions latency (median, p95)
on the bundled sample (640x480, 3 real faces and 2-3 decoys per frame), composed (one
process) and as one process per node, with the camera at each of --rates frames per second.

    .venv/bin/python scripts/benchmark_pipeline.py [--duration 20] [--rates 30 45]

A camera faster than the graph shows as FPS below the camera rate; best-effort images then
drop the frames the detector cannot take.
"""

import argparse
import json
import subprocess
import sys


def measure(mode: str, rate_hz: float, duration: float) -> dict:
    command = [sys.executable, "-m", "emotion_ros.run", "--mode", mode, "--no-echo", "--stats",
               "--duration", str(duration), "--set", "driver.loop=true", "--set", "driver.realtime=false",
               "--set", f"driver.max_rate_hz={float(rate_hz)}"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--rates", type=float, nargs="+", default=[30.0, 45.0], help="camera rates, frames/s")
    args = parser.parse_args()
    print(f"{'mode':<10} {'camera FPS':>10} {'frames':>7} {'FPS':>6} {'latency median ms':>18} {'p95 ms':>7}")
    for mode in ("composed", "processes"):
        for rate in args.rates:
            stats = measure(mode, rate, args.duration)
            print(f"{mode:<10} {rate:>10.0f} {stats['frames']:>7} {stats['fps']:>6.1f} "
                  f"{stats['latency_median_ms']:>18.1f} {stats['latency_p95_ms']:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
