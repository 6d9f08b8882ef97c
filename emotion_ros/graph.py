"""The pipeline's graph as data: its nodes, their parameters from `config/*.yaml`, the transport.

The launch file (`launch/pipeline.launch.py`), the package's own runner
(`python -m emotion_ros.run`) and CMakeLists.txt (the `ros2 run` executables, through
`python emotion_ros/graph.py executables`) all read the node list from here, so they start
the same nodes with the same parameters and the same DDS transport. This module imports
no rclpy, so the launch file and CMake can read it cheaply.
"""

import importlib
import os
import sys
from pathlib import Path

import yaml

PACKAGE = "emotion_ros"
# Every executable of the package: name -> "module:class" (the node class, or main for a tool).
EXECUTABLES = {
    "driver": "emotion_ros.nodes.driver:Driver",
    "face_detector": "emotion_ros.nodes.face_detector:FaceDetector",
    "identity": "emotion_ros.nodes.identity:Identity",
    "emotion": "emotion_ros.nodes.emotion:Emotion",
    "aggregator": "emotion_ros.nodes.aggregator:Aggregator",
    "behaviour": "emotion_ros.nodes.behaviour:Behaviour",
    "monitor": "emotion_ros.nodes.monitor:Monitor",
    "compression": "emotion_ros.nodes.compression:Compression",
    "markers": "emotion_ros.nodes.markers:Markers",
    "lifecycle_manager": "emotion_ros.nodes.manager:main",
}
PIPELINE_NODES = ("driver", "face_detector", "identity", "emotion", "aggregator")  # camera to /person_emotions
EXAMPLE_NODES = ("behaviour",)
DEPTH_SOURCES = ("kinect", "fakenect", "bag")  # a colour-only bag: depth gating waits 0.5 s, then passes faces
# Before the driver starts, the camera topics must have their subscribers and the topics
# between nodes a publisher and a subscriber each: then the first camera frame travels the graph.
CAMERA_TOPICS = ("camera/image_raw", "camera/camera_info")
CHAIN_TOPICS = ("faces", "faces/identified", "faces/classified")

# The DDS transport of every process of the graph (runner, launch file): Fast DDS's default
# builtin transports (shared memory for data between processes of one machine, UDP for
# discovery and other machines) with 16 MB shared-memory segments and socket buffers. Measured
# here, the sample in processes mode at 10 FPS: all 60 frames through in 6 of 6 runs on Kilted
# and 3 of 3 on Jazzy, median 22 ms camera to /person_emotions. The default 512 kB segment
# cannot hold a 640x480 image (0.9 MB), which then goes over UDP in ~600 fragments and is lost
# whole when one is (10-13 of 60 through). LARGE_DATA (TCP for data), used before, lost a
# whole hop now and then (0 of 60 in 2 of 6 runs) and could not talk to a process on the
# default transports; this setting can: `ros2 topic echo` needs no variable.
# ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST (or ROS_LOCALHOST_ONLY=1) overrides this: rmw_fastrtps
# then uses UDP on 127.0.0.1 only, which loses most 640x480 best-effort images between processes
# (measured: 8-13 of 60 frames through); the runner warns about it.
TRANSPORT_ENV = {"FASTDDS_BUILTIN_TRANSPORTS": "DEFAULT?sockets_size=16MB"}


def transport_warning(environ=os.environ) -> str:
    """Why images between node processes may be lost in this environment, or ""."""
    if environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") == "LOCALHOST" or environ.get("ROS_LOCALHOST_ONLY") == "1":
        return ("localhost-only discovery makes Fast DDS carry images over UDP on 127.0.0.1, which loses "
                "large frames between processes; use --mode composed, or a ROS_DOMAIN_ID of your own instead")
    return ""


def node_class(name: str):
    """The class (or main function) of executable `name`, as EXECUTABLES names it."""
    module, _, attribute = EXECUTABLES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def managed_nodes(behaviour: bool = False) -> tuple:
    """The lifecycle nodes the runner and the launch file start, the driver first."""
    return PIPELINE_NODES + (EXAMPLE_NODES if behaviour else ())


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


if __name__ == "__main__":  # for CMakeLists.txt: `python emotion_ros/graph.py executables`
    if sys.argv[1:] == ["executables"]:
        print(";".join(f"{name}:{target.partition(':')[0]}" for name, target in EXECUTABLES.items()), end="")
    else:
        sys.exit("usage: graph.py executables")
