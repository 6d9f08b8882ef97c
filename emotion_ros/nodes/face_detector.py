"""Face detector node: finds faces, rejects those that depth shows are not real, tracks them."""

import cv2
import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from rclpy.qos_overriding_options import QoSOverridingOptions

from emotion_ros import depth, detection, drawing, encodings, tracking
from emotion_ros.conversions import array_to_image, roi
from emotion_ros.identity.align import align_face
from emotion_ros.msg import Face, FaceArray
from emotion_ros.nodes.common import FACES_QOS, ManagedNode, Param, image_qos, main_for
from emotion_ros.pairing import DEPTH, RGB, DepthPairer, StampPairer, stamp_key

DEPTH_TIMEOUT_S = 0.5  # depth is "missing" when none arrived for this long
OVERRIDABLE = QoSOverridingOptions.with_default_policies()  # qos_overrides.<topic>.subscription.* (REP-2003)
HEAD_QUEUE = 2  # camera frames waiting for the detector; older ones are dropped (overload costs frames, not latency)


class FaceDetector(ManagedNode):
    NAME = "face_detector"
    PARAMETERS = (
        Param("detector", "yunet | haar", choices=tuple(detection.DETECTORS)),
        Param("detection_width", "YuNet runs on the frame scaled to this width", range=(32, 4096)),
        Param("score_threshold", "minimum YuNet detection score", range=(0.0, 1.0), live=True),
        Param("use_depth", "gate faces on registered depth when it arrives"),
        Param("min_distance_m", "nearest accepted face distance, metres", range=(0.0, 20.0), live=True),
        Param("max_distance_m", "farthest accepted face distance, metres", range=(0.0, 20.0), live=True),
        Param("crop_size", "side of the grey face crop sent downstream, pixels", range=(16, 512)),
        Param("emotion_crop_scale", "crop side / the box's longer side (FER2013's framing, training.framing)",
              range=(0.5, 2.0)),
        Param("emotion_crop_offset_y", "crop centre below the box centre, in box sides (FER2013's framing)",
              range=(-0.5, 0.5)),
        Param("max_missed_frames", "a track is dropped after this many frames unseen", range=(1, 1000)),
        Param("image_qos_reliable", "reliable image QoS instead of best effort"),
    )

    def check(self, values):
        if values["min_distance_m"] >= values["max_distance_m"]:
            return f"min_distance_m ({values['min_distance_m']}) must be below max_distance_m ({values['max_distance_m']})"
        return ""

    def configure(self):
        name = self.param("detector")
        options = {"width": self.param("detection_width")} if name == "yunet" else {}
        self.detector = detection.make_detector(name, **options)
        self.detector.detect(np.zeros((480, 640, 3), np.uint8))  # warm up: the first frames are not dropped
        self.model_state = f"{name} loaded"
        self.use_depth = self.param("use_depth")
        self.crop_size = self.param("crop_size")
        self.framing = {"scale": self.param("emotion_crop_scale"), "offset_y": self.param("emotion_crop_offset_y")}
        self.tracker = tracking.FaceTracker(max_missed=self.param("max_missed_frames"))
        self.cuts = tracking.SceneCutDetector()
        self.pairer = DepthPairer(DEPTH_TIMEOUT_S)
        self.focal_px = None  # from CameraInfo, for this image width
        self.depth_missing = False

    def apply(self):
        if hasattr(self.detector, "score_threshold"):
            self.detector.score_threshold = self.param("score_threshold")
        self.gate = depth.DepthGate(depth.DepthGateConfig(min_distance_m=self.param("min_distance_m"),
                                                          max_distance_m=self.param("max_distance_m")))

    def activate(self):
        reliable = self.param("image_qos_reliable")
        qos = image_qos(reliable)
        self.faces_pub = self.add_publisher(FaceArray, "faces", FACES_QOS)
        self.annotated_pub = self.add_publisher(Image, "faces/annotated", qos)
        # subscribed first, so an executor serves them before the RGB image of the same frame
        # one CameraInfo per camera frame: its focal length, and the count of frames dropped at the head
        self.add_subscription(CameraInfo, "camera/camera_info", self.on_camera_info, image_qos(reliable, depth=30))
        if self.use_depth:
            # a few depth images wait, so the newest RGB image finds its partner even when we lag
            self.add_subscription(Image, "camera/depth/image_raw", lambda msg: self.on_image(DEPTH, msg),
                                  image_qos(reliable, depth=HEAD_QUEUE + StampPairer.KEEP),
                                  qos_overriding_options=OVERRIDABLE)
        # newest two frames: one frame of jitter is absorbed, any more is dropped at the head
        self.add_subscription(Image, "camera/image_raw", lambda msg: self.on_image(RGB, msg),
                              image_qos(reliable, depth=HEAD_QUEUE), qos_overriding_options=OVERRIDABLE)
        self.camera_frames = 0
        gating = f"depth gating {self.param('min_distance_m')}-{self.param('max_distance_m')} m when depth arrives"
        self.get_logger().info(f"{self.param('detector')} detector, {gating if self.use_depth else 'depth gating OFF'}")

    def on_camera_info(self, msg: CameraInfo):
        self.camera_frames += 1
        self.focal_px = msg.k[0] or None

    def on_image(self, stream: int, msg: Image):
        """Detect, gate and track the faces of one frame (RGB paired with its depth while depth arrives)."""
        now = self.now_s()
        pair = self.pairer.add(stream, stamp_key(msg.header), msg, now) if self.use_depth else (msg, None)
        if self.use_depth and self.pairer.missing(now) != self.depth_missing:
            self.depth_missing = not self.depth_missing
            if self.depth_missing:
                self.get_logger().warning(f"no depth on camera/depth/image_raw for {DEPTH_TIMEOUT_S} s: faces pass "
                                          "without depth gating until it arrives", once=True)
        if pair is None:
            return
        rgb_msg, depth_msg = pair
        try:
            bgr = encodings.to_bgr8(rgb_msg)  # any camera encoding, converted once here
            depth_mm = encodings.to_depth_mm(depth_msg) if depth_msg is not None else None
            if depth_mm is not None and depth_mm.shape != bgr.shape[:2]:
                raise ValueError(f"depth {depth_mm.shape[::-1]} is not registered to RGB {bgr.shape[1::-1]}")
        except ValueError as error:
            self.bad_input(error)
            self.get_logger().error(f"dropping frames: {error} (further bad frames are counted in /diagnostics)",
                                    once=True)
            return

        found = self.detector.detect(bgr)
        verdicts = [self.gate.check(depth_mm, face, self.focal_px) for face in found]
        kept = [(face, verdict) for face, verdict in zip(found, verdicts) if verdict.kept]
        aligned = [align_face(bgr, face) for face, _ in kept]
        track_ids = self.tracker.update([(f.x, f.y, f.w, f.h) for f, _ in kept],
                                        [tracking.face_signature(a) for a in aligned], cut=self.cuts.update(bgr))
        faces = FaceArray(header=rgb_msg.header)
        for track_id, (face, verdict), identity_crop in zip(track_ids, kept, aligned):
            crop = cv2.resize(detection.crop_face(bgr, face, **self.framing), (self.crop_size, self.crop_size),
                              interpolation=cv2.INTER_AREA)
            faces.faces.append(Face(
                track_id=track_id, roi=roi(face.x, face.y, face.w, face.h), detection_score=float(face.score),
                distance_m=verdict.distance_m, crop=array_to_image(crop, "mono8", rgb_msg.header),
                landmarks=face.landmarks or [float("nan")] * 10,
                identity_crop=array_to_image(identity_crop, "mono8", rgb_msg.header)))
        self.faces_pub.publish(faces)
        self.frame_done(rgb_msg.header)
        self.stats.dropped = max(0, self.camera_frames - self.stats.frames)

        if self.annotated_pub.get_subscription_count() > 0:
            rejected = [(face, verdict.reason) for face, verdict in zip(found, verdicts) if not verdict.kept]
            annotated = drawing.draw_detections(bgr, [(f, f"#{i}") for i, (f, _) in zip(track_ids, kept)], rejected)
            self.annotated_pub.publish(array_to_image(annotated, "bgr8", rgb_msg.header))


def main(args=None):
    main_for(FaceDetector, args)


if __name__ == "__main__":
    main()
