"""Monitor node (the runner's own, not part of the pipeline): prints /person_emotions as
`ros2 topic echo` does, writes the annotated video, and measures the graph: camera frames,
frames through the whole graph, frame rate and camera-to-/person_emotions latency (node clock)."""

import collections

import cv2
import numpy as np
import rclpy
import yaml
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image

from emotion_ros import drawing
from emotion_ros.conversions import image_to_array
from emotion_ros.msg import FaceArray, PersonEmotion
from emotion_ros.pairing import stamp_key
from emotion_ros.stats import percentile

FLUSH_AFTER_FRAMES = 5  # a frame is drawn once this many newer frames arrived: its results are in


def message_to_dict(msg):
    """A ROS message as plain Python data, fields in declaration order (rosidl_runtime_py's
    message_to_ordereddict does this, but it has no PyPI wheel)."""
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
        self.echo = self.declare_parameter("echo", True).value
        self.video_path = self.declare_parameter("video_path", "").value
        self.fps = self.declare_parameter("video_fps", 30.0).value

        self.latencies_s, self.frame_times = [], []
        self.camera_stamps, self.emotion_stamps = set(), set()
        self.people = collections.defaultdict(list)
        self.frames = collections.OrderedDict()
        self.writer, self.frames_written = None, 0
        self.create_subscription(PersonEmotion, "person_emotions", self.on_person_emotion, 100)
        self.create_subscription(FaceArray, "faces/classified", self.on_frame_done, 100)
        # best effort matches any camera publisher; deep queues keep every frame counted and drawn
        camera_qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT)
        self.create_subscription(CameraInfo, "camera/camera_info", self.on_camera_info, camera_qos)
        self.node_status = {}  # each node's last /diagnostics status, as {key: value}
        self.create_subscription(DiagnosticArray, "/diagnostics", self.on_diagnostics, 50)
        if self.video_path:
            # the detector's view (faces kept in green, rejected in red with the reason), named here
            self.create_subscription(Image, "faces/annotated", self.on_image, QoSProfile(
                depth=30, reliability=ReliabilityPolicy.BEST_EFFORT))

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_camera_info(self, msg: CameraInfo):
        self.camera_stamps.add(stamp_key(msg.header))

    def on_diagnostics(self, msg: DiagnosticArray):
        for status in msg.status:
            self.node_status[status.name.rpartition(" ")[2]] = {
                "level": int.from_bytes(status.level, "little") if isinstance(status.level, bytes) else int(status.level),
                "message": status.message, **{kv.key: kv.value for kv in status.values}}

    def on_person_emotion(self, msg: PersonEmotion):
        self.latencies_s.append(self.now_s() - stamp_key(msg.header) * 1e-9)
        self.emotion_stamps.add(stamp_key(msg.header))
        if self.echo:
            print(echo_text(msg), flush=True)
        if self.video_path:
            self.people[stamp_key(msg.header)].append(msg)

    def on_frame_done(self, msg: FaceArray):
        self.frame_times.append(self.now_s())

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
        self.frames_written += 1

    def stats(self) -> dict:
        """Camera frames, frames through the whole graph (and the share of camera frames that
        reached /person_emotions), frames per second, latency percentiles in milliseconds."""
        times = self.frame_times
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else 0.0
        latency_ms = np.array(self.latencies_s) * 1000.0
        delivered = len(self.emotion_stamps & self.camera_stamps)
        return {
            "camera_frames": len(self.camera_stamps),
            "frames": len(times),
            "emotion_frames": delivered,
            "delivered": delivered / len(self.camera_stamps) if self.camera_stamps else 0.0,
            "lost": sorted(self.camera_stamps - self.emotion_stamps),
            "messages": len(latency_ms),
            "fps": fps,
            "latency_median_ms": percentile(latency_ms, 50),
            "latency_p95_ms": percentile(latency_ms, 95),
            "nodes": self.node_status,
        }

    def finish_video(self) -> int:
        """Draw the frames still waiting and close the file; return the frames written."""
        while self.frames:
            self.write_oldest()
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        return self.frames_written


def main(args=None):
    rclpy.init(args=args)
    node = Monitor()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.finish_video()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
