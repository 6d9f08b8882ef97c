"""Helpers for tests that run ROS 2 nodes."""

import time


def spin_until(executor, condition, timeout_s: float) -> bool:
    """Spin `executor` until `condition()` is true or `timeout_s` passes; return `condition()`."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return condition()


class Recorder:
    """Stands in for a node's logger and publisher: keeps what they were given."""

    def __init__(self):
        self.infos, self.errors, self.warnings, self.published = [], [], [], []

    def get_logger(self):
        return self

    def error(self, message):
        self.errors.append(message)

    def warning(self, message):
        self.warnings.append(message)

    def info(self, message):
        self.infos.append(message)

    def publish(self, msg):
        self.published.append(msg)

    def get_subscription_count(self):
        return 0
