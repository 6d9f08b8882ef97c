"""Enrol a person: save face crops into the face store and a contact sheet to review them.

From a camera, video or recording, the largest face of every `--every`-th frame with a face
is cropped exactly as the face detector node does (square box, grey, `--crop-size` pixels)::

    python -m emotion_ros.tools.enrol --name alice --photos 20 --source webcam --device 0
    python -m emotion_ros.tools.enrol --name alice --source fakenect --path REC --every 3

From a folder of face photos (e.g. ORL PGMs), saved as they are; with `--detect` each
photo is instead cropped by the detector like a live frame (small photos are first upscaled
so the short side is at least 40 px, and padded so the detector sees the whole head)::

    python -m emotion_ros.tools.enrol --name alice --from-dir emotion_ros/data/enrol_sample/alice

Review `<store>/<name>/contact_sheet.png`, delete bad photos (their numbers are on the
sheet), then train: ``python -m emotion_ros.tools.train_identity``.
"""

import argparse
import math
import re
import sys
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.capture import SourceError, open_source
from emotion_ros.detection import crop_face, make_detector
from emotion_ros.identity import FaceStore, default_store_dir

IMAGE_SUFFIXES = {".pgm", ".ppm", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
CONTACT_SHEET = "contact_sheet.png"
MIN_DETECT_SIDE = 40


def face_crop(image: np.ndarray, detector, margin: float = 0.0, crop_size: int = 96) -> np.ndarray | None:
    """Grey `crop_size` square crop of the largest detected face, or None without a face."""
    faces = detector.detect(image)
    if not faces:
        return None
    largest = max(faces, key=lambda f: f.w * f.h)
    crop = crop_face(image, largest, scale=1.0 + 2.0 * margin)
    return cv2.resize(crop, (crop_size, crop_size), interpolation=cv2.INTER_AREA)


def enrol_from_source(store: FaceStore, name: str, source, detector, photos: int, *, every: int = 1,
                      margin: float = 0.0, crop_size: int = 96, log=print) -> list[Path]:
    """Save the largest face of every `every`-th frame with a face until `photos` are saved
    or the source ends; returns the saved paths."""
    if photos < 1 or every < 1:
        raise ValueError(f"photos and every must be >= 1, got {photos} and {every}")
    saved: list[Path] = []
    with_face = 0
    try:
        while len(saved) < photos:
            frame = source.read()
            if frame is None:
                log(f"source ended after {len(saved)} of {photos} photos")
                break
            crop = face_crop(frame.rgb, detector, margin, crop_size)
            if crop is None:
                continue
            if with_face % every == 0:
                saved.append(store.add(name, crop))
                log(f"{len(saved)}/{photos}: {saved[-1]}")
            with_face += 1
    except KeyboardInterrupt:
        log(f"interrupted after {len(saved)} of {photos} photos")
    return saved


def _natural_key(path: Path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def photo_files(directory: Path) -> list[Path]:
    """Image files of `directory` in natural order (2.pgm before 10.pgm)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"photo folder not found: {directory}")
    files = [p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=_natural_key)


def detect_in_photo(image: np.ndarray, detector, margin: float = 0.0, crop_size: int = 96) -> np.ndarray | None:
    """`face_crop` of a photo that is already mostly face: upscaled to a short side of at
    least `MIN_DETECT_SIDE` px and padded by a third of its size on every side."""
    scale = math.ceil(MIN_DETECT_SIDE / min(image.shape[:2]))
    if scale > 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    pad = max(image.shape[:2]) // 3
    image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return face_crop(image, detector, margin, crop_size)


def enrol_from_dir(store: FaceStore, name: str, directory: Path, photos: int | None = None, *,
                   detector=None, margin: float = 0.0, crop_size: int = 96, log=print) -> list[Path]:
    """Save the photos of `directory` (the first `photos` of them, natural order); with a
    `detector`, save its crop of each photo instead, skipping photos without a face."""
    saved: list[Path] = []
    for path in photo_files(Path(directory)):
        if photos is not None and len(saved) >= photos:
            break
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            log(f"skipped {path}: not a readable image")
            continue
        if image.dtype != np.uint8:
            log(f"skipped {path}: not an 8-bit image")
            continue
        if image.ndim == 3 and image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        if detector is not None:
            image = detect_in_photo(image, detector, margin, crop_size)
            if image is None:
                log(f"skipped {path}: no face found")
                continue
        saved.append(store.add(name, image))
        log(f"{path} -> {saved[-1]}")
    return saved


def contact_sheet(paths: list[Path], out: Path, tile: int = 96, columns: int = 8) -> Path:
    """Write a grid of the photos, each labelled with its file number, to `out`."""
    if not paths:
        raise ValueError("no photos for a contact sheet")
    columns = min(columns, len(paths))
    rows = math.ceil(len(paths) / columns)
    sheet = np.zeros((rows * tile, columns * tile, 3), np.uint8)
    for i, path in enumerate(paths):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f"could not read photo {path}")
        r, c = divmod(i, columns)
        sheet[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = cv2.resize(image, (tile, tile))
        origin = (c * tile + 3, r * tile + 14)
        cv2.putText(sheet, path.stem, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(sheet, path.stem, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 0), 1, cv2.LINE_AA)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), sheet):
        raise OSError(f"could not write contact sheet {out}")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emotion_ros.tools.enrol",
                                     description="Enrol a person's face photos into the face store.")
    parser.add_argument("--name", required=True, help="the person's name (a folder of the store)")
    parser.add_argument("--photos", type=int, default=None,
                        help="photos to save (default: 20 from a source, all from --from-dir)")
    parser.add_argument("--source", default="webcam", choices=("webcam", "video", "kinect", "fakenect"))
    parser.add_argument("--path", default="", help="video file or fakenect directory")
    parser.add_argument("--device", type=int, default=0, help="webcam index or Kinect number")
    parser.add_argument("--store", type=Path, default=None, help=f"face store (default {default_store_dir()})")
    parser.add_argument("--detector", default="yunet", choices=("yunet", "haar"))
    parser.add_argument("--every", type=int, default=5, help="save every K-th frame with a face")
    parser.add_argument("--margin", type=float, default=0.0,
                        help="extra box margin per side, as a share of the box (the detector node uses 0)")
    parser.add_argument("--crop-size", type=int, default=96, help="side of the saved crops (as the detector node)")
    parser.add_argument("--from-dir", type=Path, default=None, help="enrol the face photos of this folder")
    parser.add_argument("--detect", action="store_true", help="with --from-dir: crop each photo with the detector")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    store = FaceStore(args.store)
    try:
        store.person_dir(args.name)
        if args.photos is not None and args.photos < 1:
            raise ValueError(f"--photos must be >= 1, got {args.photos}")
        detector = make_detector(args.detector) if args.from_dir is None or args.detect else None
        if args.from_dir is not None:
            saved = enrol_from_dir(store, args.name, args.from_dir, args.photos, detector=detector,
                                   margin=args.margin, crop_size=args.crop_size)
        else:
            source = open_source(args.source, path=args.path, device=args.device, realtime=False)
            try:
                saved = enrol_from_source(store, args.name, source, detector, args.photos or 20,
                                          every=args.every, margin=args.margin, crop_size=args.crop_size)
            finally:
                source.close()
    except (SourceError, OSError, ValueError) as error:
        print(f"enrol: {error}", file=sys.stderr)
        return 1
    if not saved:
        print(f"enrol: no photos saved for {args.name}", file=sys.stderr)
        return 1
    photos = store.images(args.name)
    sheet = contact_sheet(photos, store.person_dir(args.name) / CONTACT_SHEET)
    print(f"{args.name}: {len(saved)} new, {len(photos)} photos in {store.person_dir(args.name)}; "
          f"review {sheet} and delete bad photos, then run python -m emotion_ros.tools.train_identity")
    return 0


if __name__ == "__main__":
    sys.exit(main())
