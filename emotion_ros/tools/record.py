"""Record any frame source to a fakenect directory (replay with --source fakenect).

    python -m emotion_ros.tools.record --source kinect --frames 300 --out /tmp/my_recording
    python -m emotion_ros.tools.record --source video --path clip.avi --out /tmp/clip_dump

Depth, when the source has it, is stored as registered millimetres (PGM maxval 10000).
Stops after --frames frames (0 = until the stream ends or Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys

from emotion_ros.capture import KINDS, FakenectWriter, SourceError, open_source


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=KINDS, default="kinect")
    parser.add_argument("--path", default="", help="video file or fakenect directory")
    parser.add_argument("--device", type=int, default=0, help="Kinect or webcam index")
    parser.add_argument("--frames", type=int, default=0, help="frames to record, 0 = all")
    parser.add_argument("--out", required=True, help="new output directory")
    args = parser.parse_args(argv)
    count = 0
    try:
        with open_source(args.source, path=args.path, device=args.device) as source, \
                FakenectWriter(args.out) as writer:
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
