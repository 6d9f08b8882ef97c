"""Run the pipeline without the ROS 2 launch tools, from the same YAML as the launch file.

    python -m emotion_ros.run                          # bundled sample, all nodes in one process
    python -m emotion_ros.run --video annotated.mp4    # also write the annotated video
    python -m emotion_ros.run --mode processes         # one process per node, as ros2 launch does
    python -m emotion_ros.run --source webcam --duration 30
    python -m emotion_ros.run --namespace robot1 --log-level debug --image-topic /camera/color/image_raw

Launch-file arguments have the same names here (--params-file, --namespace, --use-sim-time,
--log-level, --composed, --image-topic, --depth-topic, --camera-info-topic): emotion_ros/ros_arguments.py.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

import yaml

from emotion_ros import graph, ros_arguments

DRAIN_S = 1.0  # after the last frame, let the graph finish the frames in flight
CONNECT_TIMEOUT_S = 10.0
CHAIN_TOPICS = ("faces", "faces/identified", "faces/classified", "person_emotions")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", "--params-file", dest="config",
                        help="ROS 2 parameter file (default: the package's config/pipeline.yaml)")
    parser.add_argument("--source", default="", help="kinect | webcam | video | fakenect | bag (default: from config)")
    parser.add_argument("--path", default="",
                        help="video file, fakenect directory or rosbag2 bag (default: from config)")
    parser.add_argument("--mode", choices=("composed", "processes"), default="composed",
                        help="all nodes in this process, or one process per node")
    parser.add_argument("--video", default="", help="write the annotated video to this file (.mp4 or .avi)")
    parser.add_argument("--no-echo", action="store_true", help="do not print /person_emotions")
    parser.add_argument("--behaviour", action="store_true", help="also run the example behaviour node")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0: at end of stream)")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="override one parameter, e.g. driver.loop=true (YAML value)")
    parser.add_argument("--stats", action="store_true", help="print frames per second and latency as JSON at the end")
    for name, (default, description) in ros_arguments.ARGUMENTS.items():  # the launch file's names
        if name not in ("params_file", "composed"):
            parser.add_argument("--" + name.replace("_", "-"), default=default, help=description)
    parser.add_argument("--composed", choices=("true", "false"),
                        help="true = --mode composed, false = --mode processes")
    args = parser.parse_args(argv)
    if args.composed:
        args.mode = "composed" if args.composed == "true" else "processes"
    try:
        ros_arguments.ros_arguments(vars(args))
    except ValueError as error:
        parser.error(str(error))
    return args


def build_parameters(args) -> dict[str, dict]:
    parameters = graph.node_parameters(args.config, source=args.source, path=args.path)
    for item in args.set:
        name, _, value = item.partition("=")
        node, _, parameter = name.partition(".")
        if not parameter or node not in parameters:
            raise SystemExit(f"--set {item}: expected NODE.PARAM=VALUE with NODE one of {', '.join(parameters)}")
        value = yaml.safe_load(value)
        if isinstance(parameters[node].get(parameter), float) and isinstance(value, int):
            value = float(value)  # ROS parameters are typed: 30 for a double parameter means 30.0
        parameters[node][parameter] = value
    parameters["monitor"] = {"echo": not args.no_echo, "video_path": args.video}
    return parameters


def node_class(name: str):
    """The node class of `emotion_ros/nodes/<name>.py`, named in CamelCase (face_detector: FaceDetector)."""
    return getattr(import_module(f"emotion_ros.nodes.{name}"), name.title().replace("_", ""))


def spin_until_connected(executor, node, timeout_s: float = CONNECT_TIMEOUT_S) -> bool:
    """Spin until every topic of the chain below the driver has a publisher and a subscriber,
    and `node`'s own subscriptions are matched, so the first camera frame travels the whole graph."""
    def connected():
        return (all(node.count_publishers(t) and node.count_subscribers(t) for t in CHAIN_TOPICS)
                and all(s.get_publisher_count() for s in node.subscriptions
                        if any(s.topic_name.endswith("/" + t) for t in CHAIN_TOPICS)))  # in any namespace

    deadline = time.monotonic() + timeout_s
    while not connected() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return connected()


def run(args) -> dict:
    import rclpy
    from rclpy.experimental import EventsExecutor

    names = list(graph.PIPELINE_NODES) + (list(graph.EXAMPLE_NODES) if args.behaviour else [])
    with tempfile.TemporaryDirectory(prefix="emotion_ros-") as tmp:
        params_file = graph.write_parameters(build_parameters(args), Path(tmp) / "parameters.yaml")
        ros_args = ["--ros-args", "--params-file", str(params_file), *ros_arguments.ros_arguments(vars(args))]
        if args.mode == "processes":  # the same transports in every process, this one included
            os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
        rclpy.init(args=ros_args)
        executor = EventsExecutor()
        children, nodes = [], []
        try:
            monitor = node_class("monitor")()
            nodes.append(monitor)
            executor.add_node(monitor)
            # the driver starts last, once the rest of the graph is connected
            if args.mode == "composed":
                nodes += [node_class(name)() for name in names[1:]]
                for node in nodes[1:]:
                    executor.add_node(node)
                spin_until_connected(executor, monitor)
                driver = node_class("driver")()
                nodes.append(driver)
                executor.add_node(driver)
                finished = driver.finished.is_set
            else:
                command = [sys.executable, "-m", "emotion_ros.nodes.{}", *ros_args]
                children = [subprocess.Popen([part.format(name) for part in command]) for name in names[1:]]
                spin_until_connected(executor, monitor)
                children.append(subprocess.Popen([part.format("driver") for part in command]))
                finished = lambda: children[-1].poll() is not None  # noqa: E731 - the driver
            started = time.monotonic()
            stop_at = None
            while rclpy.ok():
                executor.spin_once(timeout_sec=0.05)
                now = time.monotonic()
                if stop_at is None and (finished() or (args.duration and now - started >= args.duration)):
                    stop_at = now + DRAIN_S
                if stop_at is not None and now >= stop_at:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
            stats = nodes[0].stats() if nodes else {}
            for node in reversed(nodes):
                node.destroy_node()
            rclpy.try_shutdown()
    return stats


def main(argv=None):
    args = parse_args(argv)
    stats = run(args)
    if args.video:
        print(f"annotated video: {args.video}", file=sys.stderr)
    if args.stats:
        print(json.dumps({"mode": args.mode, **stats}))


if __name__ == "__main__":
    main()
