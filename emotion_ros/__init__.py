"""emotion_ros: who is in front of the robot, and what emotion they show."""
