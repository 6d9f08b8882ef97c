"""What every node shares (the rclpy side): the managed life cycle, parameters with
descriptions and ranges, QoS profiles, /diagnostics and main().

A node of the pipeline is a `ManagedNode` (a ROS 2 lifecycle node):

- construction declares its `PARAMETERS`; their values come from config/pipeline.yaml (the
  one source of defaults) and from the parameter file or command line;
- `configure` reads and checks the parameters and loads models: the node's `configure()`
  raises ValueError / OSError / RuntimeError with one clear message, and the transition fails;
- `activate` creates publishers and subscriptions (`activate()`), `deactivate` destroys them;
- a parameter marked `live` takes effect on `ros2 param set` while the node runs (`apply()`);
  the others are read at configure, and setting them while the node is configured is refused;
- bad input is counted in `stats` and logged once per call site (`logger.error(..., once=True)`);
- /diagnostics carries rate, latency p50/p95, drops, bad input and the model state, once a second.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import Node as LifecycleNode
from rclpy.lifecycle import State, TransitionCallbackReturn
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from emotion_ros import graph
from emotion_ros.pairing import stamp_key
from emotion_ros.stats import FrameStats

DIAGNOSTICS_PERIOD_S = 1.0


def image_qos(reliable: bool, depth: int = 1) -> QoSProfile:
    """Camera-stream QoS: best effort keeping the newest `depth` frames, unless `reliable`."""
    if reliable:
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.BEST_EFFORT)


FACES_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=4, reliability=ReliabilityPolicy.RELIABLE)
"""FaceArray topics: reliable; a burst of up to 4 frames (a slow first frame) is absorbed, a consumer
that falls further behind skips to fresh frames."""


@dataclass(frozen=True)
class Param:
    """One parameter: its description, its allowed values, and whether it is live.
    Its default value is the node's entry in config/pipeline.yaml."""

    name: str
    description: str
    range: tuple | None = None   # (lowest, highest), inclusive, for an int or double
    choices: tuple = ()          # allowed strings
    live: bool = False           # takes effect on `ros2 param set` while the node runs

    def descriptor(self, value) -> ParameterDescriptor:
        descriptor = ParameterDescriptor(description=self.description)
        if self.choices:
            descriptor.additional_constraints = f"one of: {', '.join(self.choices)}"
        if self.range and isinstance(value, float):
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(self.range[0]),
                                                                  to_value=float(self.range[1]))]
        elif self.range and isinstance(value, int) and not isinstance(value, bool):
            descriptor.integer_range = [IntegerRange(from_value=int(self.range[0]), to_value=int(self.range[1]))]
        return descriptor

    def problem(self, value) -> str:
        """Why `value` is not allowed, or ""."""
        if self.choices and value not in self.choices:
            return f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}"
        if self.range and not isinstance(value, (bool, str)) and not self.range[0] <= value <= self.range[1]:
            return f"{self.name} must be in [{self.range[0]}, {self.range[1]}], got {value!r}"
        return ""


def declare_parameters(node, name: str, parameters) -> list[str]:
    """Declare `parameters` (Param) on `node`, each with its default from node `name`'s entry in
    config/pipeline.yaml, its description and range; return the problems of the values given
    (wrong type, out of range), the declared value then being the default."""
    defaults = graph.load_parameters(graph.default_config_path()).get(name, {})
    problems = []
    for param in parameters:
        if param.name not in defaults:
            raise KeyError(f"{graph.default_config_path()} has no default for {name}.{param.name}")
        default = defaults[param.name]
        try:
            value = node.declare_parameter(param.name, default, param.descriptor(default)).value
        except (rclpy.exceptions.InvalidParameterValueException,
                rclpy.exceptions.InvalidParameterTypeException) as error:
            problems.append(f"{param.name}: {error}")
            value = node.declare_parameter(param.name, default, param.descriptor(default),
                                           ignore_override=True).value
        if param.problem(value):
            problems.append(param.problem(value))
    return problems


class ConfigError(ValueError):
    """A node cannot be configured; the message says why."""


class ManagedNode(LifecycleNode):
    """Base of every pipeline node; see the module docstring. Subclasses set NAME and
    PARAMETERS and override configure(), activate(), apply() and check() as they need."""

    NAME = ""
    PARAMETERS: tuple[Param, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(self.NAME, **kwargs)
        self.stats = FrameStats()
        self.model_state = "n/a"
        self.exit_code = 0
        self.configured = self.active = False
        self._entities = []
        self._params = {p.name: p for p in self.PARAMETERS}
        self._problems = declare_parameters(self, self.NAME, self.PARAMETERS)
        self.add_on_set_parameters_callback(self._on_set)
        self.add_post_set_parameters_callback(self._after_set)

    # ---- parameters ----
    def param(self, name: str):
        return self.get_parameter(name).value

    def check(self, values: dict) -> str:
        """Problems spanning several parameters (e.g. min above max), or ""; values: all of them."""
        return ""

    def apply(self) -> None:
        """Take the live parameters into use (called at configure and after each set)."""

    def _on_set(self, parameters) -> SetParametersResult:
        values = {name: self.param(name) for name in self._params}
        for parameter in parameters:
            param = self._params.get(parameter.name)
            if param is None:
                continue
            if not param.live and self.configured:
                return SetParametersResult(successful=False, reason=(
                    f"{parameter.name} is read at configure: deactivate and clean up the node, set it, "
                    f"configure again"))
            if param.problem(parameter.value):
                return SetParametersResult(successful=False, reason=param.problem(parameter.value))
            values[parameter.name] = parameter.value
        problem = self.check(values)
        return SetParametersResult(successful=not problem, reason=problem)

    def _after_set(self, parameters) -> None:
        if self.configured:
            self.apply()

    # ---- life cycle ----
    def configure(self) -> None:
        """Read the parameters and load models; raise ConfigError / OSError / RuntimeError."""

    def activate(self) -> None:
        """Create publishers, subscriptions and timers with add_publisher(), add_subscription(), add_timer()."""

    def deactivate(self) -> None:
        """Stop what activate() started beyond publishers, subscriptions and timers."""

    def cleanup(self) -> None:
        """Release what configure() loaded."""

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        problems = self._problems + [p for p in [self.check({n: self.param(n) for n in self._params})] if p]
        try:
            if problems:
                raise ConfigError("bad parameter: " + "; ".join(problems))
            self.configure()
            self.apply()
        except (ValueError, OSError, RuntimeError) as error:
            self.get_logger().error(f"cannot configure: {error}")
            self.exit_code = 1
            return TransitionCallbackReturn.FAILURE
        self.configured = True
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        self.diagnostics_pub = self.add_publisher(DiagnosticArray, "/diagnostics", 10)
        self.add_timer(DIAGNOSTICS_PERIOD_S, self.publish_diagnostics)
        self.activate()
        self.active = True
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self._end_activity()
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self.cleanup()
        self.configured = False
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self._end_activity()
        return TransitionCallbackReturn.SUCCESS

    def _end_activity(self) -> None:
        if self.active:
            self.deactivate()
            self.active = False
        self._destroy_entities()

    def destroy_node(self):
        self._end_activity()
        super().destroy_node()

    def add_publisher(self, msg_type, topic: str, qos):
        return self._owned(self.create_publisher(msg_type, topic, qos))

    def add_subscription(self, msg_type, topic: str, callback, qos, **options):
        return self._owned(self.create_subscription(msg_type, topic, callback, qos, **options))

    def add_timer(self, period_s: float, callback):
        return self._owned(self.create_timer(period_s, callback))

    def _owned(self, entity):
        """Keep `entity` to destroy it at deactivate."""
        self._entities.append(entity)
        return entity

    def _destroy_entities(self) -> None:
        for entity in self._entities:
            entity.destroy()
        self._entities = []

    # ---- frames, bad input, diagnostics ----
    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def frame_done(self, header) -> None:
        """Count one frame handled, with its latency since the camera's stamp (node clock)."""
        self.stats.frame(self.now_s(), stamp_key(header) * 1e-9)

    def bad_input(self, error: Exception | str) -> None:
        """Count one bad input (kept in /diagnostics with the last message); the caller logs it once."""
        self.stats.problem(str(error))

    def diagnostic_status(self) -> DiagnosticStatus:
        summary = self.stats.summary()
        level, message = DiagnosticStatus.OK, "running"
        if self.model_state.startswith(("failed", "none")):
            level, message = DiagnosticStatus.ERROR, f"model {self.model_state}"
        elif self.stats.problems:
            level, message = DiagnosticStatus.WARN, f"bad input: {self.stats.last_problem}"
        values = [KeyValue(key=key, value=str(value)) for key, value in summary.items()]
        values.append(KeyValue(key="model", value=self.model_state))
        return DiagnosticStatus(level=level, name=f"emotion_ros: {self.get_name()}", message=message,
                                hardware_id="emotion_ros", values=values)

    def publish_diagnostics(self) -> None:
        array = DiagnosticArray(status=[self.diagnostic_status()])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)


def main_for(node_class, args=None):
    """Run one node as its own process (`ros2 run`, the runner's processes mode, the launch file).

    The node starts unconfigured and waits for a lifecycle manager (the launch file's, or
    `python -m emotion_ros.run`); with `--autostart` it configures and activates itself and exits
    1 when it cannot be configured. It spins until Ctrl-C, SIGTERM or its `finished` event (the
    driver at the end of a recording); the exit status is the node's `exit_code`.
    """
    args = sys.argv if args is None else args
    autostart = "--autostart" in rclpy.utilities.remove_ros_args(args)
    rclpy.init(args=args)
    node, code = None, 0
    try:
        node = node_class()
        if autostart and isinstance(node, ManagedNode) and not bring_up_alone(node):
            code = 1
        finished = getattr(node, "finished", None)
        while code == 0 and rclpy.ok() and not (finished and finished.is_set()):
            rclpy.spin_once(node, timeout_sec=0.1)
        code = code or getattr(node, "exit_code", 0)
    except ValueError as error:  # a helper node (not managed) refusing its parameters
        print(f"{node_class.__name__}: {error}", file=sys.stderr)
        code = 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    sys.exit(code)


def bring_up_alone(node: ManagedNode) -> bool:
    """Configure and activate `node` in place; False when it cannot be configured."""
    if node.trigger_configure() != TransitionCallbackReturn.SUCCESS:
        return False
    return node.trigger_activate() == TransitionCallbackReturn.SUCCESS
