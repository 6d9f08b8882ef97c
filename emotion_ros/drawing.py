"""Annotated image for humans (rviz2, the debug topic): kept faces green, rejected red."""

from __future__ import annotations

import cv2
import numpy as np

from emotion_ros.boxes import xywh

KEPT_COLOUR = (0, 200, 0)      # BGR
REJECTED_COLOUR = (0, 0, 230)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _draw(image: np.ndarray, box, lines, colour) -> None:
    x, y, w, h = xywh(box)
    cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), colour, 2)
    lines = [line for line in lines if line]
    if not lines:
        return
    sizes = [cv2.getTextSize(line, _FONT, 0.5, 1) for line in lines]
    step = max(th + base for (_, th), base in sizes) + 2
    block = step * len(lines)
    top = y - block if y - block >= 0 else min(y + h, image.shape[0] - block)  # above, else below
    width = max(tw for (tw, _), _ in sizes) + 4
    cv2.rectangle(image, (x, top), (x + width, top + block), colour, cv2.FILLED)
    for k, line in enumerate(lines):
        cv2.putText(image, line, (x + 2, top + (k + 1) * step - 4), _FONT, 0.5,
                    (255, 255, 255), 1, cv2.LINE_AA)


def draw_detections(bgr: np.ndarray, kept=(), rejected=()) -> np.ndarray:
    """A copy of `bgr` with face boxes: `kept` (green) and `rejected` (red) are (box, text).

    A box is a Detection or (x, y, w, h); kept text is usually the track id, rejected text
    the depth gate's reason.
    """
    image = bgr.copy()
    for box, text in rejected:
        _draw(image, box, [text], REJECTED_COLOUR)
    for box, text in kept:
        _draw(image, box, [text], KEPT_COLOUR)
    return image


def draw_people(bgr: np.ndarray, people) -> np.ndarray:
    """A copy of `bgr` with green boxes labelled by lines of text: (box, line, line, ...)."""
    image = bgr.copy()
    for box, *lines in people:
        _draw(image, box, lines, KEPT_COLOUR)
    return image
