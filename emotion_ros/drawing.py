"""Annotated image for humans (rviz2, the debug topic): kept faces green, rejected red."""

from __future__ import annotations

import math

import cv2
import numpy as np

KEPT_COLOUR = (0, 200, 0)      # BGR
REJECTED_COLOUR = (0, 0, 230)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def face_label(track_id: int | None = None, name: str = "", emotion: str = "",
               distance_m: float = math.nan) -> str:
    """Label text such as "#3 alice Happy 1.2m"; empty parts are left out."""
    parts = []
    if track_id is not None:
        parts.append(f"#{track_id}")
    parts += [p for p in (name, emotion) if p]
    if not math.isnan(distance_m):
        parts.append(f"{distance_m:.1f}m")
    return " ".join(parts)


def _box(box) -> tuple[int, int, int, int]:
    if hasattr(box, "w"):
        return int(box.x), int(box.y), int(box.w), int(box.h)
    x, y, w, h = box
    return int(x), int(y), int(w), int(h)


def _draw(image: np.ndarray, box, text: str, colour) -> None:
    x, y, w, h = _box(box)
    cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), colour, 2)
    if not text:
        return
    (tw, th), base = cv2.getTextSize(text, _FONT, 0.5, 1)
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y + h  # above the box, else below
    cv2.rectangle(image, (x, top), (x + tw + 4, top + th + base + 2), colour, cv2.FILLED)
    cv2.putText(image, text, (x + 2, top + th + 1), _FONT, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)


def draw_faces(bgr: np.ndarray, kept=(), rejected=()) -> np.ndarray:
    """A copy of `bgr` with boxes drawn: `kept` and `rejected` are (box, text) pairs.

    A box is a Detection or (x, y, w, h); kept text is usually `face_label(...)`, rejected
    text the depth gate's reason.
    """
    image = bgr.copy()
    for box, text in rejected:
        _draw(image, box, text, REJECTED_COLOUR)
    for box, text in kept:
        _draw(image, box, text, KEPT_COLOUR)
    return image
