"""Compression relay: camera images as sensor_msgs/CompressedImage across a slow link.

`mode: compress` (on the robot, beside the driver) republishes camera/image_raw as JPEG on
camera/image_raw/compressed and camera/depth/image_raw as lossless PNG on
camera/depth/image_raw/compressedDepth (image_transport's topic names and formats, so
rviz2 and `ros2 bag record` read them). `mode: decompress` (on the other machine) turns
them back into bgr8 / 16UC1 Images on camera/decompressed/image_raw and
camera/decompressed/depth/image_raw, which the face detector reads when remapped:

    face_detector --ros-args -r camera/image_raw:=camera/decompressed/image_raw \\
                             -r camera/depth/image_raw:=camera/decompressed/depth/image_raw

Headers are kept, so the detector still pairs colour and depth by stamp.
"""

from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image

from emotion_ros import encodings
from emotion_ros.conversions import array_to_image
from emotion_ros.nodes.common import Param, declare_parameters, image_qos, main_for

STREAMS = {  # stream: (raw topic, compressed topic, decompressed topic)
    "colour": ("camera/image_raw", "camera/image_raw/compressed", "camera/decompressed/image_raw"),
    "depth": ("camera/depth/image_raw", "camera/depth/image_raw/compressedDepth",
              "camera/decompressed/depth/image_raw"),
}
REMAPS = {raw: decompressed for raw, _, decompressed in STREAMS.values()}
"""The face detector's remappings onto the decompressed images."""


class Compression(Node):
    """Not a managed pipeline node: a relay started on its own, beside the camera or the detector."""

    PARAMETERS = (
        Param("mode", "compress (beside the camera) | decompress (beside the detector)",
              choices=("compress", "decompress")),
        Param("jpeg_quality", "JPEG quality of colour images", range=(1, 100)),
        Param("image_qos_reliable", "reliable image QoS instead of best effort"),
    )

    def __init__(self, **node_options):
        super().__init__("compression", **node_options)
        problems = declare_parameters(self, "compression", self.PARAMETERS)
        if problems:
            raise ValueError("bad parameter: " + "; ".join(problems))
        self.mode = self.get_parameter("mode").value
        self.jpeg_quality = self.get_parameter("jpeg_quality").value
        qos = image_qos(self.get_parameter("image_qos_reliable").value)
        self.publishers_ = {}
        for stream, (raw, compressed, decompressed) in STREAMS.items():
            if self.mode == "compress":
                self.publishers_[stream] = self.create_publisher(CompressedImage, compressed, qos)
                self.create_subscription(Image, raw, lambda msg, s=stream: self.compress(s, msg), qos)
            else:
                self.publishers_[stream] = self.create_publisher(Image, decompressed, qos)
                self.create_subscription(CompressedImage, compressed, lambda msg, s=stream: self.decompress(s, msg),
                                         qos)
        self.get_logger().info(f"{self.mode}ing camera images (JPEG colour, PNG depth)")

    def compress(self, stream: str, msg: Image):
        try:
            if stream == "colour":
                array, encoding = encodings.to_bgr8(msg), "bgr8"
            else:
                array, encoding = encodings.to_depth_mm(msg), "16UC1"
            fmt, data = encodings.encode_compressed(array, encoding, jpeg_quality=self.jpeg_quality)
        except ValueError as error:
            self.get_logger().error(f"not compressing {stream} images: {error}", once=True)
            return
        self.publishers_[stream].publish(CompressedImage(header=msg.header, format=fmt, data=data))

    def decompress(self, stream: str, msg: CompressedImage):
        try:
            array = encodings.decode_compressed(msg.format, msg.data)
        except ValueError as error:
            self.get_logger().error(f"dropping compressed {stream} images: {error}", once=True)
            return
        encoding = "16UC1" if array.dtype.itemsize == 2 else "bgr8"
        self.publishers_[stream].publish(array_to_image(array, encoding, msg.header))


def main(args=None):
    main_for(Compression, args)


if __name__ == "__main__":
    main()
