"""Face boxes: the one reading of a box as (x, y, w, h), whatever form it comes in."""

from __future__ import annotations

from typing import Callable


def xywh(box, number: Callable = int) -> tuple:
    """(x, y, w, h) of a Detection-like object (x, y, w, h attributes) or of an (x, y, w, h)
    sequence, each passed through `number` (int for pixels, float for tracking)."""
    if hasattr(box, "w"):
        return number(box.x), number(box.y), number(box.w), number(box.h)
    x, y, w, h = box
    return number(x), number(y), number(w), number(h)
