"""The main job on the bundled sample: enrol its two people, then run the whole pipeline on the
sample Kinect recording, echo /person_emotions and write the annotated video.

    python -m emotion_ros.demo --video annotated_sample.mp4 [--mode processes]
"""

import argparse
import sys

from emotion_ros import identity, resources, run
from emotion_ros.detection import make_detector
from emotion_ros.tools.enrol import enrol_from_dir

# LBPH distance threshold for the sample's faces, which are ORL photos of 23x28 pixels scaled up
# about four times: enrolled people come out at 18-28, the stranger at 30-34 (and ratio 0.97).
# Real camera faces use the default threshold (identity.lbph.DEFAULT_THRESHOLD, from
# scripts/evaluate_identity.py).
SAMPLE_THRESHOLD = 27.0


def enrol_sample_people(store_dir) -> str:
    """Enrol the bundled photos (cropped by the pipeline's detector) into a demo face store;
    return the path of the LBPH model trained on it."""
    store = identity.FaceStore(store_dir)
    detector = make_detector("yunet")
    for person_dir in sorted(p for p in resources.enrol_sample_dir().iterdir() if p.is_dir()):
        if not store.images(person_dir.name):
            enrol_from_dir(store, person_dir.name, person_dir, detector=detector, log=lambda _: None)
    return train_sample_model(store)


def train_sample_model(store: identity.FaceStore) -> str:
    """Train LBPH on `store` with the sample's threshold; return the saved model's path."""
    identifier = identity.LbphIdentifier(threshold=SAMPLE_THRESHOLD)
    identifier.train_from_store(store)
    return str(identifier.save(store.model_path()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", default="annotated_sample.mp4", help="annotated video to write (.mp4 or .avi)")
    parser.add_argument("--mode", choices=("composed", "processes"), default="composed")
    parser.add_argument("--store", default=str(resources.cache_dir() / "demo" / "aligned_faces"),
                        help="face store for the sample's people")
    args = parser.parse_args(argv)
    model = enrol_sample_people(args.store)
    print(f"enrolled the sample's people into {args.store}", file=sys.stderr)
    run.main(["--source", "fakenect", "--mode", args.mode, "--video", args.video, "--behaviour",
              "--set", f"identity.model_path={model}"])


if __name__ == "__main__":
    main()
