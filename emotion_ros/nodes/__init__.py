"""Thin ROS 2 node wrappers around the emotion_ros core."""
