"""Face detector node: finds faces, rejects those that depth shows are not real, tracks them."""

import cv2
from rclpy.node import Node
from rclpy.qos_overriding_options import QoSOverridingOptions
from sensor_msgs.msg import Image

from emotion_ros import depth, detection, drawing, encodings, tracking
from emotion_ros.msg import Face, FaceArray
from emotion_ros.nodes.common import (FACES_QOS, OnceLogger, StampPairer, array_to_image, declare, image_qos,
                                      main_for, roi, stamp_key)

RGB, DEPTH = 0, 1


class FaceDetector(Node):
    def __init__(self):
        super().__init__("face_detector")
        name = declare(self, "detector", "yunet", "yunet | haar")
        width = declare(self, "detection_width", 320, "YuNet runs on the frame scaled to this width")
        score = declare(self, "score_threshold", 0.7, "minimum YuNet detection score")
        self.use_depth = declare(self, "use_depth", True, "wait for registered depth and gate faces on it")
        band = (declare(self, "min_distance_m", 0.4, "nearest accepted face distance, metres"),
                declare(self, "max_distance_m", 3.0, "farthest accepted face distance, metres"))
        self.crop_size = declare(self, "crop_size", 96, "side of the grey face crop sent downstream, pixels")
        max_missed = declare(self, "max_missed_frames", 5, "a track is dropped after this many frames unseen")
        reliable = declare(self, "image_qos_reliable", False, "reliable image QoS instead of best effort")
        qos = image_qos(reliable)

        options = {"width": width, "score_threshold": score} if name == "yunet" else {}
        self.detector = detection.make_detector(name, **options)
        self.gate = depth.DepthGate(depth.DepthGateConfig(min_distance_m=band[0], max_distance_m=band[1]))
        self.tracker = tracking.FaceTracker(max_missed=max_missed)
        self.pairer = StampPairer()
        self.problems = OnceLogger(self)
        self.faces_pub = self.create_publisher(FaceArray, "faces", FACES_QOS)
        self.annotated_pub = self.create_publisher(Image, "faces/annotated", qos)
        overridable = QoSOverridingOptions.with_default_policies()  # qos_overrides.<topic>.subscription.*
        self.create_subscription(Image, "camera/image_raw", lambda msg: self.on_image(RGB, msg), qos,
                                 qos_overriding_options=overridable)
        if self.use_depth:
            # a few depth images wait, so the newest RGB image finds its partner even when we lag
            self.create_subscription(Image, "camera/depth/image_raw", lambda msg: self.on_image(DEPTH, msg),
                                     image_qos(reliable, depth=StampPairer.KEEP), qos_overriding_options=overridable)
            self.get_logger().info(f"{name} detector, depth gating {band[0]}-{band[1]} m")
        else:
            self.get_logger().warning(f"{name} detector, depth gating OFF (use_depth is false)")

    def on_image(self, stream: int, msg: Image):
        """Detect, gate and track the faces of one frame (RGB paired with its depth when gating)."""
        pair = self.pairer.add(stream, stamp_key(msg.header), msg) if self.use_depth else (msg, None)
        if pair is None:
            return
        rgb_msg, depth_msg = pair
        try:
            bgr = encodings.to_bgr8(rgb_msg)  # any camera encoding, converted once here
            depth_mm = encodings.to_depth_mm(depth_msg) if depth_msg is not None else None
            if depth_mm is not None and depth_mm.shape != bgr.shape[:2]:
                raise ValueError(f"depth {depth_mm.shape[::-1]} is not registered to RGB {bgr.shape[1::-1]}")
        except ValueError as error:
            self.problems.error(str(error), f"dropping frames: {error}")
            return

        found = self.detector.detect(bgr)
        verdicts = [self.gate.check(depth_mm, face) for face in found]
        kept = [(face, verdict) for face, verdict in zip(found, verdicts) if verdict.kept]
        track_ids = self.tracker.update([(f.x, f.y, f.w, f.h) for f, _ in kept])
        faces = FaceArray(header=rgb_msg.header)
        for track_id, (face, verdict) in zip(track_ids, kept):
            crop = cv2.resize(detection.crop_face(bgr, face), (self.crop_size, self.crop_size),
                              interpolation=cv2.INTER_AREA)
            faces.faces.append(Face(
                track_id=track_id, roi=roi(face.x, face.y, face.w, face.h), detection_score=float(face.score),
                distance_m=verdict.distance_m, crop=array_to_image(crop, "mono8", rgb_msg.header)))
        self.faces_pub.publish(faces)

        if self.annotated_pub.get_subscription_count() > 0:
            rejected = [(face, verdict.reason) for face, verdict in zip(found, verdicts) if not verdict.kept]
            annotated = drawing.draw_detections(bgr, [(f, f"#{i}") for i, (f, _) in zip(track_ids, kept)], rejected)
            self.annotated_pub.publish(array_to_image(annotated, "bgr8", rgb_msg.header))


def main(args=None):
    main_for(FaceDetector, args)


if __name__ == "__main__":
    main()
