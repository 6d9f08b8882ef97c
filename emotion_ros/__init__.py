"""emotion_ros: who is in front of the robot, and what emotion they show."""

from pkgutil import extend_path

# The message bindings (emotion_ros.msg) are generated at build time and installed beside
# the hand-written modules; this lets a source checkout on sys.path find them too.
__path__ = extend_path(__path__, __name__)
