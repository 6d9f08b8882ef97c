"""The recording tool: any source to a fakenect dump that replays the same frames."""

import cv2
import numpy as np

from emotion_ros.capture import open_source
from emotion_ros.tools import record


def test_record_a_video_and_replay_it(tmp_path):
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for value in (40, 120, 200):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()

    assert record.main(["--source", "video", "--path", str(video), "--out", str(tmp_path / "dump")]) == 0
    replay = open_source("fakenect", path=str(tmp_path / "dump"), realtime=False)
    means = []
    while (frame := replay.read()) is not None:
        means.append(frame.rgb.mean())
    assert np.allclose(means, (40, 120, 200), atol=3)


def test_record_reports_a_missing_source(tmp_path, capsys):
    assert record.main(["--source", "video", "--path", str(tmp_path / "none.avi"), "--out", str(tmp_path / "d")]) == 1
    assert "none.avi" in capsys.readouterr().err
