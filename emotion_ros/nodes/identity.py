"""Identity node: names each face's track once enough of its frames agree (emotion_ros.identity.core)."""

from pathlib import Path

import cv2

from emotion_ros import identity
from emotion_ros.conversions import image_to_array
from emotion_ros.labels import UNKNOWN_PERSON
from emotion_ros.msg import FaceArray
from emotion_ros.nodes.common import FACES_QOS, ConfigError, ManagedNode, Param, main_for
from emotion_ros.pairing import stamp_key


class Identity(ManagedNode):
    NAME = "identity"
    PARAMETERS = (
        Param("backend", "lbph | descriptor (dlib descriptor, optional extra; runs off the frame path at rate_hz "
                         "per track)", choices=tuple(identity.BACKENDS)),
        Param("store", "face store folder; empty = the user's default store"),
        Param("model_path", "model file; empty = the back-end's model inside the store (if absent: everyone unknown)"),
        Param("threshold", "distance above which a face is unknown; 0 = the model's", range=(0.0, 1000.0),
              live=True),
        Param("max_ratio", "best / next person's distance above which a face is unknown; 0 = the model's",
              range=(0.0, 1.0), live=True),
        Param("rate_hz", "identifications per track per second; 0 = every frame, -1 = the back-end's default "
                         "(lbph every frame, descriptor 5)", range=(-1.0, 1000.0)),
    )

    def configure(self):
        backend, store = self.param("backend"), self.param("store") or None
        path = self.param("model_path") or str(identity.model_path(store, backend))
        self.core = None
        if not self.param("model_path") and not (Path(path).is_file()
                                                  or identity.LbphIdentifier.names_path(path).is_file()):
            self.model_state = f"absent ({path}): every face is '{UNKNOWN_PERSON}'"
            self.get_logger().warning(f"no {backend} model at {path} (enrol people and train one with python -m "
                                      f"emotion_ros.tools.train_identity); every face is '{UNKNOWN_PERSON}'")
            return
        try:
            identifier = identity.load_identifier(backend, store, path, isolated=True)
        except (ImportError, OSError, ValueError, KeyError, cv2.error) as error:
            raise ConfigError(f"{backend} model {path} cannot be loaded: {error}") from error
        self.saved = (identifier.threshold, identifier.max_ratio)
        rate_hz = self.param("rate_hz")
        self.core = identity.IdentityCore(identifier, rate_hz=None if rate_hz < 0 else rate_hz)
        self.model_state = f"{backend} loaded {path}: {', '.join(identifier.names)}"
        self.get_logger().info(f"{backend} identity {path}: {', '.join(identifier.names)}")

    def apply(self):
        if self.core is not None:
            self.core.identifier.threshold = self.param("threshold") or self.saved[0]
            self.core.identifier.max_ratio = self.param("max_ratio") or self.saved[1]

    def cleanup(self):
        if getattr(self, "core", None) is not None:
            self.core.close()
        self.core = None

    def activate(self):
        self.publisher = self.add_publisher(FaceArray, "faces/identified", FACES_QOS)
        self.add_subscription(FaceArray, "faces", self.on_faces, FACES_QOS)

    def on_faces(self, msg: FaceArray):
        """Fill in the identity of every face (its track's current decision) and pass the frame on."""
        tracked = []
        for face in msg.faces:
            face.identity, face.identity_confidence, face.identity_distance = UNKNOWN_PERSON, 0.0, float("nan")
            try:
                tracked.append((face, image_to_array(face.identity_crop, "mono8")))
            except ValueError as error:
                self.bad_input(error)
                self.get_logger().error(f"face without a usable identity_crop skipped: {error} (further ones are "
                                        "counted in /diagnostics)", once=True)
        if self.core is not None and tracked:
            decisions = self.core.process(stamp_key(msg.header) * 1e-9, [(f.track_id, c) for f, c in tracked])
            for (face, _), decision in zip(tracked, decisions):
                face.identity, face.identity_confidence, face.identity_distance = (
                    decision.name, decision.confidence, decision.distance)
            for problem in self.core.problems():
                self.bad_input(problem)
                self.get_logger().error(f"identity: {problem}", once=True)
        self.publisher.publish(msg)
        self.frame_done(msg.header)

    def destroy_node(self):
        self.cleanup()  # stops the descriptor's worker and child process
        super().destroy_node()


def main(args=None):
    main_for(Identity, args)


if __name__ == "__main__":
    main()
