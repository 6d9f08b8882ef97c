"""Driver node: publishes RGB, registered depth and CameraInfo from a Kinect, webcam, video or recording."""

import threading
import time

from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from emotion_ros import capture, resources
from emotion_ros.nodes.common import array_to_image, declare, image_qos, main_for


class Driver(Node):
    def __init__(self):
        super().__init__("driver")
        self.finished, self._stop, self._thread = threading.Event(), threading.Event(), None
        self.source_kind = declare(self, "source", "fakenect", "kinect | webcam | video | fakenect | bag")
        path = declare(self, "path", "", "video file, fakenect directory or rosbag2 bag; empty = the bundled sample")
        device = declare(self, "device", 0, "webcam index or Kinect number")
        loop = declare(self, "loop", False, "restart a video or recording at its end")
        realtime = declare(self, "realtime", True, "replay recordings at their recorded pace")
        max_rate = declare(self, "max_rate_hz", 0.0, "publish at most this many frames per second; 0 = no limit")
        self.min_period = 1.0 / max_rate if max_rate > 0 else 0.0
        self.frame_id = declare(self, "frame_id", "camera_rgb_optical_frame", "frame id of images and CameraInfo")
        self.focal_length = declare(self, "focal_length_px", 525.0, "focal length at 640 px width, for CameraInfo")
        qos = image_qos(declare(self, "image_qos_reliable", False, "reliable image QoS instead of best effort"))
        self.wait_s = declare(self, "wait_for_subscriber_s", 5.0, "wait up to this long for a subscriber before the first frame")

        self.rgb_pub = self.create_publisher(Image, "camera/image_raw", qos)
        self.depth_pub = self.create_publisher(Image, "camera/depth/image_raw", qos)
        self.info_pub = self.create_publisher(CameraInfo, "camera/camera_info", qos)
        self.source = capture.RetryingSource(
            lambda: capture.open_source(self.source_kind, path=path or self.bundled_sample(), device=device,
                                        loop=loop, realtime=realtime),
            report=self.get_logger().warning,
        )
        self._thread = threading.Thread(target=self._capture_loop, name="capture", daemon=True)
        self._thread.start()
        where = path or (device if self.source_kind in ("kinect", "webcam") else "bundled sample")
        self.get_logger().info(f"publishing {self.source_kind} {where} on camera/image_raw")

    def bundled_sample(self) -> str:
        """The sample recording shipped with the package, for the fakenect source without a path."""
        if self.source_kind != "fakenect":
            return ""
        try:
            return str(resources.sample_recording())
        except OSError as error:
            raise capture.SourceError(str(error)) from error

    def _capture_loop(self):
        deadline = time.monotonic() + self.wait_s
        while self.rgb_pub.get_subscription_count() == 0 and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.02)
        next_frame = time.monotonic()
        while not self._stop.is_set():
            time.sleep(max(0.0, next_frame - time.monotonic()))
            frame = self.source.poll()
            if frame is not None:
                next_frame = max(next_frame + self.min_period, time.monotonic() - self.min_period)
                if not self.context.ok():  # shutting down (Ctrl-C, SIGTERM)
                    return
                self.publish(frame)
            elif self.source.ended:
                self.get_logger().info("end of stream")
                self.finished.set()
                return
            else:
                time.sleep(0.01)

    def publish(self, frame: capture.Frame):
        """Publish one frame: depth (if any), CameraInfo and RGB, all with the same header."""
        rgb = array_to_image(frame.rgb, "bgr8")
        rgb.header.stamp = self.get_clock().now().to_msg()
        rgb.header.frame_id = self.frame_id
        if frame.depth is not None:
            self.depth_pub.publish(array_to_image(frame.depth, "16UC1", rgb.header))
        self.info_pub.publish(self.camera_info(rgb))
        self.rgb_pub.publish(rgb)

    def camera_info(self, rgb: Image) -> CameraInfo:
        focal = self.focal_length * rgb.width / 640.0
        cx, cy = (rgb.width - 1) / 2.0, (rgb.height - 1) / 2.0
        return CameraInfo(
            header=rgb.header, width=rgb.width, height=rgb.height, distortion_model="plumb_bob",
            d=[0.0] * 5, k=[focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0],
            r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p=[focal, 0.0, cx, 0.0, 0.0, focal, cy, 0.0, 0.0, 0.0, 1.0, 0.0],
        )

    def destroy_node(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self.source.close()
        super().destroy_node()


def main(args=None):
    main_for(Driver, args)


if __name__ == "__main__":
    main()
