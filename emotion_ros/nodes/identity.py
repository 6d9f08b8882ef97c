"""Identity node: names each face with LBPH, or "unknown" beyond the rejection threshold."""

import cv2

from emotion_ros import identity
from emotion_ros.conversions import image_to_array
from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, ConfigError, ManagedNode, Param, main_for


class Identity(ManagedNode):
    NAME = "identity"
    PARAMETERS = (
        Param("model_path", "LBPH model; empty = lbph_model.yml beside the face store (if absent: everyone unknown)"),
        Param("threshold", "LBPH distance above which a face is unknown; 0 = the model's", range=(0.0, 1000.0),
              live=True),
        Param("max_ratio", "best / next person's distance above which a face is unknown; 0 = the model's",
              range=(0.0, 1.0), live=True),
    )

    def configure(self):
        path = self.param("model_path") or str(identity.default_model_path())
        self.identifier = None
        if not self.param("model_path") and not identity.LbphIdentifier.names_path(path).is_file():
            self.model_state = f"absent ({path}): every face is '{UNKNOWN_PERSON}'"
            self.get_logger().warning(f"no LBPH model at {path} (enrol people and train one with "
                                      f"python -m emotion_ros.tools.train_identity); every face is '{UNKNOWN_PERSON}'")
            return
        try:
            self.identifier = identity.LbphIdentifier.load(path)
        except (OSError, ValueError, KeyError, cv2.error) as error:
            raise ConfigError(f"LBPH model {path} cannot be loaded: {error}") from error
        self.saved = (self.identifier.threshold, self.identifier.max_ratio)
        self.model_state = f"loaded {path}: {', '.join(self.identifier.names)}"
        self.get_logger().info(f"LBPH model {path}: {', '.join(self.identifier.names)}")

    def apply(self):
        if self.identifier is not None:
            self.identifier.threshold = self.param("threshold") or self.saved[0]
            self.identifier.max_ratio = self.param("max_ratio") or self.saved[1]

    def cleanup(self):
        self.identifier = None

    def activate(self):
        self.publisher = self.add_publisher(FaceArray, "faces/identified", FACES_QOS)
        self.add_subscription(FaceArray, "faces", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Fill in the identity of every face and pass the frame on."""
        for face in msg.faces:
            face.identity, face.identity_confidence, face.identity_distance = UNKNOWN_PERSON, 0.0, float("nan")
            if self.identifier is None:
                continue
            try:
                result = self.identifier.predict(image_to_array(face.crop, "mono8"))
            except ValueError as error:
                self.bad_input(error)
                self.get_logger().error(f"face crop skipped: {error} (further ones are counted in /diagnostics)",
                                        once=True)
                continue
            face.identity, face.identity_confidence, face.identity_distance = (
                result.name, result.confidence, result.distance)
        self.publisher.publish(msg)
        self.frame_done(msg.header)


def main(args=None):
    main_for(Identity, args)


if __name__ == "__main__":
    main()
