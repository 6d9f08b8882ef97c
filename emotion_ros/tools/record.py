"""Record any frame source to a fakenect directory or a rosbag2 MCAP bag (replay with
--source fakenect or --source bag).

    python -m emotion_ros.tools.record --source kinect --frames 300 --out /tmp/my_recording
    python -m emotion_ros.tools.record --source video --path clip.avi --out /tmp/clip_dump
    python -m emotion_ros.tools.record --source fakenect --format bag --out /tmp/sample_bag

Depth, when the source has it, is stored as registered millimetres (PGM maxval 10000, or
16UC1 in a bag). `--source fakenect` without `--path` records the bundled sample.
Stops after --frames frames (0 = until the stream ends or Ctrl-C).
To record the topics of a running camera driver instead, see emotion_ros.tools.record_bag.
"""

from __future__ import annotations

import argparse
import functools
import sys

from emotion_ros import resources
from emotion_ros.capture import KINDS, FakenectWriter, SourceError, open_source


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=KINDS, default="kinect")
    parser.add_argument("--path", default="", help="video file or fakenect directory")
    parser.add_argument("--device", type=int, default=0, help="Kinect or webcam index")
    parser.add_argument("--frames", type=int, default=0, help="frames to record, 0 = all")
    parser.add_argument("--out", required=True, help="new output directory")
    parser.add_argument("--format", choices=("fakenect", "bag"), default="fakenect",
                        help="fakenect dump or rosbag2 MCAP bag (/camera/image_raw, /camera/depth/image_raw)")
    parser.add_argument("--compressed", action="store_true",
                        help="bag only: JPEG colour and PNG depth (sensor_msgs/CompressedImage)")
    args = parser.parse_args(argv)
    count = 0
    path = args.path or (str(resources.sample_recording()) if args.source == "fakenect" else "")
    try:
        if args.format == "bag":
            from emotion_ros.capture.bag import BagWriter
            make_writer = functools.partial(BagWriter, args.out, compressed=args.compressed)
        else:
            make_writer = functools.partial(FakenectWriter, args.out)
        with open_source(args.source, path=path, device=args.device, realtime=False) as source, \
                make_writer() as writer:
            while args.frames <= 0 or count < args.frames:
                frame = source.read()
                if frame is None:
                    break
                writer.write(frame)
                count += 1
    except SourceError as err:
        print(f"record: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print(f"recorded {count} frames to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
