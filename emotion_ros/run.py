"""Run the pipeline without the ROS 2 launch tools, from the same YAML as the launch file.

    python -m emotion_ros.run                          # bundled sample, all nodes in one process
    python -m emotion_ros.run --video annotated.mp4    # also write the annotated video
    python -m emotion_ros.run --mode processes         # one process per node, as ros2 launch does
    python -m emotion_ros.run --source webcam --duration 30
    python -m emotion_ros.run --namespace robot1 --log-level debug --image-topic /camera/color/image_raw

Launch-file arguments have the same names here (--params-file, --namespace, --use-sim-time,
--log-level, --composed, --image-topic, --depth-topic, --camera-info-topic): emotion_ros/ros_arguments.py.

The nodes are lifecycle nodes: the runner configures them all, activates them, and starts the
driver last, once the graph is connected (emotion_ros/nodes/manager.py, as the launch file
does). It exits 1 with the reason when a node cannot be configured or the source gives no
frame; Ctrl-C and SIGTERM end it cleanly (exit 0, video finalised).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from emotion_ros import graph, ros_arguments

DRAIN_S = 1.0  # after the last frame, let the graph finish the frames in flight
CHILD_EXIT_TIMEOUT_S = 5.0


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
    """Each node's parameters: the YAML, --source / --path, then each --set, checked against the
    YAML's names and types (the nodes check ranges when they are configured)."""
    parameters = graph.node_parameters(args.config, source=args.source, path=args.path)
    for item in args.set:
        name, _, value = item.partition("=")
        node, _, parameter = name.partition(".")
        if not parameter or node not in parameters:
            raise SystemExit(f"--set {item}: expected NODE.PARAM=VALUE with NODE one of {', '.join(parameters)}")
        if parameter not in parameters[node]:
            raise SystemExit(f"--set {item}: {node} has no parameter {parameter!r}; "
                             f"it has {', '.join(parameters[node])}")
        value, current = yaml.safe_load(value), parameters[node][parameter]
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # ROS parameters are typed: 30 for a double parameter means 30.0
        if type(value) is not type(current):
            raise SystemExit(f"--set {item}: {node}.{parameter} is a {type(current).__name__} "
                             f"(like {current!r}), got {type(value).__name__} {value!r}")
        parameters[node][parameter] = value
    parameters["monitor"] = {"echo": not args.no_echo, "video_path": args.video}
    return parameters


class TailFirstExecutor:
    """Composed mode's executor: of the ready callbacks, it runs the one of the node nearest the
    graph's end, then waits again. A frame so goes through the whole graph before the detector
    takes the next one, and the detector's one-deep best-effort queue drops the frames it could
    not take at the head (instead of every stage queueing behind the detector)."""

    def __init__(self, order):
        from rclpy.executors import SingleThreadedExecutor

        self._executor = SingleThreadedExecutor()
        self._rank = {name: rank for rank, name in enumerate(order)}

    def add_node(self, node):
        self._executor.add_node(node)

    def spin_once(self, timeout_sec=None):
        import rclpy
        from rclpy.executors import ExternalShutdownException, TimeoutException

        nodes = sorted(self._executor.get_nodes(), key=lambda n: self._rank.get(n.get_name(), len(self._rank)))
        try:  # a fresh `condition` each call: the executor waits anew instead of going on with its last sweep
            handler, _, _ = self._executor.wait_for_ready_callbacks(timeout_sec, nodes, condition=lambda: False)
        except TimeoutException:
            return
        except rclpy._rclpy_pybind11.RCLError:
            if rclpy.ok():
                raise
            raise ExternalShutdownException() from None  # Ctrl-C or SIGTERM shut the context down
        handler()
        if handler.exception() is not None:
            if not rclpy.ok():  # a callback cut short by Ctrl-C or SIGTERM
                raise ExternalShutdownException() from handler.exception()
            raise handler.exception()


def run(args) -> tuple[dict, int]:
    """Run the graph; return (the monitor's statistics, exit status)."""
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from emotion_ros.nodes.manager import GraphManager, spin_until
    from emotion_ros.nodes.monitor import Monitor

    names = list(graph.managed_nodes(args.behaviour))
    parameters = build_parameters(args)
    for variable, value in graph.TRANSPORT_ENV.items():  # this process and the node processes alike
        os.environ.setdefault(variable, value)
    if args.mode == "processes" and graph.transport_warning():
        print(f"emotion_ros.run: warning: {graph.transport_warning()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="emotion_ros-") as tmp:
        params_file = graph.write_parameters(parameters, Path(tmp) / "parameters.yaml")
        ros_args = ["--ros-args", "--params-file", str(params_file), *ros_arguments.ros_arguments(vars(args))]
        rclpy.init(args=ros_args)
        tail_first = ["monitor", "behaviour", *reversed(graph.PIPELINE_NODES)]
        executor = TailFirstExecutor(tail_first)
        children, nodes, code, monitor = [], [], 0, None
        try:
            monitor = Monitor()
            manager_node = rclpy.create_node("emotion_ros_run")
            for node in (monitor, manager_node):
                executor.add_node(node)
            if args.mode == "composed":
                nodes = [graph.node_class(name)() for name in names]
                for node in nodes:
                    executor.add_node(node)
                driver = nodes[0]
                driver_done = lambda: driver.finished.is_set()  # noqa: E731
                driver_code = lambda: driver.exit_code  # noqa: E731
            else:
                children = [subprocess.Popen([sys.executable, "-m", graph.EXECUTABLES[name].partition(":")[0],
                                              *ros_args]) for name in names]
                driver_done = lambda: children[0].poll() is not None  # noqa: E731
                driver_code = lambda: children[0].returncode or 0  # noqa: E731
            spin = lambda condition, timeout: spin_until(executor, condition, timeout)  # noqa: E731
            error = GraphManager(manager_node, names, spin, extra_topics=("person_emotions",)).bring_up()
            if error:
                print(f"emotion_ros.run: the pipeline cannot start: {error}", file=sys.stderr)
                code = 1
            started, stop_at = time.monotonic(), None
            while not code and rclpy.ok():
                executor.spin_once(timeout_sec=0.05)
                now = time.monotonic()
                if stop_at is None and (driver_done() or (args.duration and now - started >= args.duration)):
                    stop_at = now + DRAIN_S
                if stop_at is not None and now >= stop_at:
                    break
            if not code and driver_done() and driver_code():
                print("emotion_ros.run: the driver got no frames from the source (its log above says why)",
                      file=sys.stderr)
                code = 1
        except (KeyboardInterrupt, ExternalShutdownException):
            pass  # Ctrl-C or SIGTERM: a clean stop
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=CHILD_EXIT_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            stats = monitor.stats() if monitor else {}
            if monitor:
                stats["video_frames"] = monitor.finish_video()
            for node in reversed(nodes):
                node.destroy_node()
            rclpy.try_shutdown()
    return stats, code


def main(argv=None):
    args = parse_args(argv)
    stats, code = run(args)
    if args.video:
        if stats.get("video_frames"):
            print(f"annotated video: {args.video} ({stats['video_frames']} frames)", file=sys.stderr)
        else:
            print(f"no annotated video written: no frame reached the monitor ({args.video} not written)",
                  file=sys.stderr)
            code = code or 1
    if args.stats:
        print(json.dumps({"mode": args.mode, **stats}))
    if code:
        sys.exit(code)


if __name__ == "__main__":
    main()
