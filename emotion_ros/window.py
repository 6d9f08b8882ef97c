"""Confirmation windows: an emotion counts only once it dominates the recent frames.

`ConfirmationWindow` holds the last `length` raw emotions of one person. A class is
confirmed only when the window is full and the class holds strictly more than
`min_share` of it (e.g. 13 of 20 with 0.6; exactly 12 of 20 is not enough). Otherwise the
reported emotion is `NEUTRAL` with `confirmed=False`. When `min_share < 0.5` two classes
can both exceed it; such a tie is reported as `NEUTRAL`, unconfirmed.

`WindowBank` keeps one window per key (an enrolled name, or e.g. ``track:<id>`` for an
unknown face) and forgets a key not seen for more than `forget_after_s` seconds.
"""

import operator
from collections import Counter, deque
from dataclasses import dataclass

from emotion_ros.labels import EMOTIONS, NEUTRAL


@dataclass(frozen=True)
class Confirmation:
    emotion: int        # confirmed class, NEUTRAL when nothing dominates
    share: float        # share of the window held by `emotion`
    confirmed: bool     # True when a class held more than `min_share` of a full window
    fill: int           # frames in the window


def _check_window_args(length: int, min_share: float) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"window length must be an integer >= 1, got {length!r}")
    if not 0.0 <= min_share < 1.0:
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")


class ConfirmationWindow:
    """The last `length` raw emotions of one person and the emotion they confirm."""

    def __init__(self, length: int, min_share: float):
        _check_window_args(length, min_share)
        self.length = length
        self.min_share = float(min_share)
        self._frames: deque[int] = deque(maxlen=length)
        self._counts: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, emotion: int) -> Confirmation:
        """Add one raw emotion (index into `EMOTIONS`) and return the current verdict.

        `share` is the reported emotion's count divided by the current fill, so for the
        Neutral fallback it is Neutral's own share of the frames seen so far.
        """
        try:
            index = operator.index(emotion)
        except TypeError:
            index = -1
        if not 0 <= index < len(EMOTIONS):
            raise ValueError(f"emotion must be an integer in 0..{len(EMOTIONS) - 1}, got {emotion!r}")
        emotion = index
        if len(self._frames) == self.length:
            self._counts[self._frames[0]] -= 1
        self._frames.append(emotion)
        self._counts[emotion] += 1

        fill = len(self._frames)
        if fill == self.length:
            dominant = [c for c, n in self._counts.items() if n / fill > self.min_share]
            if len(dominant) == 1:
                return Confirmation(dominant[0], self._counts[dominant[0]] / fill, True, fill)
        return Confirmation(NEUTRAL, self._counts[NEUTRAL] / fill, False, fill)


class WindowBank:
    """One `ConfirmationWindow` per key, forgotten after `forget_after_s` unseen seconds."""

    def __init__(self, length: int, min_share: float, forget_after_s: float):
        _check_window_args(length, min_share)
        if not forget_after_s > 0:
            raise ValueError(f"forget_after_s must be > 0, got {forget_after_s!r}")
        self.length = length
        self.min_share = float(min_share)
        self.forget_after_s = float(forget_after_s)
        self._windows: dict[str, ConfirmationWindow] = {}
        self._last_seen: dict[str, float] = {}

    def set_min_share(self, min_share: float) -> None:
        """Change the confirmation share of every window, current and future."""
        _check_window_args(self.length, min_share)
        self.min_share = float(min_share)
        for window in self._windows.values():
            window.min_share = self.min_share

    def update(self, key: str, emotion: int, now: float) -> Confirmation:
        """Push `emotion` into `key`'s window (a fresh one if `key` was forgotten)."""
        last = self._last_seen.get(key)
        if last is None or now - last > self.forget_after_s:
            self._windows[key] = ConfirmationWindow(self.length, self.min_share)
        self._last_seen[key] = now
        return self._windows[key].push(emotion)

    def prune(self, now: float) -> list[str]:
        """Drop the windows of keys not seen for more than `forget_after_s`; return those keys."""
        gone = [k for k, t in self._last_seen.items() if now - t > self.forget_after_s]
        for key in gone:
            del self._windows[key]
            del self._last_seen[key]
        return gone

