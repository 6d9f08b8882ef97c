"""Enrol a person: detect and align their face in photos or frames, save the identity crops into
the face store, and write a contact sheet to review them.

Every photo goes through the detector and the one alignment (`identity.align_face`), exactly as
the face detector node crops faces at run time. A photo with no face or with several faces is an
error and nothing of that run is stored; a photo already in the store is refused::

    python -m emotion_ros.tools.enrol --name alice --from-dir photos/alice
    python -m emotion_ros.tools.enrol --name alice --photo me.jpg --photo me2.jpg
    python -m emotion_ros.tools.enrol --name alice --photos 20 --source webcam --device 0
    python -m emotion_ros.tools.enrol --name alice --source video --path alice.mp4 --every 10

From a camera, video or recording, every `--every`-th frame showing exactly one face is saved
(frames with several faces are skipped, as are repeats of a stored crop). Review
`<store>/<name>/contact_sheet.png`, delete bad photos (their numbers are on the sheet), then
train: ``python -m emotion_ros.tools.train_identity [--store DIR]``.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import cv2
import numpy as np

from emotion_ros.capture import SourceError, open_source
from emotion_ros.detection import make_detector
from emotion_ros.identity import DuplicatePhoto, FaceStore, align_face, default_store_dir
from emotion_ros.identity.store import private_file

IMAGE_SUFFIXES = {".pgm", ".ppm", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
CONTACT_SHEET = "contact_sheet.png"
PHOTO_DETECTION_WIDTH = 640   # YuNet width for photos (the node's 320 would lose small faces)
SMALL_PHOTO = 320             # photos smaller than this are padded so the detector sees the whole head
MIN_PHOTO_SIDE = 80           # smaller photos (thumbnails) are first upscaled by a whole factor


class PhotoError(ValueError):
    """A photo that cannot be enrolled (unreadable, no face, several faces)."""


def photo_detector(name: str = "yunet"):
    return make_detector(name, width=PHOTO_DETECTION_WIDTH) if name == "yunet" else make_detector(name)


def aligned_face(image: np.ndarray, detector) -> np.ndarray:
    """The identity crop of the one face in `image` (a frame or a photo); PhotoError when the
    detector finds no face or several. A small photo that is mostly face (e.g. ORL's 92x112) is
    first upscaled to a short side of at least MIN_PHOTO_SIDE and padded by half its longest
    side, repeating its border, so the detector sees a whole head."""
    scale = math.ceil(MIN_PHOTO_SIDE / min(image.shape[:2]))
    if scale > 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    if max(image.shape[:2]) < SMALL_PHOTO:
        pad = max(image.shape[:2]) // 2
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    faces = detector.detect(image)
    if not faces:
        raise PhotoError("no face found")
    if len(faces) > 1:
        raise PhotoError(f"{len(faces)} faces found; use photos showing only the person to enrol")
    return align_face(image, faces[0])


def read_photo(path: Path) -> np.ndarray:
    """An 8-bit grey or BGR image from `path`; PhotoError naming the problem."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise PhotoError("not a readable image")
    if image.dtype != np.uint8:
        raise PhotoError("not an 8-bit image")
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def enrol_photos(store: FaceStore, name: str, paths: list[Path], detector=None, *, log=print) -> list[Path]:
    """Align every photo first; if any cannot be enrolled, raise PhotoError listing them all and
    store nothing. Then save the crops, skipping (and logging) those already in the store."""
    detector = detector or photo_detector()
    store.person_dir(name)
    if not paths:
        raise PhotoError("no photos given")
    crops, problems = [], []
    for path in paths:
        try:
            crops.append((path, aligned_face(read_photo(path), detector)))
        except PhotoError as error:
            problems.append(f"{path}: {error}")
    if problems:
        raise PhotoError("nothing enrolled; fix or remove these photos:\n  " + "\n  ".join(problems))
    saved = []
    for path, crop in crops:
        try:
            saved.append(store.add(name, crop))
        except DuplicatePhoto as error:
            log(f"refused {path}: {error}")
            continue
        log(f"{path} -> {saved[-1]}")
    return saved


def enrol_from_dir(store: FaceStore, name: str, directory: Path, photos: int | None = None, *,
                   detector=None, log=print) -> list[Path]:
    """`enrol_photos` of the first `photos` image files of `directory` (natural order)."""
    files = photo_files(Path(directory))
    return enrol_photos(store, name, files[:photos] if photos is not None else files, detector, log=log)


def enrol_from_source(store: FaceStore, name: str, source, detector, photos: int, *, every: int = 1,
                      log=print) -> list[Path]:
    """Save the face of every `every`-th frame showing exactly one face until `photos` are saved
    or the source ends; returns the saved paths."""
    if photos < 1 or every < 1:
        raise ValueError(f"photos and every must be >= 1, got {photos} and {every}")
    saved: list[Path] = []
    with_face = crowded = 0
    try:
        while len(saved) < photos:
            frame = source.read()
            if frame is None:
                log(f"source ended after {len(saved)} of {photos} photos")
                break
            faces = detector.detect(frame.rgb)
            if len(faces) != 1:
                crowded += len(faces) > 1
                continue
            if with_face % every == 0:
                try:
                    saved.append(store.add(name, align_face(frame.rgb, faces[0])))
                    log(f"{len(saved)}/{photos}: {saved[-1]}")
                except DuplicatePhoto:
                    pass
            with_face += 1
    except KeyboardInterrupt:
        log(f"interrupted after {len(saved)} of {photos} photos")
    if crowded:
        log(f"skipped {crowded} frames showing several faces")
    return saved


def _natural_key(path: Path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def photo_files(directory: Path) -> list[Path]:
    """Image files of `directory` in natural order (2.pgm before 10.pgm)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"photo folder not found: {directory}")
    files = [p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=_natural_key)


def contact_sheet(paths: list[Path], out: Path, tile: int = 96, columns: int = 8) -> Path:
    """Write a grid of the photos, each labelled with its file number, to `out` (owner-only)."""
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
    ok, png = cv2.imencode(".png", sheet)
    if not ok:
        raise OSError(f"could not encode contact sheet {out}")
    private_file(out).write_bytes(png.tobytes())
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
    parser.add_argument("--every", type=int, default=5, help="save every K-th frame with one face")
    parser.add_argument("--from-dir", type=Path, default=None, help="enrol the face photos of this folder")
    parser.add_argument("--photo", type=Path, action="append", default=[], help="enrol this photo (repeatable)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    store = FaceStore(args.store)
    try:
        store.person_dir(args.name)
        if args.photos is not None and args.photos < 1:
            raise ValueError(f"--photos must be >= 1, got {args.photos}")
        if args.from_dir is not None or args.photo:
            files = photo_files(args.from_dir) if args.from_dir is not None else []
            files = (files + args.photo)[:args.photos] if args.photos else files + args.photo
            saved = enrol_photos(store, args.name, files, photo_detector(args.detector))
        else:
            source = open_source(args.source, path=args.path, device=args.device, realtime=False)
            try:
                saved = enrol_from_source(store, args.name, source, make_detector(args.detector),
                                          args.photos or 20, every=args.every)
            finally:
                source.close()
    except (SourceError, OSError, ValueError) as error:
        print(f"enrol: {error}", file=sys.stderr)
        return 1
    if not saved:
        print(f"enrol: no new photos saved for {args.name}", file=sys.stderr)
        return 1
    photos = store.images(args.name)
    sheet = contact_sheet(photos, store.person_dir(args.name) / CONTACT_SHEET)
    print(f"{args.name}: {len(saved)} new, {len(photos)} photos in {store.person_dir(args.name)}; "
          f"review {sheet} and delete bad photos, then run "
          f"python -m emotion_ros.tools.train_identity{' --store ' + str(args.store) if args.store else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
