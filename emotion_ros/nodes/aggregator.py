"""Aggregator node: confirms each person's emotion over a window and publishes PersonEmotion."""

import numpy as np
from rclpy.node import Node

from emotion_ros.labels import EMOTIONS, UNKNOWN_PERSON
from emotion_ros.msg import FaceArray, PersonEmotion
from emotion_ros.nodes.common import FACES_QOS, OnceLogger, declare, main_for, stamp_key
from emotion_ros.window import WindowBank


class Aggregator(Node):
    def __init__(self):
        super().__init__("aggregator")
        length = declare(self, "window_length", 20, "frames per person in the confirmation window")
        share = declare(self, "min_share", 0.6, "a class is confirmed when it holds more than this share")
        forget = declare(self, "forget_after_s", 2.0, "a person's window is dropped after this long unseen")

        self.windows = WindowBank(length, share, forget)
        self.problems = OnceLogger(self)
        self.publisher = self.create_publisher(PersonEmotion, "person_emotions", 10)
        self.create_subscription(FaceArray, "faces/classified", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Push each face's raw emotion into its person's window (the identity node's name for the
        face's track, or the track id for strangers); publish one PersonEmotion per face."""
        now = stamp_key(msg.header) * 1e-9
        self.windows.prune(now)
        for face in msg.faces:
            if len(face.emotion_scores) != len(EMOTIONS):
                self.problems.warning("scores", f"faces without {len(EMOTIONS)} emotion scores are skipped")
                continue
            person = face.identity or UNKNOWN_PERSON
            known = person != UNKNOWN_PERSON
            key = person if known else f"track:{face.track_id}"
            raw = int(np.argmax(face.emotion_scores))
            confirmation = self.windows.update(key, raw, now)
            self.publisher.publish(PersonEmotion(
                header=msg.header,
                person=person,
                identity_confidence=face.identity_confidence,
                track_id=face.track_id,
                emotion=confirmation.emotion,
                emotion_label=EMOTIONS[confirmation.emotion],
                emotion_share=confirmation.share,
                confirmed=confirmation.confirmed,
                raw_emotion=raw,
                raw_scores=face.emotion_scores,
                roi=face.roi,
                distance_m=face.distance_m,
                window_fill=confirmation.fill,
                window_length=self.windows.length,
            ))


def main(args=None):
    main_for(Aggregator, args)


if __name__ == "__main__":
    main()
