"""Start the emotion_ros pipeline: driver, face detector, identity, emotion, aggregator.

    ros2 launch emotion_ros pipeline.launch.py
    ros2 launch emotion_ros pipeline.launch.py source:=webcam
    ros2 launch emotion_ros pipeline.launch.py source:=fakenect path:=/data/dump behaviour:=true

Parameters come from config/pipeline.yaml (or `config:=`), the same file that
`python -m emotion_ros.run` reads; the node list and the DDS transport come from
emotion_ros/graph.py, as for the runner. The nodes are lifecycle nodes: the
`lifecycle_manager` configures them, activates them and starts the driver last; when a node
cannot be configured it says why and the whole launch shuts down.
"""

from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler,
                            SetEnvironmentVariable)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from emotion_ros import graph


def _shutdown_on_failure(event, context):
    if event.returncode != 0:
        return [EmitEvent(event=Shutdown(reason="emotion_ros: the pipeline could not be brought up"))]
    return None


def _nodes(context):
    parameters = graph.node_parameters(
        LaunchConfiguration("config").perform(context),
        source=LaunchConfiguration("source").perform(context),
        path=LaunchConfiguration("path").perform(context),
    )
    names = graph.managed_nodes(LaunchConfiguration("behaviour").perform(context).lower() == "true")
    nodes = [
        Node(package=graph.PACKAGE, executable=name, name=name, output="screen", parameters=[parameters[name]])
        for name in names
    ]
    manager = Node(package=graph.PACKAGE, executable="lifecycle_manager", name="lifecycle_manager",
                   output="screen", parameters=[{"node_names": list(names)}])
    return nodes + [manager, RegisterEventHandler(OnProcessExit(target_action=manager, on_exit=_shutdown_on_failure))]


def generate_launch_description():
    return LaunchDescription([
        *[SetEnvironmentVariable(variable, value) for variable, value in graph.TRANSPORT_ENV.items()],
        DeclareLaunchArgument("config", default_value=str(graph.default_config_path()),
                              description="ROS 2 parameter file for all nodes"),
        DeclareLaunchArgument("source", default_value="",
                              description="kinect | webcam | video | fakenect (empty: from config)"),
        DeclareLaunchArgument("path", default_value="",
                              description="video file or fakenect directory (empty: from config)"),
        DeclareLaunchArgument("behaviour", default_value="false",
                              description="also start the example behaviour node"),
        OpaqueFunction(function=_nodes),
    ])
