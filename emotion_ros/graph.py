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


def driver_overrides(source: str = "", path: str = "") -> dict:
    """The driver parameters that the launch arguments `source` and `path` override when set."""
    overrides = {}
    if source:
        overrides["source"] = source
    if path:
        overrides["path"] = path
    return overrides
