#!/usr/bin/env python3
"""Identity on a synthetic video with ground truth, through the pure core, for both back-ends.

The sequence (deterministic, 30 FPS, 640x480) is made from full-resolution ORL photos pasted on
coloured, textured backgrounds: shots of 40-70 frames separated by hard cuts, faces that move,
grow and shrink, lighting that ramps from dim to bright, two people in one shot, and the case
that named strangers before: right after a cut, an unenrolled stranger where the enrolled
person's face was. One shot also swaps the person in place without a cut (same background).
ORL s1..s10 are enrolled with photos 1-5 (detected and aligned as `enrol` does); they appear
with photos 6-10; strangers are s31..s40.

Every frame goes through what the graph does: YuNet (320 px), `tracking.SceneCutDetector`,
`identity.align_face`, `tracking.FaceTracker` with face signatures, and `identity.IdentityCore`
(the back-end's rate per track: LBPH every frame, the descriptor 5 times a second; results are
applied at once, i.e. the worker's ~100 ms latency is not modelled). A detection is matched
to the ground-truth face whose pasted photo contains its centre.

Printed per back-end: face-frames; per-frame identity accuracy (enrolled faces given their own
name, strangers `unknown`); frames with a wrong name (an enrolled face given another name, a
stranger given any; goal 0); identity switches (a face's published name changing from one
enrolled name to another within a shot); tracks per appearance; median frames to the first name.

    python scripts/benchmark_identity_video.py [--dataset DIR] [--backend lbph|descriptor|both]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from emotion_ros import tracking  # noqa: E402
from emotion_ros.detection import make_detector  # noqa: E402
from emotion_ros.identity import IdentityCore, LbphIdentifier, align_face  # noqa: E402
from emotion_ros.identity import descriptor as descriptor_backend  # noqa: E402
from emotion_ros.labels import UNKNOWN_PERSON  # noqa: E402
from emotion_ros.tools.enrol import aligned_face, photo_detector, read_photo  # noqa: E402
from evaluate_identity import orl_arguments  # noqa: E402

FPS, WIDTH, HEIGHT = 30, 640, 480
ENROLLED, STRANGERS = range(1, 11), range(31, 41)
STRANGER = "stranger"


@dataclass
class Actor:
    subject: int           # ORL subject
    photo: int             # ORL photo number (1..10)
    start: tuple           # (x, y) of the photo's centre at the shot's first frame
    end: tuple             # ... at its last frame
    scale: tuple           # photo scale at first and last frame (92x112 * scale)
    gain: tuple = (1.0, 1.0)  # brightness factor at first and last frame

    @property
    def name(self) -> str:
        return f"s{self.subject}" if self.subject in ENROLLED else STRANGER


@dataclass
class Shot:
    frames: int
    background: int        # seed of the background
    actors: list
    swap_at: int | None = None        # frame of the shot where actor 0 is replaced in place ...
    swap_to: Actor | None = None      # ... by this one (no cut)


def shots() -> list[Shot]:
    """The sequence's shots (fixed)."""
    centre = (320, 240)
    return [
        Shot(60, 1, [Actor(1, 6, (200, 240), (440, 240), (1.6, 1.6))]),
        # cut: a stranger exactly where s1 was
        Shot(50, 2, [Actor(31, 1, (440, 240), (440, 240), (1.6, 1.6))]),
        Shot(60, 3, [Actor(2, 7, centre, centre, (1.0, 2.4))]),                     # walks towards the camera
        Shot(60, 4, [Actor(3, 8, centre, (300, 230), (1.8, 1.8), (0.45, 1.3))]),    # the light comes up
        # cut: another enrolled person where s3 was
        Shot(50, 5, [Actor(4, 6, (300, 230), (300, 230), (1.8, 1.8))]),
        Shot(70, 6, [Actor(5, 9, (170, 250), (250, 250), (1.5, 1.5)),
                     Actor(32, 3, (470, 230), (400, 230), (1.5, 1.5))]),           # a stranger beside s5
        # cut: they trade places
        Shot(60, 7, [Actor(32, 4, (250, 250), (250, 250), (1.5, 1.5)),
                     Actor(5, 10, (400, 230), (400, 230), (1.5, 1.5))]),
        Shot(70, 8, [Actor(6, 7, centre, centre, (1.7, 1.7))], swap_at=35,
             swap_to=Actor(33, 2, centre, centre, (1.7, 1.7))),                   # swapped in place, no cut
        Shot(60, 9, [Actor(7, 6, (150, 200), (500, 280), (1.4, 2.0), (1.2, 0.7))]),
        Shot(50, 10, [Actor(34, 5, (500, 280), (500, 280), (2.0, 2.0))]),           # cut: stranger where s7 was
        Shot(60, 11, [Actor(8, 8, centre, centre, (2.2, 1.2))]),                    # walks away
        Shot(60, 12, [Actor(9, 9, (260, 240), (380, 240), (1.6, 1.6)),
                      Actor(10, 6, (480, 200), (500, 220), (1.2, 1.2))]),
    ]


def background(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(30, 225, 3)
    ramp = np.linspace(0.6, 1.2, WIDTH)[None, :, None]
    image = np.clip(base[None, None, :] * ramp * np.ones((HEIGHT, 1, 1)), 0, 255).astype(np.uint8)
    for _ in range(12):
        x, y = (int(v) for v in rng.integers(0, (WIDTH, HEIGHT)))
        w, h = (int(v) for v in rng.integers(20, 200, 2))
        cv2.rectangle(image, (x, y), (x + w, y + h), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    return cv2.GaussianBlur(image, (5, 5), 0)


def paste(frame: np.ndarray, photo: np.ndarray, centre, scale: float, gain: float):
    """Paste the grey photo scaled by `scale` at `centre`; return its box (x, y, w, h)."""
    resized = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    lit = np.clip(resized.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    h, w = lit.shape
    x0, y0 = int(round(centre[0] - w / 2)), int(round(centre[1] - h / 2))
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(WIDTH, x0 + w), min(HEIGHT, y0 + h)
    frame[ya:yb, xa:xb] = cv2.cvtColor(lit[ya - y0:yb - y0, xa - x0:xb - x0], cv2.COLOR_GRAY2BGR)
    return (xa, ya, xb - xa, yb - ya)


def frames(dataset: Path):
    """Yield (frame, shot index, [(box, name, appearance key)]) for the whole sequence."""
    photos = {}

    def photo(actor):
        key = (actor.subject, actor.photo)
        if key not in photos:
            photos[key] = cv2.imread(str(dataset / f"s{actor.subject}" / f"{actor.photo}.pgm"), cv2.IMREAD_GRAYSCALE)
        return photos[key]

    for index, shot in enumerate(shots()):
        scene = background(shot.background)
        for f in range(shot.frames):
            t = f / max(1, shot.frames - 1)
            frame = scene.copy()
            truth = []
            for k, actor in enumerate(shot.actors):
                swapped = k == 0 and shot.swap_at is not None and f >= shot.swap_at
                if swapped:
                    actor = shot.swap_to
                centre = tuple(a + (b - a) * t for a, b in zip(actor.start, actor.end))
                scale = actor.scale[0] + (actor.scale[1] - actor.scale[0]) * t
                gain = actor.gain[0] + (actor.gain[1] - actor.gain[0]) * t
                box = paste(frame, photo(actor), centre, scale, gain)
                truth.append((box, actor.name, (index, k, swapped)))
            yield frame, index, truth


def enrol_models(dataset: Path, selected: str):
    detector = photo_detector()
    crops, labels, names = [], [], []
    for label, subject in enumerate(ENROLLED):
        names.append(f"s{subject}")
        for i in range(1, 6):
            crops.append(aligned_face(read_photo(dataset / f"s{subject}" / f"{i}.pgm"), detector))
            labels.append(label)
    models = {}
    if selected in ("lbph", "both"):
        models["lbph"] = LbphIdentifier()
    if selected in ("descriptor", "both"):
        if descriptor_backend.available():
            models["descriptor"] = descriptor_backend.DescriptorIdentifier()
        else:
            print(f"descriptor back-end skipped: {descriptor_backend.INSTALL_HINT}")
    for model in models.values():
        model.train(crops, labels, names)
    return models


def detect_all(dataset: Path):
    """Per frame: [(track id, identity crop, truth name or None, appearance key)] and shot index."""
    detector = make_detector("yunet")
    cuts, tracker = tracking.SceneCutDetector(), tracking.FaceTracker()
    out = []
    for frame, shot, truth in frames(dataset):
        found = detector.detect(frame)
        crops = [align_face(frame, d) for d in found]
        ids = tracker.update([(d.x, d.y, d.w, d.h) for d in found], [tracking.face_signature(c) for c in crops],
                             cut=cuts.update(frame))
        faces = []
        for track_id, d, crop in zip(ids, found, crops):
            cx, cy = d.x + d.w / 2, d.y + d.h / 2
            match = next(((name, key) for (x, y, w, h), name, key in truth if x <= cx < x + w and y <= cy < y + h),
                         (None, None))
            faces.append((track_id, crop, *match))
        out.append((shot, faces, len(truth)))
    return out, tracker


def score(name: str, identifier, detections) -> dict:
    core = IdentityCore(identifier, asynchronous=False)
    face_frames = correct = wrong = switches = missed = 0
    wrong_stranger = wrong_enrolled = 0
    last_named, tracks, first_name = {}, {}, {}
    frame_no = 0
    start = time.perf_counter()
    for frame_no, (shot, faces, truth_count) in enumerate(detections):
        decisions = core.process(frame_no / FPS, [(t, c) for t, c, _, _ in faces])
        seen = set()
        for (track_id, _, truth, key), decision in zip(faces, decisions):
            if truth is None:
                continue
            seen.add(key)
            face_frames += 1
            tracks.setdefault(key, set()).add(track_id)
            published = decision.name
            if truth == STRANGER:
                correct += published == UNKNOWN_PERSON
                wrong_stranger += published != UNKNOWN_PERSON
            else:
                correct += published == truth
                wrong_enrolled += published not in (truth, UNKNOWN_PERSON)
                if published == truth:
                    first_name.setdefault(key, frame_no)
            if published != UNKNOWN_PERSON:
                if key in last_named and last_named[key] != published:
                    switches += 1
                last_named[key] = published
        missed += truth_count - len(seen)
    elapsed = time.perf_counter() - start
    core.close()
    wrong = wrong_stranger + wrong_enrolled
    starts = {}
    for frame_no, (shot, faces, _) in enumerate(detections):
        for _, _, truth, key in faces:
            if truth is not None:
                starts.setdefault(key, frame_no)
    delays = [first_name[k] - starts[k] for k in first_name]
    enrolled_keys = {k for _, faces, _ in detections for _, _, t, k in faces if t not in (None, STRANGER)}
    return dict(name=name, face_frames=face_frames, missed=missed, accuracy=correct / max(1, face_frames),
                wrong=wrong, wrong_stranger=wrong_stranger, wrong_enrolled=wrong_enrolled, switches=switches,
                tracks=np.mean([len(v) for v in tracks.values()]), appearances=len(tracks),
                named=len(first_name), enrolled=len(enrolled_keys),
                delay=float(np.median(delays)) if delays else float("nan"), seconds=elapsed)


def main(argv=None) -> int:
    args = orl_arguments(__doc__.split("\n\n")[0], argv)
    if args is None:
        return 1
    models = enrol_models(args.dataset, args.backend)
    detections, tracker = detect_all(args.dataset)
    total = sum(truth for _, _, truth in detections)
    print(f"{len(detections)} frames ({len(shots())} shots, {tracker.cuts} cuts detected, {len(shots()) - 1} made; "
          f"{tracker.jumps} appearance jumps), {total} ground-truth face-frames")
    results = [score(name, model, detections) for name, model in models.items()]
    print(f"{'back-end':<11} {'face-frames':>11} {'accuracy':>8} {'wrong name':>10} {'(stranger/enrolled)':>19} "
          f"{'id switches':>11} {'tracks/appearance':>17} {'named':>7} {'frames to name':>14} {'core s':>6}")
    for r in results:
        print(f"{r['name']:<11} {r['face_frames']:>11} {r['accuracy']:>8.1%} {r['wrong']:>10} "
              f"{r['wrong_stranger']:>9}/{r['wrong_enrolled']:<9} {r['switches']:>11} {r['tracks']:>17.2f} "
              f"{r['named']:>3}/{r['enrolled']:<3} {r['delay']:>14.0f} {r['seconds']:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
