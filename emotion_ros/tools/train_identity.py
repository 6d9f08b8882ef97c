"""Train an identity back-end on every photo of the face store and save its model inside the store.

    python -m emotion_ros.tools.train_identity [--store DIR] [--backend lbph|descriptor|all]
                                               [--threshold T] [--max-ratio R]

The models go to `<store>/lbph_model.yml` (+ `.json`) and `<store>/descriptor_model.npz`, where
the identity node looks for them (its `store` parameter), so two stores never share a model.
"""

import argparse
import sys
from pathlib import Path

import cv2

from emotion_ros.identity import FaceStore, LbphIdentifier
from emotion_ros.identity import descriptor as descriptor_backend
from emotion_ros.identity import lbph

FEW_PHOTOS = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emotion_ros.tools.train_identity",
                                     description="Train the face identifier(s) on the face store.")
    parser.add_argument("--store", type=Path, default=None, help="face store (default: the user's data dir)")
    parser.add_argument("--backend", choices=("lbph", "descriptor", "all"), default="lbph",
                        help="back-end to train; all = lbph, and descriptor when dlib is installed")
    parser.add_argument("--model", type=Path, default=None,
                        help="model file to write (default: the back-end's model inside the store)")
    parser.add_argument("--threshold", type=float, default=None,
                        help=f"distance above which a face is unknown, saved with the model (default lbph "
                             f"{lbph.DEFAULT_THRESHOLD}, descriptor {descriptor_backend.DEFAULT_THRESHOLD}; "
                             "from scripts/evaluate_identity.py)")
    parser.add_argument("--max-ratio", type=float, default=None,
                        help=f"a name needs its distance at most this share of the next person's (default lbph "
                             f"{lbph.DEFAULT_RATIO}, descriptor {descriptor_backend.DEFAULT_RATIO}; 1 = no ratio test)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    store = FaceStore(args.store)
    backends = [args.backend] if args.backend != "all" else (
        ["lbph", "descriptor"] if descriptor_backend.available() else ["lbph"])
    if args.model is not None and len(backends) > 1:
        print("train_identity: --model needs one --backend", file=sys.stderr)
        return 1
    trained = []
    for backend in backends:
        module, cls = ((lbph, LbphIdentifier) if backend == "lbph"
                       else (descriptor_backend, descriptor_backend.DescriptorIdentifier))
        options = {"threshold": module.DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
                   "max_ratio": module.DEFAULT_RATIO if args.max_ratio is None else args.max_ratio}
        try:
            identifier = cls(options.pop("threshold"), **options)
            identifier.train_from_store(store)
            trained.append((backend, identifier, identifier.save(args.model or store.model_path(backend))))
        except (ImportError, OSError, ValueError, cv2.error) as error:
            print(f"train_identity: {error}", file=sys.stderr)
            return 1
    print(f"face store {store.root}:")
    for name in trained[0][1].names:
        count = len(store.images(name))
        hint = f"  (fewer than {FEW_PHOTOS}: enrol more photos)" if count < FEW_PHOTOS else ""
        print(f"  {name}: {count} photos{hint}")
    for backend, identifier, path in trained:
        print(f"saved {backend} model {path} (threshold {identifier.threshold}, max ratio {identifier.max_ratio})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
