"""Start the emotion_ros pipeline: driver, face detector, identity, emotion, aggregator.

    ros2 launch emotion_ros pipeline.launch.py
    ros2 launch emotion_ros pipeline.launch.py source:=webcam
    ros2 launch emotion_ros pipeline.launch.py source:=fakenect path:=/data/dump behaviour:=true

Parameters come from config/pipeline.yaml (or `config:=`), the same file that
`python -m emotion_ros.run` reads.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from emotion_ros import graph


def _nodes(context):
    parameters = graph.node_parameters(
        LaunchConfiguration("config").perform(context),
        source=LaunchConfiguration("source").perform(context),
        path=LaunchConfiguration("path").perform(context),
    )
    names = list(graph.PIPELINE_NODES)
    if LaunchConfiguration("behaviour").perform(context).lower() == "true":
        names += graph.EXAMPLE_NODES
    return [
        Node(
            package=graph.PACKAGE,
            executable=name,
            name=name,
            output="screen",
            parameters=[parameters[name]],
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
        OpaqueFunction(function=_nodes),
    ])
