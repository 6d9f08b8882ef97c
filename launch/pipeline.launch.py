"""Start the emotion_ros pipeline: driver, face detector, identity, emotion, aggregator.

    ros2 launch emotion_ros pipeline.launch.py
    ros2 launch emotion_ros pipeline.launch.py source:=webcam
    ros2 launch emotion_ros pipeline.launch.py source:=fakenect path:=/data/dump behaviour:=true
    ros2 launch emotion_ros pipeline.launch.py namespace:=robot1 log_level:=debug composed:=true
    ros2 launch emotion_ros pipeline.launch.py image_topic:=/camera/color/image_raw use_sim_time:=true

Parameters come from config/pipeline.yaml (or `params_file:=` / `config:=`), the same file
that `python -m emotion_ros.run` reads; the runner takes the same arguments
(emotion_ros/ros_arguments.py). The node list and the DDS transport come from
emotion_ros/graph.py, as for the runner. The nodes are lifecycle nodes: the
`lifecycle_manager` configures them, activates them and starts the driver last; when a node
cannot be configured it says why and the whole launch shuts down. `composed:=true` runs the
whole graph in one process (the runner, which manages the same nodes the same way).
"""

import sys

from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, EmitEvent, ExecuteProcess, OpaqueFunction,
                            RegisterEventHandler, SetEnvironmentVariable)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from emotion_ros import graph, ros_arguments


def _shutdown_on_failure(event, context):
    if event.returncode != 0:
        return [EmitEvent(event=Shutdown(reason="emotion_ros: the pipeline could not be brought up"))]
    return None


def _nodes(context):
    values = {name: LaunchConfiguration(name).perform(context) for name in ros_arguments.ARGUMENTS}
    config = values["params_file"] or LaunchConfiguration("config").perform(context)
    source = LaunchConfiguration("source").perform(context)
    path = LaunchConfiguration("path").perform(context)
    behaviour = LaunchConfiguration("behaviour").perform(context).lower() == "true"
    if ros_arguments.parse_bool("composed", values["composed"]):  # one process: the runner
        command = [sys.executable, "-m", "emotion_ros.run", "--mode", "composed", "--no-echo", "--config", config,
                   "--source", source, "--path", path, *ros_arguments.runner_options(values)]
        runner = ExecuteProcess(cmd=command + (["--behaviour"] if behaviour else []), name="emotion_ros",
                                output="screen")
        return [runner, RegisterEventHandler(OnProcessExit(target_action=runner, on_exit=_shutdown_on_failure))]
    parameters = graph.node_parameters(config, source=source, path=path)
    names = graph.managed_nodes(behaviour)
    node_arguments = ros_arguments.ros_arguments(values)
    nodes = [
        Node(package=graph.PACKAGE, executable=name, name=name, output="screen", parameters=[parameters[name]],
             ros_arguments=node_arguments)
        for name in names
    ]
    manager = Node(package=graph.PACKAGE, executable="lifecycle_manager", name="lifecycle_manager",
                   output="screen", parameters=[{"node_names": list(names)}], ros_arguments=node_arguments)
    return nodes + [manager, RegisterEventHandler(OnProcessExit(target_action=manager, on_exit=_shutdown_on_failure))]


def generate_launch_description():
    return LaunchDescription([
        *[SetEnvironmentVariable(variable, value) for variable, value in graph.TRANSPORT_ENV.items()],
        DeclareLaunchArgument("config", default_value=str(graph.default_config_path()),
                              description="ROS 2 parameter file for all nodes"),
        DeclareLaunchArgument("source", default_value="",
                              description="kinect | webcam | video | fakenect | bag (empty: from config)"),
        DeclareLaunchArgument("path", default_value="",
                              description="video file, still image, fakenect directory or rosbag2 bag "
                                          "(empty: from config)"),
        DeclareLaunchArgument("behaviour", default_value="false",
                              description="also start the example behaviour node"),
        *(DeclareLaunchArgument(name, default_value=default, description=description)
          for name, (default, description) in ros_arguments.ARGUMENTS.items()),
        OpaqueFunction(function=_nodes),
    ])
