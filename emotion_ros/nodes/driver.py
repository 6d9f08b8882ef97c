"""Driver node: publishes RGB, registered depth and CameraInfo from a Kinect, webcam, video or recording."""

import os
import threading
import time

from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from sensor_msgs.msg import CameraInfo, Image

from emotion_ros import capture, resources
from emotion_ros.conversions import array_to_image
from emotion_ros.nodes.common import ConfigError, ManagedNode, Param, image_qos, main_for


class Driver(ManagedNode):
    NAME = "driver"
    PARAMETERS = (
        Param("source", "kinect | webcam | video | fakenect | bag", choices=capture.KINDS),
        Param("path", "video file, still image, fakenect directory or rosbag2 bag; empty = the bundled sample"),
        Param("device", "webcam index or Kinect number", range=(0, 63)),
        Param("loop", "restart a video, still image or recording at its end"),
        Param("realtime", "replay recordings at their recorded pace"),
        Param("max_rate_hz", "publish at most this many frames per second; 0 = no limit", range=(0.0, 1000.0),
              live=True),
        Param("frame_id", "frame id of images and CameraInfo"),
        Param("focal_length_px", "focal length at 640 px width, for CameraInfo", range=(1.0, 100000.0)),
        Param("image_qos_reliable", "reliable image QoS instead of best effort"),
        Param("wait_for_subscriber_s", "hold the first frame up to this long until every subscriber is matched",
              range=(0.0, 600.0)),
        Param("give_up_after_s", "a source that delivers no frame this long after activation is an error "
                                 "(the driver exits 1); 0 = retry forever", range=(0.0, 86400.0)),
    )

    def __init__(self):
        super().__init__()
        self.finished, self._stop, self._thread, self.source = threading.Event(), threading.Event(), None, None

    def configure(self):
        self.kind, self.path = self.param("source"), self.param("path")
        if self.kind == "fakenect" and not self.path:
            self.path = str(resources.sample_recording())
        if self.kind in ("video", "fakenect") and not os.path.exists(self.path):
            raise ConfigError(f"{self.kind} source: {self.path} does not exist")
        self.model_state = f"{self.kind} {self.path or self.param('device')}"

    def apply(self):
        max_rate = self.param("max_rate_hz")
        self.min_period = 1.0 / max_rate if max_rate > 0 else 0.0

    def activate(self):
        qos = image_qos(self.param("image_qos_reliable"))
        self.rgb_pub = self.add_publisher(Image, "camera/image_raw", qos)
        self.depth_pub = self.add_publisher(Image, "camera/depth/image_raw", qos)
        self.info_pub = self.add_publisher(CameraInfo, "camera/camera_info", qos)
        kind, path, device = self.kind, self.path, self.param("device")
        loop, realtime = self.param("loop"), self.param("realtime")
        self.source = capture.RetryingSource(
            lambda: capture.open_source(kind, path=path, device=device, loop=loop, realtime=realtime),
            report=self.get_logger().warning, give_up_after_s=self.param("give_up_after_s"))
        self._stop.clear()
        self._thread = threading.Thread(target=self._capture_loop, name="capture", daemon=True)
        self._thread.start()
        self.get_logger().info(f"publishing {self.model_state} on {self.rgb_pub.topic_name}")

    def deactivate(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self.source is not None:
            self.source.close()

    def matched(self) -> bool:
        """Every subscriber the graph shows for our topics is matched (and the image has one)."""
        publishers = (self.rgb_pub, self.depth_pub, self.info_pub)
        return self.rgb_pub.get_subscription_count() > 0 and all(
            p.get_subscription_count() >= self.count_subscribers(p.topic_name) for p in publishers)

    def _capture_loop(self):
        deadline = time.monotonic() + self.param("wait_for_subscriber_s")
        while not self.matched() and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.02)
        next_frame = time.monotonic()
        while not self._stop.is_set():
            time.sleep(max(0.0, next_frame - time.monotonic()))
            frame = self.source.poll()
            if frame is not None:
                next_frame = max(next_frame + self.min_period, time.monotonic() - self.min_period)
                if not self.publish_frame(frame):
                    return
            elif self.source.ended:
                if self.source.error:
                    self.get_logger().error(f"no frames: {self.source.error}")
                    self.exit_code = 1
                else:
                    self.get_logger().info("end of stream")
                self.finished.set()
                return
            else:
                time.sleep(0.01)

    def publish_frame(self, frame: capture.Frame) -> bool:
        """Publish one frame: depth (if any), CameraInfo and RGB, all with the same header;
        False when the node is shutting down (Ctrl-C, SIGTERM)."""
        rgb = array_to_image(frame.rgb, "bgr8")
        rgb.header.stamp = self.get_clock().now().to_msg()
        rgb.header.frame_id = self.param("frame_id")
        try:
            if frame.depth is not None:
                self.depth_pub.publish(array_to_image(frame.depth, "16UC1", rgb.header))
            self.info_pub.publish(self.camera_info(rgb))
            self.rgb_pub.publish(rgb)
        except _rclpy.RCLError:
            if self.context.ok():
                raise
            return False
        self.frame_done(rgb.header)
        return True

    def camera_info(self, rgb: Image) -> CameraInfo:
        focal = self.param("focal_length_px") * rgb.width / 640.0
        cx, cy = (rgb.width - 1) / 2.0, (rgb.height - 1) / 2.0
        return CameraInfo(
            header=rgb.header, width=rgb.width, height=rgb.height, distortion_model="plumb_bob",
            d=[0.0] * 5, k=[focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0],
            r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p=[focal, 0.0, cx, 0.0, 0.0, focal, cy, 0.0, 0.0, 0.0, 1.0, 0.0],
        )


def main(args=None):
    main_for(Driver, args)


if __name__ == "__main__":
    main()
