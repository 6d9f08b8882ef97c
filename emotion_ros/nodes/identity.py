"""Identity node: names each face with LBPH, or "unknown" beyond the rejection threshold."""

from rclpy.node import Node

from emotion_ros import identity
from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, OnceLogger, declare, image_to_array, main_for


class Identity(Node):
    def __init__(self):
        super().__init__("identity")
        model_path = declare(self, "model_path", "", "LBPH model; empty = lbph_model.yml beside the face store")
        threshold = declare(self, "threshold", 0.0, "LBPH distance above which a face is unknown; 0 = the model's")
        max_ratio = declare(self, "max_ratio", 0.0,
                            "best / next person's distance above which a face is unknown; 0 = the model's")

        self.problems = OnceLogger(self)
        model_path = model_path or str(identity.default_model_path())
        try:
            self.identifier = identity.LbphIdentifier.load(model_path, threshold or None, max_ratio or None)
            self.get_logger().info(f"LBPH model {model_path}: {', '.join(self.identifier.names)}")
        except (OSError, ValueError, KeyError) as error:
            self.identifier = None
            self.get_logger().error(f"{error}; every face will be '{UNKNOWN_PERSON}'")
        self.publisher = self.create_publisher(FaceArray, "faces/identified", FACES_QOS)
        self.create_subscription(FaceArray, "faces", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Fill in the identity of every face and pass the frame on."""
        for face in msg.faces:
            face.identity, face.identity_confidence, face.identity_distance = UNKNOWN_PERSON, 0.0, float("nan")
            if self.identifier is None:
                continue
            try:
                result = self.identifier.predict(image_to_array(face.crop, "mono8"))
            except ValueError as error:
                self.problems.error(str(error), f"face crop skipped: {error}")
                continue
            face.identity, face.identity_confidence, face.identity_distance = (
                result.name, result.confidence, result.distance)
        self.publisher.publish(msg)


def main(args=None):
    main_for(Identity, args)


if __name__ == "__main__":
    main()
