"""Helpers for tests that run ROS 2 nodes."""

import time


def spin_until(executor, condition, timeout_s: float) -> bool:
    """Spin `executor` until `condition()` is true or `timeout_s` passes; return `condition()`."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return condition()
