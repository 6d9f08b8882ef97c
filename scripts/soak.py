#!/usr/bin/env python3
"""Soak: run the looping bundled sample through the graph for --minutes and print, per minute,
the frames per second, p95 camera-to-/person_emotions latency and the resident memory (RSS) of
the pipeline's processes, then the RSS slope (MiB per minute, least squares over the minutes
after the first).

    .venv/bin/python scripts/soak.py [--minutes 10] [--mode composed|processes] [--rate 15]

Reads the nodes' own /diagnostics (rate, latency p50/p95 on the node clock) and /person_emotions.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np


def rss_mib(pids) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024.0


def children_of(pid) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        found += kids
        frontier += kids
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--mode", choices=("composed", "processes"), default="composed")
    parser.add_argument("--rate", type=float, default=15.0, help="camera frames per second (the sample's own: 15)")
    args = parser.parse_args()

    from emotion_ros import graph

    for variable, value in graph.TRANSPORT_ENV.items():  # the graph's transport, or this listener hears nothing
        os.environ.setdefault(variable, value)
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor

    from emotion_ros.msg import PersonEmotion
    from emotion_ros.pairing import stamp_key

    run = subprocess.Popen([sys.executable, "-m", "emotion_ros.run", "--mode", args.mode, "--no-echo",
                            "--duration", str(args.minutes * 60 + 5), "--set", "driver.loop=true",
                            "--set", "driver.realtime=false", "--set", f"driver.max_rate_hz={args.rate}"],
                           stderr=subprocess.DEVNULL, env={**os.environ})
    rclpy.init()
    node = rclpy.create_node("soak")
    stamps, latencies = set(), []
    node.create_subscription(PersonEmotion, "person_emotions", lambda m: (
        stamps.add(stamp_key(m.header)),
        latencies.append(node.get_clock().now().nanoseconds * 1e-9 - stamp_key(m.header) * 1e-9)), 100)
    status = {}
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: status.update(
        {s.name: {kv.key: kv.value for kv in s.values} for s in m.status}), 50)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    print(f"{'minute':>6} {'FPS':>6} {'p95 ms':>7} {'RSS MiB':>8} {'detector dropped':>16}", flush=True)
    rows, start = [], time.monotonic()
    try:
        for minute in range(1, int(args.minutes) + 1):
            stamps.clear()
            latencies.clear()
            began = time.monotonic()
            while time.monotonic() - began < 60 and run.poll() is None:
                executor.spin_once(timeout_sec=0.1)
            if run.poll() is not None:
                print(f"the run ended after {time.monotonic() - start:.0f} s (exit {run.returncode})")
                break
            fps = len(stamps) / (time.monotonic() - began)
            p95 = float(np.percentile(latencies, 95) * 1000) if latencies else float("nan")
            rss = rss_mib([run.pid, *children_of(run.pid)])
            dropped = status.get("emotion_ros: face_detector", {}).get("dropped", "?")
            rows.append((minute, fps, p95, rss))
            print(f"{minute:>6} {fps:>6.1f} {p95:>7.1f} {rss:>8.1f} {dropped:>16}", flush=True)
    finally:
        run.terminate()
        run.wait(timeout=30)
        node.destroy_node()
        rclpy.try_shutdown()
    if len(rows) >= 3:
        minutes, rss = np.array([r[0] for r in rows[1:]]), np.array([r[3] for r in rows[1:]])
        slope = np.polyfit(minutes, rss, 1)[0]
        print(f"RSS slope (minutes 2-{rows[-1][0]}): {slope:+.2f} MiB/min")


if __name__ == "__main__":
    main()
