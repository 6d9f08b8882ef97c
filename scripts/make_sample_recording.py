#!/usr/bin/env python3
"""Build the shipped sample: emotion_ros/data/sample.tar.xz and emotion_ros/data/enrol_sample/.

A synthetic 640x480 RGB-D scene recorded with FakenectWriter (registered depth in mm):
ORL face photos pasted at known distances with a rounded head relief in the depth, plus
decoys that a colour-only detector accepts but the depth gate must reject (a flat poster
on the wall, a flat printed photo held at 1.2 m, a person beyond the working band).
labels.json (inside the recording directory) gives the ground-truth face boxes per frame.

    .venv/bin/python scripts/make_sample_recording.py [--orl ../shared/datasets/att_faces]

Deterministic: the same ORL files give byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import lzma
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_ros.capture import Frame, FakenectWriter  # noqa: E402
from emotion_ros.resources import DATA_DIR, SAMPLE_NAME  # noqa: E402

WIDTH, HEIGHT, FOCAL = 640, 480, 525.0
FPS, FRAMES, START_TIME = 15.0, 60, 1_700_000_000.0
FACE_WIDTH_M = 0.15
WALL_MM, DOORWAY_MM = 2800, 6000
# The face box inside a pasted ORL photo (fractions of the photo), as YuNet finds it.
BOX_IN_PHOTO = (0.10, 0.13, 0.80, 0.82)
# Enrolled people (photos 1-6 enrol, 7-10 appear in the recording) and one stranger.
PEOPLE = {"alice": "s5", "bob": "s13"}
STRANGER = ("stranger", "s22")
POSTER_SUBJECT = "s30"
ENROL_PHOTOS = range(1, 7)
SCENE_PHOTOS = (7, 8, 9, 10)
DOOR = (500, 90, 600, 400)  # x0, y0, x1, y1 of a doorway onto a corridor (depth 6 m)


def kinect_depth(z_m: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Metres -> Kinect-like uint16 mm: noise growing with z^2, disparity quantisation."""
    z = z_m + noise * 1.425e-3 * z_m ** 2
    raw = np.round((np.arctan(z / 0.1236) - 1.1863) * 2842.5)
    return np.round(0.1236 * np.tan(raw / 2842.5 + 1.1863) * 1000.0).astype(np.uint16)


def photo_size(distance_m: float, face_width_m: float = FACE_WIDTH_M) -> tuple[int, int]:
    """Pixel size of an ORL photo whose face box spans face_width_m at distance_m."""
    box_w = FOCAL * face_width_m / distance_m
    w = box_w / BOX_IN_PHOTO[2]
    return int(round(w)), int(round(w * 112 / 92))


def face_box(x: int, y: int, w: int, h: int) -> list[int]:
    fx, fy, fw, fh = BOX_IN_PHOTO
    return [int(round(x + fx * w)), int(round(y + fy * h)), int(round(fw * w)),
            int(round(fh * h))]


class Scene:
    def __init__(self, orl: Path):
        rng = np.random.default_rng(7)
        self.orl = orl
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        shade = 0.85 + 0.15 * np.cos(xx / WIDTH * np.pi - 0.5) * np.cos(yy / HEIGHT * 2.0)
        wall = np.array([165, 185, 200], np.float32)  # BGR, warm beige
        grain = cv2.GaussianBlur(rng.normal(0, 6, (HEIGHT, WIDTH)).astype(np.float32),
                                 (0, 0), 1.5)
        self.rgb = np.clip(wall * shade[..., None] + grain[..., None], 0, 255)
        self.depth = np.full((HEIGHT, WIDTH), WALL_MM / 1000.0)
        x0, y0, x1, y1 = DOOR
        self.rgb[y0:y1, x0:x1] = np.array([70, 80, 90]) * shade[y0:y1, x0:x1, None]
        self.depth[y0:y1, x0:x1] = DOORWAY_MM / 1000.0
        self.noise = rng.normal(0, 1, (HEIGHT, WIDTH))  # static: the sample compresses well

    def photo(self, subject: str, image: int, size: tuple[int, int]) -> np.ndarray:
        grey = cv2.imread(str(self.orl / subject / f"{image}.pgm"), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise SystemExit(f"cannot read ORL photo {self.orl / subject / f'{image}.pgm'}")
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if size[0] < 92
                          else cv2.INTER_CUBIC).astype(np.float32)
        return grey[..., None] * np.array([0.92, 1.0, 1.12], np.float32)  # BGR skin tint

    def print_photo(self, rgb, depth, subject, image, x, y, distance_m, face_width_m,
                    tilt_m=0.0):
        """A flat print with a white border; tilt_m = depth change across its width."""
        w, h = photo_size(distance_m, face_width_m)
        b = max(2, w // 12)
        rgb[y - b:y + h + b, x - b:x + w + b] = 235
        rgb[y:y + h, x:x + w] = np.clip(self.photo(subject, image, (w, h)), 0, 255)
        ramp = np.linspace(-tilt_m / 2, tilt_m / 2, w + 2 * b)
        depth[y - b:y + h + b, x - b:x + w + b] = distance_m + ramp[None, :]
        return face_box(x, y, w, h)

    def person(self, rgb, depth, subject, image, x, y, distance_m, shirt):
        """A real head: soft-masked photo, rounded relief with a nose, shoulders below."""
        w, h = photo_size(distance_m)
        sx0, sx1 = x - w // 3, x + w + w // 3
        sy1 = min(HEIGHT, y + 3 * h)
        rgb[y + int(0.9 * h):sy1, max(0, sx0):sx1] = shirt
        depth[y + int(0.9 * h):sy1, max(0, sx0):sx1] = distance_m + 0.06
        v, u = np.mgrid[0:h, 0:w].astype(np.float64)
        u = (u + 0.5 - w / 2) / (0.45 * w)
        v = (v + 0.5 - 0.54 * h) / (0.5 * h)
        r2 = u ** 2 + v ** 2
        inside = r2 < 1.0
        head = distance_m + 0.08 * (1 - np.sqrt(np.clip(1 - r2, 0, 1)))
        head -= 0.018 * np.exp(-(u ** 2 + (v - 0.05) ** 2) / (2 * 0.15 ** 2))  # nose
        alpha = np.clip((1.0 - r2) * 6.0, 0, 1)[..., None]
        patch = rgb[y:y + h, x:x + w]
        patch[:] = alpha * self.photo(subject, image, (w, h)) + (1 - alpha) * patch
        depth[y:y + h, x:x + w][inside] = head[inside]
        return face_box(x, y, w, h)

    def frame(self, i: int) -> tuple[Frame, list[dict]]:
        rgb, depth = self.rgb.copy(), self.depth.copy()
        faces = []
        step = i // 15  # the pose (ORL photo) changes every second

        def add(box, kind, person, subject, image, distance_m, decoy=""):
            face = {"box": box, "kind": kind, "person": person, "subject": subject,
                    "image": f"{image}.pgm", "distance_m": round(distance_m, 3)}
            if decoy:
                face["decoy"] = decoy
            faces.append(face)

        poster = SCENE_PHOTOS[0]
        add(self.print_photo(rgb, depth, POSTER_SUBJECT, poster, 60, 40, WALL_MM / 1000,
                             0.22), "decoy", "poster", POSTER_SUBJECT, poster,
            WALL_MM / 1000, "poster")
        far_d = 3.6
        image = SCENE_PHOTOS[(step + 1) % 4]
        add(self.person(rgb, depth, STRANGER[1], image, 535, 150, far_d, (60, 60, 130)),
            "decoy", STRANGER[0], STRANGER[1], image, far_d, "too far")
        stranger_d = 2.2
        image = SCENE_PHOTOS[step % 4]
        add(self.person(rgb, depth, STRANGER[1], image, 420 - i // 3, 170, stranger_d,
                        (40, 120, 40)), "real", STRANGER[0], STRANGER[1], image, stranger_d)
        bob_d = 1.5
        image = SCENE_PHOTOS[(step + 2) % 4]
        add(self.person(rgb, depth, PEOPLE["bob"], image, 250 + i, 120, bob_d,
                        (150, 70, 40)), "real", "bob", PEOPLE["bob"], image, bob_d)
        alice_d = 0.8 + 0.1 * np.sin(i / FRAMES * 2 * np.pi)
        image = SCENE_PHOTOS[step % 4]
        sway = int(round(12 * np.sin(i / 10.0)))
        add(self.person(rgb, depth, PEOPLE["alice"], image, 40 + sway, 200, alice_d,
                        (90, 40, 140)), "real", "alice", PEOPLE["alice"], image, alice_d)
        if i >= 20:  # someone holds up a printed photo of alice
            image = SCENE_PHOTOS[1]
            add(self.print_photo(rgb, depth, PEOPLE["alice"], image, 250, 330, 1.2, 0.15,
                                 tilt_m=0.04), "decoy", "alice", PEOPLE["alice"], image,
                1.2, "photo")
        depth_mm = kinect_depth(depth, self.noise)
        stamp = START_TIME + i / FPS
        return Frame(np.clip(rgb, 0, 255).astype(np.uint8), depth_mm, stamp, i), faces


def write_enrol_sample(orl: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    for name, subject in PEOPLE.items():
        (out / name).mkdir(parents=True)
        for k in ENROL_PHOTOS:
            shutil.copyfile(orl / subject / f"{k}.pgm", out / name / f"{k}.pgm")


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orl", type=Path,
                        default=ROOT.parent / "shared" / "datasets" / "att_faces")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    if not (args.orl / "s1" / "1.pgm").is_file():
        raise SystemExit(f"ORL faces not found in {args.orl}")
    scene = Scene(args.orl)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / SAMPLE_NAME
        frames = []
        with FakenectWriter(str(sample)) as writer:
            for i in range(FRAMES):
                frame, faces = scene.frame(i)
                writer.write(frame)
                frames.append({"index": i, "timestamp": frame.timestamp, "faces": faces})
        labels = {
            "description": "ground-truth face boxes (x, y, w, h) per RGB frame, in order",
            "fps": FPS, "focal_px": FOCAL, "face_width_m": FACE_WIDTH_M,
            "people": {**PEOPLE, STRANGER[0]: STRANGER[1], "poster": POSTER_SUBJECT},
            "enrolled": sorted(PEOPLE), "source": "ORL / AT&T Laboratories Cambridge",
            "frames": frames,
        }
        (sample / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
        args.out.mkdir(parents=True, exist_ok=True)
        archive = args.out / "sample.tar.xz"
        with tarfile.open(archive, "w:xz", preset=9 | lzma.PRESET_EXTREME) as tar:
            for path in sorted(sample.iterdir()):
                tar.add(path, f"{SAMPLE_NAME}/{path.name}", filter=_reset)
    write_enrol_sample(args.orl, args.out / "enrol_sample")
    print(f"wrote {archive} ({archive.stat().st_size / 1e6:.2f} MB, {FRAMES} frames) "
          f"and {args.out / 'enrol_sample'}")


if __name__ == "__main__":
    main()
