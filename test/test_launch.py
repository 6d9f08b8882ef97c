"""The launch file, the package's runner and config/pipeline.yaml describe the same graph,
and the installed share files are found through the ament index."""

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from emotion_ros import graph, run

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
        "launch.actions": {"DeclareLaunchArgument": _Recorded, "OpaqueFunction": _Recorded},
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


def _launched_nodes(monkeypatch, **arguments):
    description = _load_launch_file(monkeypatch).generate_launch_description()
    actions = description.args[0]
    defaults = {a.args[0]: a.kwargs["default_value"] for a in actions if "default_value" in a.kwargs}
    context = types.SimpleNamespace(launch_configurations={**defaults, "config": str(CONFIG), **arguments})
    opaque = next(a for a in actions if "function" in a.kwargs)
    return {node.kwargs["name"]: node.kwargs for node in opaque.kwargs["function"](context)}


def test_launch_file_starts_the_runner_nodes_with_the_yaml_parameters(monkeypatch):
    nodes = _launched_nodes(monkeypatch)
    assert list(nodes) == list(graph.PIPELINE_NODES)
    runner_parameters = run.build_parameters(run.parse_args(["--config", str(CONFIG)]))
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


def test_every_node_declares_exactly_the_yaml_parameters(tmp_path):
    rclpy = pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")
    parameters = graph.node_parameters(CONFIG)
    parameters["driver"]["wait_for_subscriber_s"] = 0.0
    params_file = graph.write_parameters(parameters, tmp_path / "parameters.yaml")
    rclpy.init(args=["--ros-args", "--params-file", str(params_file)])
    try:
        for name in graph.PIPELINE_NODES + graph.EXAMPLE_NODES:
            node = run.node_class(name)()
            declared = set(node._parameters) - {"use_sim_time", "start_type_description_service"}
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
