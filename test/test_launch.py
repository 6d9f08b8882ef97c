"""The launch file, the package's runner and config/pipeline.yaml describe the same graph,
and the installed share files are found through the ament index."""

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from emotion_ros import graph, ros_arguments, run

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "pipeline.yaml"


class _Recorded:
    """Stands in for a launch action: keeps its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class _LaunchConfiguration:
    def __init__(self, name):
        self.name = name

    def perform(self, context):
        return context.launch_configurations[self.name]


def _load_launch_file(monkeypatch):
    """Import launch/pipeline.launch.py with minimal stand-ins for launch and launch_ros
    (which are not on PyPI): each records what the launch file asks of it."""
    stand_ins = {
        "launch": {"LaunchDescription": _Recorded},
        "launch.actions": {name: _Recorded for name in ("DeclareLaunchArgument", "EmitEvent", "OpaqueFunction",
                                                         "RegisterEventHandler", "SetEnvironmentVariable",
                                                         "ExecuteProcess")},
        "launch.event_handlers": {"OnProcessExit": _Recorded},
        "launch.events": {"Shutdown": _Recorded},
        "launch.substitutions": {"LaunchConfiguration": _LaunchConfiguration},
        "launch_ros": {},
        "launch_ros.actions": {"Node": _Recorded},
    }
    for name, members in stand_ins.items():
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**members))
    spec = importlib.util.spec_from_file_location("pipeline_launch", ROOT / "launch" / "pipeline.launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(monkeypatch, **arguments):
    """(the launch file's top-level actions, the actions its OpaqueFunction returns)."""
    description = _load_launch_file(monkeypatch).generate_launch_description()
    actions = description.args[0]
    defaults = {a.args[0]: a.kwargs["default_value"] for a in actions if "default_value" in a.kwargs}
    context = types.SimpleNamespace(launch_configurations={**defaults, "config": str(CONFIG), **arguments})
    opaque = next(a for a in actions if "function" in a.kwargs)
    return actions, opaque.kwargs["function"](context)


def _launched_nodes(monkeypatch, **arguments):
    """The Node actions by name, the lifecycle manager left out."""
    _, started = _launch(monkeypatch, **arguments)
    nodes = {a.kwargs["name"]: a.kwargs for a in started if "name" in a.kwargs}
    nodes.pop("lifecycle_manager", None)  # composed:=true starts the runner, which manages its nodes itself
    return nodes


def test_launch_arguments_and_runner_options_mean_the_same_ros_arguments(monkeypatch):
    arguments = dict(namespace="robot1", log_level="debug", use_sim_time="true",
                     image_topic="/camera/color/image_raw", depth_topic="/camera/aligned_depth_to_color/image_raw")
    nodes = _launched_nodes(monkeypatch, **arguments)
    expected = ["-r", "__ns:=/robot1", "-r", "camera/image_raw:=/camera/color/image_raw",
                "-r", "camera/depth/image_raw:=/camera/aligned_depth_to_color/image_raw",
                "--log-level", "debug", "-p", "use_sim_time:=true"]
    for node in nodes.values():
        assert node["ros_arguments"] == expected
    runner = run.parse_args(["--namespace", "robot1", "--log-level", "debug", "--use-sim-time", "true",
                             "--image-topic", "/camera/color/image_raw",
                             "--depth-topic", "/camera/aligned_depth_to_color/image_raw"])
    assert ros_arguments.ros_arguments(vars(runner)) == expected


def test_composed_launch_runs_the_runner_with_the_same_arguments(monkeypatch):
    launched = _launched_nodes(monkeypatch, composed="true", namespace="robot1", params_file=str(CONFIG),
                               source="webcam", path="")
    (process,) = launched.values()
    command = process["cmd"]
    assert command[1:3] == ["-m", "emotion_ros.run"]
    args = run.parse_args(command[3:])
    assert args.mode == "composed" and args.namespace == "robot1" and args.config == str(CONFIG)
    assert args.source == "webcam"


def test_the_runner_refuses_a_bad_log_level_or_boolean(capsys):
    with pytest.raises(SystemExit):
        run.parse_args(["--log-level", "loud"])
    assert "log_level must be one of" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.parse_args(["--use-sim-time", "maybe"])
    assert "use_sim_time must be true or false" in capsys.readouterr().err


def test_image_subscriptions_take_qos_overrides(tmp_path):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    from rclpy.qos import ReliabilityPolicy

    from emotion_ros.nodes.common import bring_up_alone

    parameters = graph.node_parameters(CONFIG)
    parameters["face_detector"]["qos_overrides./camera/image_raw.subscription.reliability"] = "reliable"
    params_file = graph.write_parameters(parameters, tmp_path / "parameters.yaml")
    rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
    try:
        node = graph.node_class("face_detector")()
        assert bring_up_alone(node)  # subscriptions are made at activate
        qos = {s.topic_name: s.qos_profile.reliability for s in node.subscriptions}
        node.destroy_node()
    finally:
        rclpy.shutdown()
    assert qos["/camera/image_raw"] == ReliabilityPolicy.RELIABLE
    assert qos["/camera/depth/image_raw"] == ReliabilityPolicy.BEST_EFFORT  # the default: sensor data


def test_launch_file_starts_the_runner_nodes_with_the_yaml_parameters(monkeypatch):
    nodes = _launched_nodes(monkeypatch)
    assert list(nodes) == list(graph.PIPELINE_NODES)
    runner_parameters = run.build_parameters(run.parse_args(["--config", str(CONFIG)]))
    assert set(graph.EXECUTABLES) >= set(nodes)
    for name, node in nodes.items():
        assert node["package"] == "emotion_ros" and node["executable"] == name
        assert node["parameters"] == [runner_parameters[name]]
        assert runner_parameters[name] == graph.load_parameters(CONFIG)[name]


def test_launch_arguments_reach_the_driver_and_switch_gating_off_without_depth(monkeypatch):
    nodes = _launched_nodes(monkeypatch, source="webcam", path="", behaviour="true")
    assert list(nodes) == list(graph.PIPELINE_NODES + graph.EXAMPLE_NODES)
    assert nodes["driver"]["parameters"][0]["source"] == "webcam"
    assert nodes["face_detector"]["parameters"][0]["use_depth"] is False
    runner = run.build_parameters(run.parse_args(["--config", str(CONFIG), "--source", "webcam"]))
    assert runner["face_detector"]["use_depth"] is False


def test_the_launch_file_brings_the_nodes_up_with_the_runner_transport(monkeypatch):
    actions, started = _launch(monkeypatch, behaviour="true")
    environment = {a.args[0]: a.args[1] for a in actions if len(a.args) == 2}
    assert environment == graph.TRANSPORT_ENV
    manager = next(a.kwargs for a in started if a.kwargs.get("name") == "lifecycle_manager")
    assert manager["executable"] == "lifecycle_manager" and "lifecycle_manager" in graph.EXECUTABLES
    assert manager["parameters"] == [{"node_names": list(graph.PIPELINE_NODES + graph.EXAMPLE_NODES)}]
    handler = next(a for a in started if a.args and hasattr(a.args[0], "kwargs") and "on_exit" in a.args[0].kwargs)
    on_exit = handler.args[0].kwargs["on_exit"]
    assert on_exit(types.SimpleNamespace(returncode=0), None) is None
    assert on_exit(types.SimpleNamespace(returncode=1), None), "a failed bring-up must shut the launch down"


def test_cmake_installs_every_executable_of_the_node_list():
    listed = subprocess.run([sys.executable, str(ROOT / "emotion_ros" / "graph.py"), "executables"],
                            check=True, capture_output=True, text=True).stdout
    assert [entry.partition(":")[0] for entry in listed.split(";")] == list(graph.EXECUTABLES)
    assert "graph.py executables" in (ROOT / "CMakeLists.txt").read_text()
    for name in graph.EXECUTABLES:
        assert (Path(sys.prefix) / "lib" / "emotion_ros" / name).is_file(), f"{name}: run scripts/setup.sh"
        assert callable(graph.node_class(name))


def test_every_node_declares_exactly_the_yaml_parameters(tmp_path):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    parameters = graph.node_parameters(CONFIG)
    parameters["driver"]["wait_for_subscriber_s"] = 0.0
    params_file = graph.write_parameters(parameters, tmp_path / "parameters.yaml")
    rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
    try:
        for name in graph.PIPELINE_NODES + graph.EXAMPLE_NODES:
            node = graph.node_class(name)()
            declared = {p for p in node._parameters if not p.startswith("qos_overrides.")}  # ROS's own
            declared -= {"use_sim_time", "start_type_description_service"}
            node.destroy_node()
            assert declared == set(graph.load_parameters(CONFIG)[name]), name
    finally:
        rclpy.shutdown()


def test_share_files_are_found_through_the_ament_index():
    pytest.importorskip("ament_index_python", reason="ament_index_python is not installed")
    code = ("from ament_index_python.packages import get_package_share_directory as share;"
            "print(share('emotion_ros'))")
    # the workspace's index under `colcon test`, else the venv that scripts/setup.sh installs into
    env = {**os.environ, "AMENT_PREFIX_PATH": os.environ.get("AMENT_PREFIX_PATH") or sys.prefix}
    share = Path(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                text=True, cwd="/").stdout.strip())
    for relative in ("launch/pipeline.launch.py", "config/pipeline.yaml", "package.xml"):
        assert (share / relative).is_file(), f"{relative} is not installed (run scripts/setup.sh)"
    assert (share / "config" / "pipeline.yaml").read_text() == CONFIG.read_text(), \
        "installed config is stale: run scripts/setup.sh"
    assert (share.parent.parent / "lib" / "emotion_ros" / "face_detector").is_file()


def test_core_defaults_are_the_yaml_values():
    """Where a pure-core class keeps a default for scripts and tests, it is the YAML's value,
    so the two cannot drift apart (the nodes always pass the YAML's)."""
    import inspect

    from emotion_ros import depth, detection, emotion, tracking

    yaml = graph.load_parameters(CONFIG)
    detector, gate = yaml["face_detector"], depth.DepthGateConfig()
    assert (gate.min_distance_m, gate.max_distance_m) == (detector["min_distance_m"], detector["max_distance_m"])
    assert inspect.signature(tracking.FaceTracker).parameters["max_missed"].default == detector["max_missed_frames"]
    yunet = inspect.signature(detection.YuNetDetector).parameters
    assert (yunet["width"].default, yunet["score_threshold"].default) == (detector["detection_width"],
                                                                         detector["score_threshold"])
    assert inspect.signature(emotion.EmotionClassifier).parameters["threads"].default == yaml["emotion"]["threads"]
