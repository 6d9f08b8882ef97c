"""The identity node's logic without ROS: one identifier, per-track evidence, and a rate bound.

`IdentityCore.process(stamp_s, faces)` takes one frame's faces as (track id, identity crop)
and returns one `Decision` per face at once. Each track's crop is identified at most `rate_hz`
times a second (0: every frame). With `asynchronous=True` the identifier runs on a worker
thread: the frame gets the track's current decision immediately, and results feed the track's
evidence when they are ready (only the newest crop of a track waits; older ones are replaced),
so a slow back-end (the descriptor, ~100 ms per face) never holds up the frames. The worker rests
after each identification so that it is busy at most WORKER_DUTY of the time: with many faces
the per-track rate drops rather than the back-end taking a whole core from the graph. Tracks
unseen for `forget_after_s` lose their evidence.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from emotion_ros.identity.evidence import EVIDENCE, Decision, EvidenceConfig, TrackEvidence

# The back-ends and how often each identifies a track (per second; 0 = every frame), and
# whether it runs off the frame path.
BACKENDS = ("lbph", "descriptor")
RATE_HZ = {"lbph": 0.0, "descriptor": 5.0}
ASYNCHRONOUS = {"lbph": False, "descriptor": True}
FORGET_AFTER_S = 2.0
WORKER_DUTY = 0.5


class IdentityCore:
    def __init__(self, identifier, *, rate_hz: float | None = None, asynchronous: bool | None = None,
                 evidence: EvidenceConfig | None = None, forget_after_s: float = FORGET_AFTER_S):
        backend = getattr(identifier, "backend", "lbph")
        self.identifier = identifier
        self.rate_hz = RATE_HZ.get(backend, 0.0) if rate_hz is None else float(rate_hz)
        if self.rate_hz < 0:
            raise ValueError(f"rate_hz must be >= 0, got {rate_hz!r}")
        self.evidence = TrackEvidence(evidence or EVIDENCE.get(backend, EvidenceConfig()))
        self.forget_after_s = float(forget_after_s)
        self._last_run: dict[int, float] = {}
        self._last_seen: dict[int, float] = {}
        self._lock = threading.Lock()
        self._problems: list[str] = []
        self._pending: dict[int, np.ndarray] = {}
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._worker = None
        if ASYNCHRONOUS.get(backend, False) if asynchronous is None else asynchronous:
            self._worker = threading.Thread(target=self._work, name="identity-worker", daemon=True)
            self._worker.start()

    def process(self, stamp_s: float, faces) -> list[Decision]:
        """One Decision per (track_id, crop) of the frame at `stamp_s` seconds."""
        faces = list(faces)
        due = []
        with self._lock:
            for track_id, crop in faces:
                self._last_seen[track_id] = stamp_s
                last = self._last_run.get(track_id)
                if last is None or self.rate_hz == 0 or stamp_s - last >= 1.0 / self.rate_hz or stamp_s < last:
                    self._last_run[track_id] = stamp_s
                    due.append((track_id, crop))
        if self._worker is not None:
            with self._lock:
                self._pending.update(due)
                self._wake.notify()
        else:
            for track_id, crop in due:
                self._identify(track_id, crop)
        self._forget(stamp_s)
        with self._lock:
            return [self.evidence.decision(track_id) for track_id, _ in faces]

    def problems(self) -> list[str]:
        """Errors raised by the identifier since the last call (bad crops), to log."""
        with self._lock:
            problems, self._problems = self._problems, []
        return problems

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Block until the worker has no pending crops (tests, benchmarks)."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout_s)

    def close(self) -> None:
        """Stop the worker thread and the identifier's child process, if any."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5.0)
        close = getattr(self.identifier, "close", None)
        if close is not None:
            close()

    _busy = False

    def _identify(self, track_id: int, crop) -> None:
        try:
            result = self.identifier.predict(crop)
        except (ValueError, RuntimeError) as error:
            with self._lock:
                self._problems.append(f"face crop skipped: {error}")
            return
        with self._lock:
            if track_id in self._last_seen:   # not forgotten meanwhile
                self.evidence.add(track_id, result)

    def _work(self) -> None:
        while True:
            with self._lock:
                self._busy = False
                self._wake.notify_all()
                self._wake.wait_for(lambda: self._pending or self._closed)
                if self._closed:
                    return
                track_id = next(iter(self._pending))
                crop = self._pending.pop(track_id)
                self._busy = True
            start = time.monotonic()
            self._identify(track_id, crop)
            rest = (time.monotonic() - start) * (1.0 - WORKER_DUTY) / WORKER_DUTY
            with self._lock:
                self._wake.wait_for(lambda: self._closed, rest)

    def _forget(self, now: float) -> None:
        gone = [t for t, seen in self._last_seen.items() if now - seen > self.forget_after_s or now < seen - 1.0]
        if not gone:
            return
        with self._lock:
            for track_id in gone:
                self._last_seen.pop(track_id, None)
                self._last_run.pop(track_id, None)
                self._pending.pop(track_id, None)
            self.evidence.forget(gone)
