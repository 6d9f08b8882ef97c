"""Train the LBPH identifier on every photo of the face store and save the model.

    python -m emotion_ros.tools.train_identity [--store DIR] [--model PATH] [--threshold T] [--max-ratio R]

The model goes to `lbph_model.yml` beside the store by default (where the identity node
looks for it), with `lbph_model.json` (names, threshold, crop size) next to it.
"""

import argparse
import sys
from pathlib import Path

import cv2

from emotion_ros.identity import (DEFAULT_RATIO, DEFAULT_THRESHOLD, GRID, FaceStore, LbphIdentifier,
                                  default_model_path)

FEW_PHOTOS = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emotion_ros.tools.train_identity",
                                     description="Train the LBPH face identifier on the face store.")
    parser.add_argument("--store", type=Path, default=None, help="face store (default: the user's data dir)")
    parser.add_argument("--model", type=Path, default=None,
                        help="model file to write (default: lbph_model.yml beside the store)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="LBPH distance above which a face is unknown, saved with the model "
                             f"(default {DEFAULT_THRESHOLD}, from scripts/evaluate_identity.py)")
    parser.add_argument("--max-ratio", type=float, default=DEFAULT_RATIO,
                        help="a name is given only if its distance is at most this share of the next "
                             f"person's, saved with the model (default {DEFAULT_RATIO}; 1 = no ratio test)")
    parser.add_argument("--grid", type=int, default=GRID, help="LBPH grid cells per side")
    parser.add_argument("--radius", type=int, default=1)
    parser.add_argument("--neighbors", type=int, default=8)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    store = FaceStore(args.store)
    model = args.model or default_model_path(store.root)
    try:
        identifier = LbphIdentifier(args.threshold, max_ratio=args.max_ratio, radius=args.radius, neighbors=args.neighbors,
                                    grid_x=args.grid, grid_y=args.grid)
        identifier.train_from_store(store)
        identifier.save(model)
    except (OSError, ValueError, cv2.error) as error:
        print(f"train_identity: {error}", file=sys.stderr)
        return 1
    print(f"face store {store.root}:")
    for name in identifier.names:
        count = len(store.images(name))
        hint = f"  (fewer than {FEW_PHOTOS}: enrol more photos)" if count < FEW_PHOTOS else ""
        print(f"  {name}: {count} photos{hint}")
    print(f"saved LBPH model {model} (threshold {identifier.threshold}, max ratio {identifier.max_ratio})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
