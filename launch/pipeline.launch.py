"""Start the emotion_ros pipeline: driver, face detector, identity, emotion, aggregator.

    ros2 launch emotion_ros pipeline.launch.py
    ros2 launch emotion_ros pipeline.launch.py source:=webcam
    ros2 launch emotion_ros pipeline.launch.py source:=fakenect path:=/data/dump behaviour:=true

    ros2 launch emotion_ros pipeline.launch.py namespace:=robot1 log_level:=debug composed:=true
    ros2 launch emotion_ros pipeline.launch.py image_topic:=/camera/color/image_raw use_sim_time:=true

Parameters come from config/pipeline.yaml (or `params_file:=` / `config:=`), the same file
that `python -m emotion_ros.run` reads; the runner takes the same arguments
(emotion_ros/ros_arguments.py).
"""

import sys

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from emotion_ros import graph, ros_arguments


def _nodes(context):
    values = {name: LaunchConfiguration(name).perform(context) for name in ros_arguments.ARGUMENTS}
    config = values["params_file"] or LaunchConfiguration("config").perform(context)
    source = LaunchConfiguration("source").perform(context)
    path = LaunchConfiguration("path").perform(context)
    behaviour = LaunchConfiguration("behaviour").perform(context).lower() == "true"
    if ros_arguments.parse_bool("composed", values["composed"]):  # one process: the runner
        command = [sys.executable, "-m", "emotion_ros.run", "--mode", "composed", "--no-echo", "--config", config,
                   "--source", source, "--path", path, *ros_arguments.runner_options(values)]
        return [ExecuteProcess(cmd=command + (["--behaviour"] if behaviour else []), name="emotion_ros",
                               output="screen")]
    parameters = graph.node_parameters(config, source=source, path=path)
    names = list(graph.PIPELINE_NODES) + (list(graph.EXAMPLE_NODES) if behaviour else [])
    return [
        Node(
            package=graph.PACKAGE,
            executable=name,
            name=name,
            output="screen",
            parameters=[parameters[name]],
            ros_arguments=ros_arguments.ros_arguments(values),
        )
        for name in names
    ]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument("config", default_value=str(graph.default_config_path()),
                              description="ROS 2 parameter file for all nodes"),
        DeclareLaunchArgument("source", default_value="",
                              description="kinect | webcam | video | fakenect | bag (empty: from config)"),
        DeclareLaunchArgument("path", default_value="",
                              description="video file, fakenect directory or rosbag2 bag (empty: from config)"),
        DeclareLaunchArgument("behaviour", default_value="false",
                              description="also start the example behaviour node"),
        *(DeclareLaunchArgument(name, default_value=default, description=description)
          for name, (default, description) in ros_arguments.ARGUMENTS.items()),
        OpaqueFunction(function=_nodes),
    ])
