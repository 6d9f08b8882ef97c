#!/usr/bin/env python3
"""Measure the LBPH identifier on the ORL faces and recommend its rejection settings.

Protocol (deterministic): subjects s1..s30 are enrolled with photos 1-5 and tested on
photos 6-10; subjects s31..s40 are never enrolled and all their photos are strangers.
A face is named when its distance to the nearest enrolled photo is <= threshold and its
ratio (that distance / the nearest photo of the second-nearest person) is <= max_ratio
(LbphIdentifier.predict). For each setting the tables give the share of enrolled test photos
identified with the correct name, identified with a wrong name, and rejected as unknown
(false rejection), and the share of stranger photos rejected. The recommended setting is the
one with the most correct identifications among those rejecting at least 90 % of strangers;
it is given for the plain threshold rule (max_ratio 1.0) and for threshold + ratio test
(max_ratio 0.70..1.00 in steps of 0.01). A cross-check split (s11..s40 enrolled with photos
6-10, s1..s10 strangers), never used for the choice, shows how well it carries over to other
people and photos. The time of one predict() with 40 enrolled photos is printed last. The
photos are used as they are (no detection); the script prints their size (the copy in
/work/shared is 23x28, a 4x downscale of the original 92x112).

    python scripts/evaluate_identity.py [--dataset DIR] [--grid 4] [--radius 1] [--compare]
"""

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion_ros.identity import (  # noqa: E402
    CROP_SIZE, DEFAULT_RATIO, DEFAULT_THRESHOLD, GRID, LbphIdentifier)

DATASET = Path("/work/shared/datasets/att_faces")
GOAL_CORRECT, GOAL_REJECTED = 0.95, 0.90
RATIOS = tuple(np.round(np.arange(0.70, 1.001, 0.01), 2))  # max_ratio grid searched


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
    """Train on the enrolled photos; return (true label per test photo, the per-person distances
    of each test photo, those of each stranger photo): LbphIdentifier.person_distances rows."""
    test_photos = [i for i in range(10) if i not in enrol_photos]
    crops, labels = [], []
    for label, subject in enumerate(enrolled):
        for i in enrol_photos:
            crops.append(faces[subject][i])
            labels.append(label)
    ident = LbphIdentifier(**options)
    ident.train(crops, labels, [f"s{s}" for s in enrolled])
    truth = np.array([label for label in range(len(enrolled)) for _ in test_photos])
    known = np.array([ident.person_distances(faces[subject][i]) for subject in enrolled for i in test_photos])
    others = np.array([ident.person_distances(photo) for s in strangers for photo in faces[s]])
    return truth, known, others


def decisions(truth, known, others):
    """(nearest person correct, its distance, its ratio) for the test photos and
    (distance, ratio) for the strangers: what LbphIdentifier.predict thresholds."""
    k = np.array([LbphIdentifier.best_and_ratio(row) for row in known])
    o = np.array([LbphIdentifier.best_and_ratio(row) for row in others])
    return k[:, 0].astype(int) == truth, k[:, 1], k[:, 2], o[:, 1], o[:, 2]


def rates(dec, threshold, max_ratio=1.0):
    """(correct id, wrong name, false rejection, strangers rejected) at `threshold`, `max_ratio`."""
    correct, dist_known, ratio_known, dist_strangers, ratio_strangers = dec
    accepted = (dist_known <= threshold) & (ratio_known <= max_ratio)
    return (np.mean(correct & accepted), np.mean(~correct & accepted), np.mean(~accepted),
            np.mean((dist_strangers > threshold) | (ratio_strangers > max_ratio)))


def candidate_thresholds(dec):
    return np.round(np.arange(0.1, np.ceil(dec[1].max()) + 0.1, 0.1), 1)


def recommend(dec, ratios=(1.0,)) -> tuple[float, float]:
    """(threshold, max_ratio) with the most correct identifications among those rejecting
    >= 90 % of strangers (ties: more strangers rejected, then the larger max_ratio, then the
    lower threshold); if none rejects 90 %, the one closest to both goals."""
    table = [(t, r, *rates(dec, t, r)) for r in ratios for t in candidate_thresholds(dec)]
    feasible = [row for row in table if row[5] >= GOAL_REJECTED]
    if feasible:
        best = max(feasible, key=lambda row: (round(row[2], 6), round(row[5], 6), row[1], -row[0]))
    else:
        best = max(table, key=lambda row: (min(row[2] / GOAL_CORRECT, row[5] / GOAL_REJECTED), row[1], -row[0]))
    return best[0], best[1]


def print_table(dec, thresholds, max_ratio, marked):
    print(f"{'threshold':>10} {'max_ratio':>9} {'correct id':>11} {'wrong name':>11} {'false rej':>10} "
          f"{'strangers rej':>14}")
    print(f"{'none':>10} {'none':>9} {np.mean(dec[0]):>10.1%} {np.mean(~dec[0]):>11.1%} {0:>10.1%} {0:>14.1%}")
    for t in thresholds:
        c, w, fr, sr = rates(dec, t, max_ratio)
        mark = "  <- recommended" if (t, max_ratio) == marked else ""
        print(f"{t:>10.1f} {max_ratio:>9.2f} {c:>10.1%} {w:>11.1%} {fr:>10.1%} {sr:>14.1%}{mark}")


def threshold_rows(dec, chosen):
    low = np.floor(np.percentile(np.concatenate([dec[1], dec[3]]), 2))
    high = np.ceil(np.percentile(np.concatenate([dec[1], dec[3]]), 98))
    step = max(0.5, np.round((high - low) / 12 * 2) / 2)
    return sorted(set(np.round(np.arange(low, high + step, step), 1)) | {chosen})


def time_predict(faces, options, people=8, photos=5, repeats=300) -> tuple[float, float]:
    """Median milliseconds of predict() and of distance() with people x photos enrolled."""
    ident = LbphIdentifier(**options)
    ident.train([faces[s][i] for s in range(1, people + 1) for i in range(photos)],
                [p for p in range(people) for _ in range(photos)], [f"s{s}" for s in range(1, people + 1)])
    probe = faces[people + 1][0]
    times = {}
    for name, call in (("predict", ident.predict), ("distance", ident.distance)):
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            call(probe)
            samples.append(time.perf_counter() - start)
        times[name] = 1e3 * float(np.median(samples))
    return times["predict"], times["distance"]


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
    print("Enrolled s1..s30 (photos 1-5), tested on photos 6-10 (150); strangers s31..s40 (100 photos)")
    dec = decisions(*split_distances(faces, **main_split, **options))
    cross = decisions(*split_distances(faces, **cross_split, **options))

    plain = recommend(dec)
    print("\nPlain threshold rule (max_ratio 1.0, the rule before the ratio test):")
    print_table(dec, threshold_rows(dec, plain[0]), 1.0, plain)

    chosen = recommend(dec, RATIOS)
    print("\nRatio test: best threshold per max_ratio (main split):")
    print(f"{'max_ratio':>9} {'threshold':>10} {'correct id':>11} {'wrong name':>11} {'strangers rej':>14}")
    for r in sorted({0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 1.0} | {chosen[1]}):
        t = recommend(dec, (r,))[0]
        c, w, _, sr = rates(dec, t, r)
        print(f"{r:>9.2f} {t:>10.1f} {c:>10.1%} {w:>11.1%} {sr:>14.1%}")
    print(f"\nAt max_ratio {chosen[1]:.2f}:")
    print_table(dec, threshold_rows(dec, chosen[0]), chosen[1], chosen)

    for label, (t, r) in (("plain threshold", plain), ("threshold + ratio test", chosen)):
        c, _, _, sr = rates(dec, t, r)
        met = c >= GOAL_CORRECT and sr >= GOAL_REJECTED
        print(f"\nRecommended {label}: threshold {t:.1f}, max_ratio {r:.2f} -> {c:.1%} correct, "
              f"{sr:.1%} strangers rejected (goal >= {GOAL_CORRECT:.0%} and >= {GOAL_REJECTED:.0%}: "
              f"{'met' if met else 'NOT met'})")
        c, w, fr, sr = rates(cross, t, r)
        print(f"  cross-check (s11..s40 enrolled with photos 6-10, strangers s1..s10; not used for the choice): "
              f"{c:.1%} correct, {w:.1%} wrong name, {fr:.1%} false rejection, {sr:.1%} strangers rejected")
    if args.grid == GRID and args.radius == 1 and args.neighbors == 8 and chosen != (DEFAULT_THRESHOLD, DEFAULT_RATIO):
        print(f"Note: emotion_ros.identity has DEFAULT_THRESHOLD {DEFAULT_THRESHOLD}, DEFAULT_RATIO {DEFAULT_RATIO}")

    predict_ms, distance_ms = time_predict(faces, options)
    print(f"\npredict() {predict_ms:.2f} ms per face (median, 8 people x 5 photos = 40 enrolled; "
          f"distance() alone {distance_ms:.2f} ms)")

    if args.compare:
        print("\nParameter comparison (main split; best setting per row, plain threshold and with the ratio test):")
        print(f"{'radius':>6} {'neighbors':>9} {'grid':>5} {'closed-set':>11} {'threshold':>10} "
              f"{'correct id':>11} {'strangers rej':>14} {'+ratio: thr':>12} {'max_ratio':>9} "
              f"{'correct id':>11} {'strangers rej':>14}")
        for radius, neighbors, grid in [(1, 8, 3), (1, 8, 4), (1, 8, 6), (1, 8, 8), (2, 8, 4), (2, 16, 4)]:
            res = decisions(*split_distances(faces, **main_split, radius=radius, neighbors=neighbors,
                                             grid_x=grid, grid_y=grid))
            t, _ = recommend(res)
            c, _, _, sr = rates(res, t)
            t2, r2 = recommend(res, RATIOS)
            c2, _, _, sr2 = rates(res, t2, r2)
            print(f"{radius:>6} {neighbors:>9} {grid:>5} {np.mean(res[0]):>10.1%} {t:>10.1f} {c:>10.1%} "
                  f"{sr:>14.1%} {t2:>12.1f} {r2:>9.2f} {c2:>10.1%} {sr2:>14.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
