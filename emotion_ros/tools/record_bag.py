"""Record live ROS 2 topics to a rosbag2 MCAP bag, without the ROS 2 CLI (`ros2 bag record`).

    python -m emotion_ros.tools.record_bag --out /data/session_bag              # the camera topics
    python -m emotion_ros.tools.record_bag --out /data/bag --duration 30 \\
        --topics /camera/color/image_raw /camera/aligned_depth_to_color/image_raw
    python -m emotion_ros.run --source bag --path /data/session_bag              # replay

Messages are written as they arrive (serialised, untouched), stamped with their arrival time;
replay paces them by their header stamps. Topics are subscribed best effort, which matches
both best-effort and reliable publishers. Stops at --duration, after --messages messages
on the first topic, or at Ctrl-C / SIGTERM. Exits non-zero when no topic could be recorded.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from importlib import import_module

from emotion_ros.capture import bag

DEFAULT_TOPICS = (bag.CAMERA_TOPIC, bag.DEPTH_TOPIC, "/camera/camera_info")


def message_class(msgtype: str):
    """'sensor_msgs/msg/Image' -> the rclpy message class."""
    package, _, name = msgtype.split("/")
    return getattr(import_module(f"{package}.msg"), name)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="new bag directory")
    parser.add_argument("--topics", nargs="+", default=list(DEFAULT_TOPICS), help="topics to record")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0: Ctrl-C)")
    parser.add_argument("--messages", type=int, default=0,
                        help="stop after this many messages on the first topic (0: no limit)")
    parser.add_argument("--wait", type=float, default=10.0,
                        help="seconds to wait for the topics to appear before giving up")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import rclpy
    from rclpy.qos import qos_profile_sensor_data

    topics = ["/" + t.lstrip("/") for t in args.topics]
    rclpy.init()
    node = rclpy.create_node("bag_recorder")
    counts = {topic: 0 for topic in topics}
    writer = None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
    try:
        deadline = time.monotonic() + args.wait
        found: dict[str, str] = {}
        while len(found) < len(topics) and time.monotonic() < deadline:
            found = {name: types[0] for name, types in node.get_topic_names_and_types() if name in counts}
            rclpy.spin_once(node, timeout_sec=0.1)
        missing = [t for t in topics if t not in found]
        if not found:
            print(f"record_bag: none of {', '.join(topics)} appeared within {args.wait:g} s "
                  f"(is the camera running, with the same ROS_DOMAIN_ID?)", file=sys.stderr)
            return 1
        if missing:
            print(f"record_bag: not recording {', '.join(missing)}: no publisher within {args.wait:g} s",
                  file=sys.stderr)
        writer = bag.BagWriter(args.out)
        first = next(t for t in topics if t in found)

        def recorder(topic, connection):
            def write(data: bytes):
                writer.write_serialized(connection, time.time_ns(), data)
                counts[topic] += 1
                if args.messages and topic == first and counts[topic] >= args.messages:
                    stop.append("messages")
            return write

        for topic, msgtype in found.items():
            connection = writer.add_topic(topic, msgtype)
            node.create_subscription(message_class(msgtype), topic, recorder(topic, connection),
                                     qos_profile_sensor_data, raw=True)
        print(f"recording {', '.join(found)} to {args.out}", file=sys.stderr)
        started = time.monotonic()
        while rclpy.ok() and not stop and not (args.duration and time.monotonic() - started >= args.duration):
            rclpy.spin_once(node, timeout_sec=0.1)
    except KeyboardInterrupt:
        pass
    except bag.SourceError as err:
        print(f"record_bag: {err}", file=sys.stderr)
        return 1
    finally:
        if writer is not None:
            writer.close()
        node.destroy_node()
        rclpy.try_shutdown()
    print(f"recorded {', '.join(f'{topic}: {n}' for topic, n in counts.items())} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
