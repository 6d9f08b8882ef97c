"""Emotion node: scores the 7 FER2013 emotions of every face of a frame in one ONNX batch."""

from rclpy.node import Node

from emotion_ros.emotion import EmotionClassifier
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, OnceLogger, declare, image_to_array, main_for


class Emotion(Node):
    def __init__(self):
        super().__init__("emotion")
        model_path = declare(self, "model_path", "", "ONNX model; empty = the shipped emotion_ros/models/emotion.onnx")
        threads = declare(self, "threads", 1, "ONNX Runtime intra-op threads")

        self.problems = OnceLogger(self)
        try:
            self.classifier = EmotionClassifier(model_path or None, threads=threads)
        except (OSError, ValueError, RuntimeError) as error:
            self.classifier = None
            self.get_logger().error(f"no emotion model: {error}; faces pass on without scores")
        self.publisher = self.create_publisher(FaceArray, "faces/classified", FACES_QOS)
        self.create_subscription(FaceArray, "faces/identified", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Score all faces of the frame at once and pass the frame on."""
        if self.classifier is not None and msg.faces:
            try:
                scores = self.classifier.classify([image_to_array(face.crop, "mono8") for face in msg.faces])
            except ValueError as error:
                self.problems.error(str(error), f"frame not classified: {error}")
            else:
                for face, face_scores in zip(msg.faces, scores):
                    face.emotion_scores = face_scores.tolist()
        self.publisher.publish(msg)


def main(args=None):
    main_for(Emotion, args)


if __name__ == "__main__":
    main()
