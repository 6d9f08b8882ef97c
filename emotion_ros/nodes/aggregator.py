"""Aggregator node: confirms each person's emotion over a window and publishes PersonEmotion."""

import numpy as np

from emotion_ros.labels import EMOTIONS, UNKNOWN_PERSON
from emotion_ros.msg import FaceArray, PersonEmotion
from emotion_ros.nodes.common import FACES_QOS, ManagedNode, Param, main_for
from emotion_ros.pairing import stamp_key
from emotion_ros.window import WindowBank


class Aggregator(ManagedNode):
    NAME = "aggregator"
    PARAMETERS = (
        Param("window_length", "frames per person in the confirmation window", range=(1, 10000)),
        Param("min_share", "a class is confirmed when it holds more than this share", range=(0.0, 0.99), live=True),
        Param("forget_after_s", "a person's window is dropped after this long unseen", range=(0.01, 3600.0)),
    )

    def configure(self):
        self.windows = WindowBank(self.param("window_length"), self.param("min_share"), self.param("forget_after_s"))

    def apply(self):
        self.windows.set_min_share(self.param("min_share"))

    def activate(self):
        self.publisher = self.add_publisher(PersonEmotion, "person_emotions", 10)
        self.add_subscription(FaceArray, "faces/classified", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Push each face's raw emotion into its person's window (the identity node's name for the
        face's track, or the track id for strangers); publish one PersonEmotion per face."""
        now = stamp_key(msg.header) * 1e-9
        self.windows.prune(now)
        for face in msg.faces:
            if len(face.emotion_scores) != len(EMOTIONS):
                self.bad_input(f"a face without {len(EMOTIONS)} emotion scores")
                self.get_logger().warning(f"faces without {len(EMOTIONS)} emotion scores are skipped", once=True)
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
        self.frame_done(msg.header)


def main(args=None):
    main_for(Aggregator, args)


if __name__ == "__main__":
    main()
