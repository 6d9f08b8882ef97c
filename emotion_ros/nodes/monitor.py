"""Monitor node: prints /person_emotions as `ros2 topic echo` does, writes the annotated video,
and measures frame rate and camera-to-/person_emotions latency."""

import collections
import time

import cv2
import numpy as np
import yaml
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from emotion_ros import drawing
from emotion_ros.msg import FaceArray, PersonEmotion
from emotion_ros.nodes.common import declare, image_to_array, main_for, stamp_key

FLUSH_AFTER_FRAMES = 5  # a frame is drawn once this many newer frames arrived: its results are in


def message_to_dict(msg):
    """A ROS message as plain Python data, fields in declaration order."""
    if hasattr(msg, "get_fields_and_field_types"):
        return {field: message_to_dict(getattr(msg, field)) for field in msg.get_fields_and_field_types()}
    if isinstance(msg, (list, tuple, np.ndarray)) or type(msg).__name__ == "array":
        return [message_to_dict(item) for item in msg]
    if isinstance(msg, (np.floating, float)):
        return float(msg)
    if isinstance(msg, np.integer):
        return int(msg)
    return msg


def echo_text(msg) -> str:
    """The message in `ros2 topic echo` style: YAML, then a `---` line."""
    return yaml.safe_dump(message_to_dict(msg), sort_keys=False, default_flow_style=False) + "---"


class Monitor(Node):
    def __init__(self):
        super().__init__("monitor")
        self.echo = declare(self, "echo", True, "print every /person_emotions message like ros2 topic echo")
        self.video_path = declare(self, "video_path", "", "write the annotated video here (.mp4 or .avi); empty = none")
        self.fps = declare(self, "video_fps", 30.0, "frame rate written into the video file")

        self.latencies_s, self.frame_times = [], []
        self.people = collections.defaultdict(list)
        self.frames = collections.OrderedDict()
        self.writer = None
        self.create_subscription(PersonEmotion, "person_emotions", self.on_person_emotion, 100)
        self.create_subscription(FaceArray, "faces/classified", self.on_frame_done, 100)
        if self.video_path:
            # best effort matches any camera publisher; a deep queue keeps every frame for the video
            video_qos = QoSProfile(depth=30, reliability=ReliabilityPolicy.BEST_EFFORT)
            # the detector's view (faces kept in green, rejected in red with the reason), named here
            self.create_subscription(Image, "faces/annotated", self.on_image, video_qos)

    def on_person_emotion(self, msg: PersonEmotion):
        self.latencies_s.append(time.time() - stamp_key(msg.header) * 1e-9)
        if self.echo:
            print(echo_text(msg), flush=True)
        if self.video_path:
            self.people[stamp_key(msg.header)].append(msg)

    def on_frame_done(self, msg: FaceArray):
        self.frame_times.append(time.monotonic())

    def on_image(self, msg: Image):
        self.frames[stamp_key(msg.header)] = image_to_array(msg, "bgr8")
        while len(self.frames) > FLUSH_AFTER_FRAMES:
            self.write_oldest()

    def write_oldest(self):
        key, bgr = self.frames.popitem(last=False)
        people = self.people.pop(key, [])
        annotated = drawing.draw_people(bgr, [
            ((p.roi.x_offset, p.roi.y_offset, p.roi.width, p.roi.height),
             f"{p.person} #{p.track_id}", f"{p.emotion_label} {p.emotion_share:.0%}" + ("" if p.confirmed else "?"))
            for p in people])
        if self.writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.video_path.endswith(".mp4") else "MJPG"))
            self.writer = cv2.VideoWriter(self.video_path, fourcc, self.fps, annotated.shape[1::-1])
        self.writer.write(annotated)

    def stats(self) -> dict:
        """Frames per second through the whole graph and latency percentiles in milliseconds."""
        fps = (len(self.frame_times) - 1) / (self.frame_times[-1] - self.frame_times[0]) if len(self.frame_times) > 2 else 0.0
        latency_ms = np.array(self.latencies_s) * 1000.0
        return {
            "frames": len(self.frame_times),
            "messages": len(latency_ms),
            "fps": fps,
            "latency_median_ms": float(np.median(latency_ms)) if len(latency_ms) else float("nan"),
            "latency_p95_ms": float(np.percentile(latency_ms, 95)) if len(latency_ms) else float("nan"),
        }

    def destroy_node(self):
        while self.frames:
            self.write_oldest()
        if self.writer is not None:
            self.writer.release()
        super().destroy_node()


def main(args=None):
    main_for(Monitor, args)


if __name__ == "__main__":
    main()
