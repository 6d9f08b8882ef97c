"""Identity node: names each face's track once enough of its frames agree (emotion_ros.identity.core)."""

from rclpy.node import Node

from emotion_ros import identity
from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, OnceLogger, declare, image_to_array, main_for, stamp_key


class Identity(Node):
    def __init__(self):
        super().__init__("identity")
        backend = declare(self, "backend", "lbph", "lbph | descriptor (dlib descriptor, optional extra; runs off "
                                                   "the frame path at rate_hz per track)")
        store = declare(self, "store", "", "face store folder; empty = the user's default store")
        model_path = declare(self, "model_path", "", "model file; empty = the back-end's model inside the store")
        threshold = declare(self, "threshold", 0.0, "distance above which a face is unknown; 0 = the model's")
        max_ratio = declare(self, "max_ratio", 0.0,
                            "best / next person's distance above which a face is unknown; 0 = the model's")
        rate_hz = declare(self, "rate_hz", -1.0, "identifications per track per second; 0 = every frame, "
                                                 "-1 = the back-end's default (lbph every frame, descriptor 5)")

        self.problems = OnceLogger(self)
        self.core = None
        try:
            identifier = identity.load_identifier(backend, store or None, model_path, threshold or None,
                                                  max_ratio or None, isolated=True)
            self.core = identity.IdentityCore(identifier, rate_hz=None if rate_hz < 0 else rate_hz)
            self.get_logger().info(f"{backend} identity: {', '.join(identifier.names)}")
        except (ImportError, OSError, ValueError, KeyError) as error:
            self.get_logger().error(f"{error}; every face will be '{UNKNOWN_PERSON}'")
        self.publisher = self.create_publisher(FaceArray, "faces/identified", FACES_QOS)
        self.create_subscription(FaceArray, "faces", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Fill in the identity of every face (its track's current decision) and pass the frame on."""
        tracked = []
        for face in msg.faces:
            face.identity, face.identity_confidence, face.identity_distance = UNKNOWN_PERSON, 0.0, float("nan")
            try:
                tracked.append((face, image_to_array(face.identity_crop, "mono8")))
            except ValueError as error:
                self.problems.error(str(error), f"face without a usable identity_crop skipped: {error}")
        if self.core is not None and tracked:
            decisions = self.core.process(stamp_key(msg.header) * 1e-9, [(f.track_id, c) for f, c in tracked])
            for (face, _), decision in zip(tracked, decisions):
                face.identity, face.identity_confidence, face.identity_distance = (
                    decision.name, decision.confidence, decision.distance)
            for problem in self.core.problems():
                self.problems.error(problem, problem)
        self.publisher.publish(msg)

    def destroy_node(self):
        if self.core is not None:
            self.core.close()
        super().destroy_node()


def main(args=None):
    main_for(Identity, args)


if __name__ == "__main__":
    main()
