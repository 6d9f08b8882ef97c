"""Emotion node: scores the 7 FER2013 emotions of every face of a frame in one ONNX batch."""

import numpy as np

from emotion_ros.conversions import image_to_array
from emotion_ros.emotion import DEFAULT_MODEL, EmotionClassifier
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, ManagedNode, Param, main_for


class Emotion(ManagedNode):
    NAME = "emotion"
    PARAMETERS = (
        Param("model_path", "ONNX model; empty = the shipped emotion_ros/models/emotion.onnx"),
        Param("threads", "ONNX Runtime intra-op threads", range=(1, 64)),
    )

    def configure(self):
        self.classifier = EmotionClassifier(self.param("model_path") or None, threads=self.param("threads"))
        self.classifier.classify([np.zeros((96, 96), np.uint8)] * 3)  # warm up: the first frames are not dropped
        self.model_state = f"loaded {self.param('model_path') or DEFAULT_MODEL}"

    def cleanup(self):
        self.classifier = None

    def activate(self):
        self.publisher = self.add_publisher(FaceArray, "faces/classified", FACES_QOS)
        self.add_subscription(FaceArray, "faces/identified", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Score all faces of the frame at once and pass the frame on."""
        if msg.faces:
            try:
                scores = self.classifier.classify([image_to_array(face.crop, "mono8") for face in msg.faces])
            except ValueError as error:
                self.bad_input(error)
                self.get_logger().error(f"frame not classified: {error} (further ones are counted in /diagnostics)",
                                        once=True)
            else:
                for face, face_scores in zip(msg.faces, scores):
                    face.emotion_scores = face_scores.tolist()
        self.publisher.publish(msg)
        self.frame_done(msg.header)


def main(args=None):
    main_for(Emotion, args)


if __name__ == "__main__":
    main()
