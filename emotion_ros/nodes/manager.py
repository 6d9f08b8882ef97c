"""Lifecycle manager: brings the graph up in order, through the nodes' lifecycle services.

1. wait until every node answers a get_state request (its process has started and its
   lifecycle services are matched both ways);
2. configure every node (models load, parameters are checked); stop at the first failure;
3. activate every node but the driver, wait until the camera topics have their subscribers
   and each topic of `graph.CHAIN_TOPICS` a publisher and a subscriber;
4. activate the driver: the first camera frame then travels the whole graph.

Used by `python -m emotion_ros.run` (both modes) and, as the `lifecycle_manager` executable,
by the launch file, which shuts the launch down when it exits non-zero.
"""

from __future__ import annotations

import sys
import time

import rclpy
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

from emotion_ros import graph

START_TIMEOUT_S = 60.0      # node processes import OpenCV and ONNX Runtime before their services appear (busy 2-core CI: >30 s seen)
TRANSITION_TIMEOUT_S = 60.0  # configure loads and warms up models: slow on a busy machine
CONNECT_TIMEOUT_S = 10.0
ANSWER_WAIT_S = 1.0  # a get_state request unanswered this long is sent again
SETTLE_S = 1.5  # node processes match each other's endpoints up to ~1 s after this node sees them all (measured)


class GraphManager:
    """`bring_up()` -> "" or the reason the graph could not start. `spin(condition, timeout_s)`
    spins the executor holding `node` until `condition()` or the timeout; returns `condition()`."""

    def __init__(self, node, names, spin, extra_topics=()):
        self.node, self.names, self.spin = node, list(names), spin
        self.topics = graph.CHAIN_TOPICS + tuple(extra_topics)
        self.clients = {name: node.create_client(ChangeState, f"{name}/change_state") for name in self.names}
        self.state_clients = {name: node.create_client(GetState, f"{name}/get_state") for name in self.names}

    def bring_up(self) -> str:
        missing = self.wait_for_answers(START_TIMEOUT_S)
        if missing:
            return f"node(s) {', '.join(missing)} did not start within {START_TIMEOUT_S:.0f} s"
        failed = self.transition(self.names, Transition.TRANSITION_CONFIGURE, "configure")
        if failed:
            return f"{', '.join(failed)} could not be configured (the node's log says why)"
        followers = [name for name in self.names if name != "driver"]
        failed = self.transition(followers, Transition.TRANSITION_ACTIVATE, "activate")
        if failed:
            return f"{', '.join(failed)} could not be activated"
        if not self.spin(self.connected, CONNECT_TIMEOUT_S):
            self.node.get_logger().warning(f"the graph is not fully connected after {CONNECT_TIMEOUT_S:.0f} s; "
                                           "starting the driver anyway")
        self.spin(lambda: False, SETTLE_S)
        if "driver" in self.names and self.transition(["driver"], Transition.TRANSITION_ACTIVATE, "activate"):
            return "the driver could not be activated"
        return ""

    def transition(self, names, transition_id: int, label: str) -> list[str]:
        """Request a transition of `names` at once; return the names that did not make it."""
        futures = {name: self.clients[name].call_async(ChangeState.Request(transition=Transition(id=transition_id)))
                   for name in names}
        self.spin(lambda: all(f.done() for f in futures.values()), TRANSITION_TIMEOUT_S)
        failed = [name for name, f in futures.items() if not (f.done() and f.result() and f.result().success)]
        for name in failed:
            self.node.get_logger().error(f"{name}: {label} failed")
        return failed

    def connected(self) -> bool:
        return (all(self.node.count_subscribers(t) for t in graph.CAMERA_TOPICS)
                and all(self.node.count_publishers(t) and self.node.count_subscribers(t) for t in self.topics))

    def wait_for_answers(self, timeout_s: float) -> list[str]:
        """Ask every node its state until each has answered, so that both directions of its
        lifecycle services are matched (a service can take requests before its replies reach
        us); return the names that did not answer in time."""
        answered, deadline = set(), time.monotonic() + timeout_s
        while len(answered) < len(self.names) and time.monotonic() < deadline:
            pending = [n for n in self.names if n not in answered and self.state_clients[n].service_is_ready()]
            futures = {n: self.state_clients[n].call_async(GetState.Request()) for n in pending}
            self.spin(lambda: futures and all(f.done() for f in futures.values()), ANSWER_WAIT_S)
            answered |= {n for n, f in futures.items() if f.done() and f.result() is not None}
        return [n for n in self.names if n not in answered]


def spin_until(executor, condition, timeout_s: float) -> bool:
    """Spin `executor` until `condition()` is true or `timeout_s` passes; return `condition()`."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return condition()


def main(args=None):
    """The launch file's manager: `node_names` (parameter) in order, then exit 0, or 1 with the reason."""
    rclpy.init(args=args)
    node = rclpy.create_node("lifecycle_manager")
    names = node.declare_parameter("node_names", list(graph.PIPELINE_NODES)).value
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    code = 0
    try:
        error = GraphManager(node, names, lambda c, t: spin_until(executor, c, t)).bring_up()
        if error:
            node.get_logger().error(f"the pipeline cannot start: {error}")
            code = 1
        else:
            node.get_logger().info(f"{', '.join(names)} active")
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    sys.exit(code)


if __name__ == "__main__":
    main()
