"""FER2013 figures: class distribution bar chart and a grid of sample faces per class (PNG)."""

from __future__ import annotations

import argparse
import os

import cv2
import numpy as np

from emotion_ros.labels import EMOTIONS
from training.data import Dataset, load_dataset

USAGE_NAMES = {"Training": "train", "PublicTest": "public_test", "PrivateTest": "private_test"}


def plot_distribution(data: Dataset, path: str) -> None:
    """Grouped bar chart of class counts per FER2013 usage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    usages = [u for u in USAGE_NAMES if np.any(data.usage == u)]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=90)
    width = 0.8 / len(usages)
    x = np.arange(len(EMOTIONS))
    for i, usage in enumerate(usages):
        counts = np.bincount(data.labels[data.usage == usage], minlength=len(EMOTIONS))
        bars = ax.bar(x + (i - (len(usages) - 1) / 2) * width, counts, width,
                      label=f"{USAGE_NAMES[usage]} ({counts.sum()})")
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(x, EMOTIONS)
    ax.set_ylabel("faces")
    ax.set_title("FER2013 class distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_samples(data: Dataset, path: str, per_class: int = 8, seed: int = 0) -> None:
    """Grid of `per_class` random faces (one row per class)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.RandomState(seed)
    fig, axes = plt.subplots(len(EMOTIONS), per_class, figsize=(per_class * 0.8, 6.2), dpi=80)
    for row, name in enumerate(EMOTIONS):
        pool = np.flatnonzero(data.labels == row)
        picks = rng.choice(pool, min(per_class, len(pool)), replace=False) if len(pool) else []
        for col in range(per_class):
            ax = axes[row, col]
            ax.axis("off")
            if col < len(picks):
                ax.imshow(data.faces[picks[col]], cmap="gray", vmin=0, vmax=255)
        axes[row, 0].text(-6, 24, name, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=0.14, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    fig.savefig(path)
    plt.close(fig)
    # The grid is grey: store it as an 8-bit grey PNG (a third of the RGBA size).
    cv2.imwrite(path, cv2.imread(path, cv2.IMREAD_GRAYSCALE), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/datasets/fer2013",
                        help="fer2013.csv, a folder holding it, or the image-folder layout")
    parser.add_argument("--out", default="docs/figures", help="folder for the PNGs")
    parser.add_argument("--per-class", type=int, default=8, help="samples per class")
    args = parser.parse_args(argv)
    data = load_dataset(args.data)
    os.makedirs(args.out, exist_ok=True)
    plot_distribution(data, os.path.join(args.out, "fer2013_distribution.png"))
    plot_samples(data.subset(np.flatnonzero(data.usage == "Training")),
                 os.path.join(args.out, "fer2013_samples.png"), args.per_class)
    print(f"wrote {args.out}/fer2013_distribution.png and {args.out}/fer2013_samples.png")


if __name__ == "__main__":
    main()
