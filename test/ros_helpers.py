"""Helpers for tests that run ROS 2 nodes."""

import sys
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
        self._logged_once = set()

    def get_logger(self):
        return self

    def _keep(self, messages, message, once):
        """Like rclpy's logger: with once=True, each call site logs only its first message."""
        caller = sys._getframe(2)
        site = (caller.f_code.co_filename, caller.f_lineno)
        if once and site in self._logged_once:
            return
        if once:
            self._logged_once.add(site)
        messages.append(message)

    def error(self, message, once=False):
        self._keep(self.errors, message, once)

    def warning(self, message, once=False):
        self._keep(self.warnings, message, once)

    def info(self, message, once=False):
        self._keep(self.infos, message, once)

    def publish(self, msg):
        self.published.append(msg)

    def get_subscription_count(self):
        return 0
