"""The launch arguments that the launch file and the runner share, and the ROS arguments they
mean (no rclpy): namespace, camera topic remaps, params_file, use_sim_time, log_level,
composed.

    ros2 launch emotion_ros pipeline.launch.py namespace:=robot1 log_level:=debug \\
        image_topic:=/camera/color/image_raw depth_topic:=/camera/aligned_depth_to_color/image_raw
    python -m emotion_ros.run --namespace robot1 --log-level debug \\
        --image-topic /camera/color/image_raw --depth-topic /camera/aligned_depth_to_color/image_raw

The camera remaps apply to every node (the driver publishes there, the detector reads from
there), so with a camera driver of your own, remap and leave our driver out.
"""

from __future__ import annotations

# launch argument -> (default, description); the runner takes --<name with dashes>
ARGUMENTS = {
    "namespace": ("", "ROS namespace of every node, e.g. robot1 (topics become /robot1/...)"),
    "params_file": ("", "ROS 2 parameter file for all nodes (empty: config, the package's config/pipeline.yaml)"),
    "use_sim_time": ("false", "true: nodes take time from /clock (e.g. a bag played with --clock)"),
    "log_level": ("info", "debug | info | warn | error | fatal"),
    "composed": ("false", "true: all nodes in one process (the runner's composed mode)"),
    "image_topic": ("", "colour camera topic (empty: camera/image_raw)"),
    "depth_topic": ("", "registered depth topic (empty: camera/depth/image_raw)"),
    "camera_info_topic": ("", "CameraInfo topic (empty: camera/camera_info)"),
}
CAMERA_TOPICS = {"image_topic": "camera/image_raw", "depth_topic": "camera/depth/image_raw",
                 "camera_info_topic": "camera/camera_info"}
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


def parse_bool(name: str, text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(f"{name} must be true or false, got '{text}'")


def remappings(values: dict) -> list[tuple[str, str]]:
    """[(our camera topic, the given topic)] for each camera topic argument that is set."""
    return [(ours, values[name]) for name, ours in CAMERA_TOPICS.items() if values.get(name)]


def ros_arguments(values: dict) -> list[str]:
    """The process-wide ROS arguments (after --ros-args) for the namespace, remaps, log level
    and sim time in `values` (launch-argument names; missing ones take their defaults)."""
    values = {name: values.get(name, default) for name, (default, _) in ARGUMENTS.items()}
    level = str(values["log_level"]).lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got '{values['log_level']}'")
    arguments = []
    if values["namespace"]:
        arguments += ["-r", f"__ns:=/{str(values['namespace']).strip('/')}"]
    for ours, theirs in remappings(values):
        arguments += ["-r", f"{ours}:={theirs}"]
    arguments += ["--log-level", level]
    if parse_bool("use_sim_time", values["use_sim_time"]):
        arguments += ["-p", "use_sim_time:=true"]
    return arguments


def runner_options(values: dict) -> list[str]:
    """The runner's options (`python -m emotion_ros.run`) for the arguments in `values` that
    are not their defaults (params_file and composed excepted: the caller decides those)."""
    options = []
    for name, (default, _) in ARGUMENTS.items():
        value = values.get(name, default)
        if name not in ("params_file", "composed") and str(value) != default:
            options += ["--" + name.replace("_", "-"), str(value)]
    return options
