#!/usr/bin/env python3
"""The pipeline across three "machines": Linux network namespaces joined by veth pairs.

    sudo .venv/bin/python scripts/multihost.py                     # raw images over the link
    sudo .venv/bin/python scripts/multihost.py --compressed        # JPEG / PNG over the link
    sudo .venv/bin/python scripts/multihost.py --compare --rate-mbit 100

Namespace "robot" runs the driver (the bundled sample, looped at --fps), "brain" the face
detector, identity, emotion and aggregator, "viewer" only listens to /person_emotions. Each
has one interface, eth0, on a bridge in a fourth namespace (one LAN, 10.231.0.0/24): DDS
discovery is ROS 2's default multicast on that subnet; data is UDPv4 only with 4 MB socket
buffers (FASTDDS_BUILTIN_TRANSPORTS=UDPv4?sockets_size=4MB), so nothing takes the
shared-memory shortcut that processes on one real machine would. With --compressed a compression relay beside the
driver sends CompressedImage (JPEG colour, PNG depth) and one in "brain" decompresses it.
--rate-mbit shapes the robot's uplink (tc tbf), as a slower link would.

Prints end-to-end latency (camera stamp to /person_emotions arriving in "viewer"; one
kernel, so one clock), bytes per second of each topic where it is published, and bytes per
second through each namespace's interface. `--json` prints the figures as one JSON line.
`--check` only says whether network namespaces can be made here (exit 0), or why not (77).
Needs root (CAP_NET_ADMIN) and iproute2.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBNET = "10.231.0"
HOSTS = {"robot": 1, "brain": 2, "viewer": 3}
BRAIN_NODES = ("face_detector", "identity", "emotion", "aggregator")
IMAGE, COMPRESSED = "sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage"
FACES, EMOTIONS = "emotion_ros/msg/FaceArray", "emotion_ros/msg/PersonEmotion"
# topics measured where they are published (the probe there receives them over loopback)
ROBOT_TOPICS = {"/camera/image_raw": IMAGE, "/camera/depth/image_raw": IMAGE,
                "/camera/camera_info": "sensor_msgs/msg/CameraInfo"}
ROBOT_COMPRESSED_TOPICS = {"/camera/image_raw/compressed": COMPRESSED,
                           "/camera/depth/image_raw/compressedDepth": COMPRESSED}
BRAIN_TOPICS = {"/faces": FACES, "/faces/identified": FACES, "/faces/classified": FACES, "/person_emotions": EMOTIONS}
# UDP only (real machines share no memory), with 4 MB socket buffers: at the default 208 kB a
# 0.9 MB best-effort image loses a fragment, and so the whole image, most of the time
# (the kernel caps them at net.core.rmem_max / wmem_max)
TRANSPORT = "UDPv4?sockets_size=4MB"
EXIT_UNAVAILABLE = 77  # the "skipped" exit status of automake and many test harnesses


def sh(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True)


def netns_problem() -> str | None:
    """None when network namespaces can be created and joined here, else why not."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN)"
    name = f"er{os.getpid()}-check"
    made = sh("ip", "netns", "add", name, check=False)
    if made.returncode:
        return f"`ip netns add` is not permitted here: {made.stderr.strip()}"
    try:
        joined = sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up", check=False)
        veth = sh("ip", "-n", name, "link", "add", "name", "check0", "type", "veth", "peer", "name", "check1",
                  check=False)
        if joined.returncode or veth.returncode:
            return f"cannot use a network namespace here: {(joined.stderr or veth.stderr).strip()}"
    finally:
        sh("ip", "netns", "del", name, check=False)
    return None


class Network:
    """robot, brain and viewer namespaces, each with eth0 on a bridge in a "link" namespace."""

    def __init__(self, rate_mbit: float = 0.0):
        self.prefix = f"er{os.getpid() % 100000}"
        self.names = {host: f"{self.prefix}-{host}" for host in (*HOSTS, "link")}
        self.rate_mbit = rate_mbit

    def __enter__(self):
        try:
            self._create()
        except subprocess.CalledProcessError as err:
            self.__exit__()
            raise RuntimeError(f"setting up the namespaces failed: {' '.join(err.cmd)}: {err.stderr.strip()}") from err
        return self

    def _create(self):
        link = self.names["link"]
        for name in self.names.values():
            sh("ip", "netns", "add", name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
        sh("ip", "-n", link, "link", "add", "name", "br0", "type", "bridge", "mcast_snooping", "0")
        sh("ip", "-n", link, "link", "set", "br0", "up")
        for host, number in HOSTS.items():
            ns = self.names[host]
            sh("ip", "-n", link, "link", "add", "name", host, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "-n", link, "link", "set", host, "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{SUBNET}.{number}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")  # DDS discovery multicast
        if self.rate_mbit:
            sh("ip", "netns", "exec", self.names["robot"], "tc", "qdisc", "add", "dev", "eth0", "root", "tbf",
               "rate", f"{self.rate_mbit}mbit", "burst", "256kb", "latency", "200ms")

    def exec_prefix(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.names[host]]

    def counters(self) -> dict[str, dict[str, int]]:
        """Bytes sent and received so far on each host's eth0."""
        out = {}
        for host in HOSTS:
            stats = json.loads(sh("ip", "-n", self.names[host], "-j", "-s", "link", "show", "dev", "eth0").stdout)
            s64 = stats[0]["stats64"]
            out[host] = {"tx": s64["tx"]["bytes"], "rx": s64["rx"]["bytes"]}
        return out

    def __exit__(self, *exc):
        for name in self.names.values():
            sh("ip", "netns", "del", name, check=False)


# --- the probe: runs inside a namespace, records arrival time and size of every message ---

def probe_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="multihost.py probe")
    parser.add_argument("--topics", nargs="+", required=True, help="TOPIC=TYPE")
    parser.add_argument("--latency-topic", default="")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from importlib import import_module

    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from rclpy.serialization import deserialize_message

    def message_class(msgtype):
        package, _, name = msgtype.split("/")
        return getattr(import_module(f"{package}.msg"), name)

    rclpy.init()
    node = rclpy.create_node(f"probe_{os.getpid()}")
    records = {}
    latencies = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def callback(topic, msg_class):
        records[topic] = []

        def on_message(data: bytes):
            now = time.time()
            records[topic].append((now, len(data)))
            if topic == args.latency_topic:
                msg = deserialize_message(data, msg_class)
                latencies.append((now, now - (msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)))
                if len(latencies) == 1:
                    print("first", flush=True)
        return on_message

    for spec in args.topics:
        topic, _, msgtype = spec.partition("=")
        msg_class = message_class(msgtype)
        node.create_subscription(msg_class, topic, callback(topic, msg_class), qos_profile_sensor_data, raw=True)
    print("ready", flush=True)
    while not stop:
        rclpy.spin_once(node, timeout_sec=0.1)
    Path(args.out).write_text(json.dumps({"records": records, "latencies": latencies}))
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


# --- the experiment ---

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def measure(args, tmp: Path) -> dict:
    from emotion_ros import graph
    from emotion_ros.nodes.compression import REMAPS

    parameters = graph.node_parameters(source="fakenect")
    parameters["driver"].update(loop=True, realtime=False, max_rate_hz=float(args.fps), wait_for_subscriber_s=60.0)
    params_file = graph.write_parameters(parameters, tmp / "parameters.yaml")
    env = {**os.environ, "ROS_DOMAIN_ID": str(random.randint(1, 100)), "ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET",
           "FASTDDS_BUILTIN_TRANSPORTS": args.transport, "PYTHONUNBUFFERED": "1"}
    env.pop("ROS_STATIC_PEERS", None)
    processes: list[subprocess.Popen] = []
    logs = []

    def start(host, command, name):
        log = open(tmp / f"{host}-{name}.log", "w")
        logs.append(log)
        process = subprocess.Popen(network.exec_prefix(host) + command, env=env, stdout=subprocess.PIPE,
                                   stderr=log, text=True, cwd=ROOT)
        processes.append(process)
        return process

    def node(host, name, *extra, parameters=()):
        # lifecycle nodes configure and activate themselves (--autostart): no lifecycle manager across hosts
        command = [sys.executable, "-m", f"emotion_ros.nodes.{name}", "--autostart", "--ros-args",
                   "--params-file", str(params_file)]
        for parameter in parameters:
            command += ["-p", parameter]
        return start(host, command + list(extra), name)

    def probe(host, topics, latency_topic=""):
        command = [sys.executable, str(Path(__file__).resolve()), "probe", "--out", str(tmp / f"probe-{host}.json"),
                   "--topics", *(f"{t}={m}" for t, m in topics.items())]
        if latency_topic:
            command += ["--latency-topic", latency_topic]
        return start(host, command, "probe")

    with Network(args.rate_mbit) as network:
        try:
            remaps = []
            if args.compressed:
                for raw, decompressed in REMAPS.items():
                    remaps += ["-r", f"{raw}:={decompressed}"]
                node("brain", "compression", parameters=["mode:=decompress"])
            for name in BRAIN_NODES:
                node("brain", name, *(remaps if name == "face_detector" else []))
            robot_topics = {**ROBOT_TOPICS, **(ROBOT_COMPRESSED_TOPICS if args.compressed else {})}
            probes = {"robot": probe("robot", robot_topics), "brain": probe("brain", BRAIN_TOPICS),
                      "viewer": probe("viewer", {"/person_emotions": EMOTIONS}, "/person_emotions")}
            for process in probes.values():
                if process.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"a probe did not start: see {tmp}")
            if args.compressed:
                node("robot", "compression", parameters=["mode:=compress"])
            node("robot", "driver")
            deadline = time.monotonic() + args.timeout
            first = ""
            while time.monotonic() < deadline and first != "first":
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError(f"a process exited early; logs in {tmp}")
                if select.select([probes["viewer"].stdout], [], [], 0.5)[0]:
                    first = probes["viewer"].stdout.readline().strip()
            if first != "first":
                raise RuntimeError(f"/person_emotions never reached the viewer namespace; logs in {tmp}")
            time.sleep(args.warmup)
            start_time, start_counters = time.time(), network.counters()
            time.sleep(args.duration)
            end_time, end_counters = time.time(), network.counters()
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            for log in logs:
                log.close()

    window = end_time - start_time
    per_topic, latencies = {}, []
    for host in HOSTS:
        data = json.loads((tmp / f"probe-{host}.json").read_text())
        if host == "viewer":
            latencies = [lat for t, lat in data["latencies"] if start_time <= t <= end_time]
            continue
        for topic, records in data["records"].items():
            inside = [size for t, size in records if start_time <= t <= end_time]
            per_topic[topic] = {"host": host, "messages_per_s": len(inside) / window,
                                "bytes_per_s": sum(inside) / window,
                                "bytes_per_message": sum(inside) / len(inside) if inside else 0}
    link = {host: {direction: (end_counters[host][direction] - start_counters[host][direction]) / window
                   for direction in ("tx", "rx")} for host in HOSTS}
    return {"compressed": args.compressed, "fps": args.fps, "rate_mbit": args.rate_mbit, "seconds": window,
            "person_emotions": len(latencies),
            "latency_median_ms": 1000 * percentile(latencies, 0.5),
            "latency_p95_ms": 1000 * percentile(latencies, 0.95),
            "topics": per_topic, "link_bytes_per_s": link}


def report(result: dict) -> str:
    lines = [f"== {'compressed' if result['compressed'] else 'raw'} images, camera {result['fps']:g} FPS"
             + (f", robot uplink {result['rate_mbit']:g} Mbit/s" if result["rate_mbit"] else "")
             + f", {result['seconds']:.1f} s",
             f"end-to-end latency (camera stamp -> /person_emotions in viewer): median "
             f"{result['latency_median_ms']:.1f} ms, p95 {result['latency_p95_ms']:.1f} ms "
             f"({result['person_emotions']} messages)",
             f"{'topic':<42} {'where':<7} {'msg/s':>6} {'bytes/msg':>10} {'kB/s':>9}"]
    for topic, t in result["topics"].items():
        lines.append(f"{topic:<42} {t['host']:<7} {t['messages_per_s']:>6.1f} {t['bytes_per_message']:>10.0f} "
                     f"{t['bytes_per_s'] / 1000:>9.1f}")
    lines.append("interface bytes/s (eth0):  " + ",  ".join(
        f"{host} tx {v['tx'] / 1000:.1f} kB/s rx {v['rx'] / 1000:.1f} kB/s"
        for host, v in result["link_bytes_per_s"].items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["probe"]:
        return probe_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compressed", action="store_true", help="send the camera as CompressedImage")
    parser.add_argument("--compare", action="store_true", help="run raw, then compressed, and print the saving")
    parser.add_argument("--fps", type=float, default=10.0, help="camera frames per second")
    parser.add_argument("--rate-mbit", type=float, default=0.0, help="shape the robot's uplink to this rate")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--transport", default=TRANSPORT, help="FASTDDS_BUILTIN_TRANSPORTS of every process")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds after the first /person_emotions")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the first /person_emotions")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--check", action="store_true", help="only check that network namespaces can be used")
    args = parser.parse_args(argv)
    problem = netns_problem()
    if problem:
        print(f"multihost: cannot run: {problem}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if args.check:
        print("network namespaces: available")
        return 0
    results = []
    try:
        for compressed in ((False, True) if args.compare else (args.compressed,)):
            args.compressed = compressed
            tmp = Path(tempfile.mkdtemp(prefix="emotion_ros-multihost-"))  # kept when a run fails
            results.append(measure(args, tmp))
            shutil.rmtree(tmp)
            print(report(results[-1]), flush=True)
    except RuntimeError as err:
        print(f"multihost: {err}", file=sys.stderr)
        return 1
    summary = {"runs": results}
    if args.compare:
        raw, compressed = (r["link_bytes_per_s"]["robot"]["tx"] for r in results)
        summary["robot_uplink_saving"] = 1 - compressed / raw if raw else float("nan")
        print(f"== compressed images: robot uplink {compressed / 1e6:.2f} MB/s instead of {raw / 1e6:.2f} MB/s "
              f"({100 * summary['robot_uplink_saving']:.1f} % less)")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
