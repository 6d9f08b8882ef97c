#!/usr/bin/env python3
"""Measure the LBPH identifier on the ORL faces and recommend its rejection threshold.

Protocol (deterministic): subjects s1..s30 are enrolled with photos 1-5 and tested on
photos 6-10; subjects s31..s40 are never enrolled and all their photos are strangers.
For each threshold the table gives the share of enrolled test photos identified with the
correct name, identified with a wrong name, and rejected as unknown (false rejection), and
the share of stranger photos rejected. The recommended threshold is the one with the most
correct identifications among those rejecting at least 90 % of strangers. A cross-check
split (s11..s40 enrolled with photos 6-10, s1..s10 strangers) shows how well that
threshold carries over to other people and photos. The photos are used as they are (no
detection); the script prints their size (the copy in /work/shared is 23x28, a 4x
downscale of the original 92x112).

    python scripts/evaluate_identity.py [--dataset DIR] [--grid 4] [--radius 1] [--compare]
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion_ros.identity import CROP_SIZE, DEFAULT_THRESHOLD, GRID, LbphIdentifier  # noqa: E402

DATASET = Path("/work/shared/datasets/att_faces")
GOAL_CORRECT, GOAL_REJECTED = 0.95, 0.90


def load_orl(root: Path) -> dict[int, list[np.ndarray]]:
    """{subject number: its 10 photos in file order 1..10}."""
    faces = {}
    for subject in range(1, 41):
        photos = []
        for i in range(1, 11):
            path = root / f"s{subject}" / f"{i}.pgm"
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise FileNotFoundError(f"cannot read ORL photo {path}")
            photos.append(image)
        faces[subject] = photos
    return faces


def split_distances(faces, enrolled, enrol_photos, strangers, **options):
    """Train on the enrolled photos; return (correct nearest name, distance) per test photo
    and the distances of the stranger photos."""
    test_photos = [i for i in range(10) if i not in enrol_photos]
    crops, labels = [], []
    for label, subject in enumerate(enrolled):
        for i in enrol_photos:
            crops.append(faces[subject][i])
            labels.append(label)
    ident = LbphIdentifier(**options)
    ident.train(crops, labels, [f"s{s}" for s in enrolled])
    correct, dist_known = [], []
    for label, subject in enumerate(enrolled):
        for i in test_photos:
            nearest, dist = ident.distance(faces[subject][i])
            correct.append(nearest == label)
            dist_known.append(dist)
    dist_strangers = [ident.distance(photo)[1] for s in strangers for photo in faces[s]]
    return np.array(correct), np.array(dist_known), np.array(dist_strangers)


def rates(correct, dist_known, dist_strangers, threshold):
    """(correct id, wrong name, false rejection, strangers rejected) at `threshold`."""
    accepted = dist_known <= threshold
    return (np.mean(correct & accepted), np.mean(~correct & accepted),
            np.mean(~accepted), np.mean(dist_strangers > threshold))


def recommend(correct, dist_known, dist_strangers) -> float:
    """Most correct identifications with >= 90 % strangers rejected (ties: lower threshold);
    if no threshold rejects 90 %, the one closest to both goals."""
    candidates = np.round(np.arange(0.1, np.ceil(dist_known.max()) + 0.1, 0.1), 1)
    table = [(t, *rates(correct, dist_known, dist_strangers, t)) for t in candidates]
    feasible = [row for row in table if row[4] >= GOAL_REJECTED]
    if feasible:
        return max(feasible, key=lambda r: (r[1], -r[0]))[0]
    return max(table, key=lambda r: (min(r[1] / GOAL_CORRECT, r[4] / GOAL_REJECTED), -r[0]))[0]


def print_table(correct, dist_known, dist_strangers, thresholds, marked):
    print(f"{'threshold':>10} {'correct id':>11} {'wrong name':>11} {'false rej':>10} {'strangers rej':>14}")
    print(f"{'none':>10} {np.mean(correct):>10.1%} {np.mean(~correct):>11.1%} {0:>10.1%} {0:>14.1%}")
    for t in thresholds:
        c, w, fr, sr = rates(correct, dist_known, dist_strangers, t)
        mark = "  <- recommended" if t == marked else ""
        print(f"{t:>10.1f} {c:>10.1%} {w:>11.1%} {fr:>10.1%} {sr:>14.1%}{mark}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET, help="ORL folder with s1..s40")
    parser.add_argument("--grid", type=int, default=GRID, help="LBPH grid cells per side")
    parser.add_argument("--radius", type=int, default=1)
    parser.add_argument("--neighbors", type=int, default=8)
    parser.add_argument("--compare", action="store_true",
                        help="also compare a few LBPH parameter choices (slower)")
    args = parser.parse_args(argv)

    if not (args.dataset / "s1" / "1.pgm").is_file():
        print(f"ORL dataset not found at {args.dataset}; skipping identity evaluation.")
        return 0
    faces = load_orl(args.dataset)
    options = dict(radius=args.radius, neighbors=args.neighbors, grid_x=args.grid, grid_y=args.grid)
    main_split = dict(enrolled=list(range(1, 31)), enrol_photos=[0, 1, 2, 3, 4], strangers=list(range(31, 41)))
    cross_split = dict(enrolled=list(range(11, 41)), enrol_photos=[5, 6, 7, 8, 9], strangers=list(range(1, 11)))

    height, width = faces[1][0].shape
    print(f"LBPH radius={args.radius} neighbors={args.neighbors} grid={args.grid}x{args.grid}; "
          f"ORL photos {width}x{height} normalised to {CROP_SIZE}x{CROP_SIZE}, histogram-equalised")
    print("Enrolled s1..s30 (photos 1-5), tested on photos 6-10 (150); strangers s31..s40 (100 photos)\n")
    result = split_distances(faces, **main_split, **options)
    chosen = recommend(*result)
    low = np.floor(np.percentile(np.concatenate(result[1:]), 2))
    high = np.ceil(np.percentile(np.concatenate(result[1:]), 98))
    step = max(0.5, np.round((high - low) / 12 * 2) / 2)
    thresholds = sorted(set(np.round(np.arange(low, high + step, step), 1)) | {chosen})
    print_table(*result, thresholds, chosen)

    c, _, _, sr = rates(*result, chosen)
    met = c >= GOAL_CORRECT and sr >= GOAL_REJECTED
    print(f"\nRecommended threshold: {chosen:.1f} -> {c:.1%} correct, {sr:.1%} strangers rejected "
          f"(goal >= {GOAL_CORRECT:.0%} and >= {GOAL_REJECTED:.0%}: {'met' if met else 'NOT met'})")
    if args.grid == GRID and args.radius == 1 and args.neighbors == 8 and chosen != DEFAULT_THRESHOLD:
        print(f"Note: emotion_ros.identity.DEFAULT_THRESHOLD is {DEFAULT_THRESHOLD}")

    cross = split_distances(faces, **cross_split, **options)
    c, w, fr, sr = rates(*cross, chosen)
    print(f"Cross-check (s11..s40 enrolled with photos 6-10, strangers s1..s10) at {chosen:.1f}: "
          f"{c:.1%} correct, {w:.1%} wrong name, {fr:.1%} false rejection, {sr:.1%} strangers rejected")

    if args.compare:
        print("\nParameter comparison (main split; best threshold per row):")
        print(f"{'radius':>6} {'neighbors':>9} {'grid':>5} {'closed-set':>11} {'threshold':>10} "
              f"{'correct id':>11} {'strangers rej':>14}")
        for radius, neighbors, grid in [(1, 8, 3), (1, 8, 4), (1, 8, 6), (1, 8, 8), (2, 8, 4), (2, 16, 4)]:
            res = split_distances(faces, **main_split, radius=radius, neighbors=neighbors, grid_x=grid, grid_y=grid)
            t = recommend(*res)
            c, _, _, sr = rates(*res, t)
            print(f"{radius:>6} {neighbors:>9} {grid:>5} {np.mean(res[0]):>10.1%} {t:>10.1f} {c:>10.1%} {sr:>14.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
