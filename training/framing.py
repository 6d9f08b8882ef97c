"""Measure how YuNet's face box sits inside FER2013's 48x48 frame (framing parity).

FER2013 faces were cropped by the dataset's authors, not by our detector. To give the emotion
model at run time the framing it saw in training, this script runs the runtime detector on
FER2013 faces and fits where the 48x48 frame lies relative to YuNet's box:

- each face is upscaled (`--upscale`, cubic) and placed on a mid-grey canvas with a border of
  `--pad` times its side, so YuNet sees a whole face with some context;
- the most confident detection whose centre lies inside the face is kept;
- per face: `scale` = frame side / box side (max of width and height), and the frame centre's
  offset from the box centre in box sides (`offset_x`, `offset_y`, + = right / down).

The medians are the runtime crop's framing (`emotion_ros.framing.FER_FRAMING`, recorded in
config/pipeline.yaml as face_detector.emotion_crop_scale / emotion_crop_offset_y).

    python -m training.framing --split train --limit 3000
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from emotion_ros.detection import YuNetDetector
from training.data import load_dataset, make_splits


def box_in_frame(detector: YuNetDetector, face: np.ndarray, upscale: int, pad: float):
    """YuNet's box on one 48x48 face, in frame pixels (x, y, w, h), or None if not found."""
    side = face.shape[0] * upscale
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    border = int(round(pad * side))
    canvas = cv2.copyMakeBorder(big, border, border, border, border, cv2.BORDER_CONSTANT,
                                value=128)
    found = [d for d in detector.detect(canvas)
             if border <= d.x + d.w / 2 <= border + side and border <= d.y + d.h / 2 <= border + side]
    if not found:
        return None
    best = max(found, key=lambda d: d.score)
    return tuple((v - border) / upscale if i < 2 else v / upscale
                 for i, v in enumerate((best.x, best.y, best.w, best.h)))


def fit(boxes, frame: int = 48) -> dict:
    """Median framing of the frame relative to the boxes, with quartiles."""
    boxes = np.asarray(boxes, np.float64)
    x, y, w, h = boxes.T
    side = np.maximum(w, h)
    values = {"scale": frame / side,
              "offset_x": (frame / 2 - (x + w / 2)) / side,
              "offset_y": (frame / 2 - (y + h / 2)) / side,
              "box_aspect_h_over_w": h / w}
    return {name: {"median": round(float(np.median(v)), 4),
                   "q25": round(float(np.percentile(v, 25)), 4),
                   "q75": round(float(np.percentile(v, 75)), 4)} for name, v in values.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/fer2013")
    parser.add_argument("--split", default="train", choices=("train", "val"),
                        help="never a test split: the result sets a run-time parameter")
    parser.add_argument("--limit", type=int, default=3000, help="faces measured (evenly spaced)")
    parser.add_argument("--upscale", type=int, default=5)
    parser.add_argument("--pad", type=float, default=0.5)
    parser.add_argument("--json", default="", help="also write the result here")
    args = parser.parse_args(argv)

    faces = make_splits(load_dataset(args.data))[args.split].faces
    pick = np.linspace(0, len(faces) - 1, min(args.limit, len(faces))).astype(int)
    side = faces.shape[1] * args.upscale
    canvas = side + 2 * int(round(args.pad * side))
    detector = YuNetDetector(width=canvas, score_threshold=0.5)
    boxes = [b for b in (box_in_frame(detector, faces[i], args.upscale, args.pad) for i in pick)
             if b is not None]
    if not boxes:
        raise SystemExit("YuNet found no face in the sampled FER2013 images")
    result = {"split": args.split, "faces": len(pick), "detected": len(boxes),
              "upscale": args.upscale, "pad": args.pad, **fit(boxes)}
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(result, stream, indent=1)


if __name__ == "__main__":
    main()
