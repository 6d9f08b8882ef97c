"""The pipeline's graph as data: its nodes and their parameters from `config/*.yaml`.

The launch file (`launch/pipeline.launch.py`) and the package's own runner
(`python -m emotion_ros.run`) both build the graph from this module, so they start the
same nodes with the same parameters.
"""

import os
import sys
from pathlib import Path

import yaml

PACKAGE = "emotion_ros"
PIPELINE_NODES = ("driver", "face_detector", "identity", "emotion", "aggregator")
EXAMPLE_NODES = ("behaviour",)
DEPTH_SOURCES = ("kinect", "fakenect", "bag")  # a colour-only bag: set face_detector.use_depth false


def share_dir() -> Path:
    """The package's share directory: ament index first, then this venv's prefix, then the source tree."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory(PACKAGE))
    except (ImportError, LookupError, OSError):
        pass
    installed = Path(sys.prefix) / "share" / PACKAGE
    if (installed / "config").is_dir():
        return installed
    return Path(__file__).resolve().parent.parent


def default_config_path() -> Path:
    """`config/pipeline.yaml` of the installed package (or of the source tree)."""
    return share_dir() / "config" / "pipeline.yaml"


def load_parameters(config_path: os.PathLike | str | None = None) -> dict[str, dict]:
    """Read a ROS 2 parameter file into {node name: {parameter: value}}."""
    path = Path(config_path) if config_path else default_config_path()
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as error:
        raise FileNotFoundError(f"cannot read parameter file {path}: {error}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"parameter file {path} is not valid YAML: {error}") from error
    parameters = {}
    for node, section in document.items():
        if not isinstance(section, dict) or not isinstance(section.get("ros__parameters"), dict):
            raise ValueError(f"{path}: section '{node}' needs a 'ros__parameters' mapping")
        parameters[node] = dict(section["ros__parameters"])
    return parameters


def node_parameters(config_path: os.PathLike | str | None = None, *, source: str = "",
                    path: str = "") -> dict[str, dict]:
    """Each node's parameters: the YAML file, with the driver's `source` and `path` replaced when
    given, and depth gating switched off for sources that have no depth (webcam, video)."""
    parameters = load_parameters(config_path)
    for node in PIPELINE_NODES + EXAMPLE_NODES:
        parameters.setdefault(node, {})
    if source:
        parameters["driver"]["source"] = source
    if path:
        parameters["driver"]["path"] = path
    if parameters["driver"].get("source", "fakenect") not in DEPTH_SOURCES:
        parameters["face_detector"]["use_depth"] = False
    return parameters


def write_parameters(parameters: dict[str, dict], path: os.PathLike | str) -> Path:
    """Write {node: {parameter: value}} as a ROS 2 parameter file."""
    path = Path(path)
    document = {node: {"ros__parameters": values} for node, values in parameters.items()}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
