"""`python -m emotion_ros.run` as a user runs it: one process per node delivers the sample's
frames, a command that cannot do its job exits non-zero and says why, SIGTERM ends it cleanly."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("rclpy", reason="rclpy is not installed (run scripts/setup.sh)")

RUN = [sys.executable, "-m", "emotion_ros.run", "--no-echo"]


def run(*arguments, timeout=120, **environment):
    env = {**os.environ, **environment}
    return subprocess.run([*RUN, *arguments], capture_output=True, text=True, timeout=timeout, env=env)


def test_processes_mode_delivers_the_sample_frames_to_person_emotions():
    """All 60 frames of the sample, one process per node, at 10 frames a second (below the
    graph's capacity even on a busy two-core machine): >= 99 % reach /person_emotions.
    Discovery beyond localhost (this run's own domain id keeps it apart): with LOCALHOST,
    rmw_fastrtps replaces the shared-memory transport by UDP on 127.0.0.1 (see graph.py)."""
    result = run("--mode", "processes", "--stats", "--set", "driver.realtime=false",
                 "--set", "driver.max_rate_hz=10.0", ROS_AUTOMATIC_DISCOVERY_RANGE="SUBNET")
    assert result.returncode == 0, result.stderr[-2000:]
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["camera_frames"] == 60
    assert stats["emotion_frames"] >= 0.99 * 60, (stats, result.stderr[-3000:])


@pytest.mark.parametrize("setting, says", [
    ("identity.treshold=12", "no parameter 'treshold'"),
    ("face_detector.score_threshold=high", "is a float"),
    ("driver.loop=1", "is a bool"),
])
def test_a_bad_set_is_refused_before_anything_starts(setting, says):
    result = run("--set", setting, timeout=30)
    assert result.returncode != 0 and says in result.stderr and "Traceback" not in result.stderr


def test_a_node_that_cannot_configure_fails_the_run(tmp_path):
    missing = tmp_path / "no_such_model.onnx"
    result = run("--set", f"emotion.model_path={missing}", "--video", str(tmp_path / "out.mp4"))
    assert result.returncode == 1, result.stderr[-2000:]
    assert str(missing) in result.stderr and "could not be configured" in result.stderr
    assert "annotated video: " not in result.stderr and not (tmp_path / "out.mp4").exists()


def test_a_missing_video_fails_with_one_clear_error(tmp_path):
    result = run("--source", "video", "--path", str(tmp_path / "missing.mp4"))
    assert result.returncode == 1 and "missing.mp4 does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_ends_the_run_cleanly_and_finalises_the_video(tmp_path):
    video = tmp_path / "out.avi"
    process = subprocess.Popen([*RUN, "--set", "driver.loop=true", "--video", str(video)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (video.exists() and video.stat().st_size > 0):
        time.sleep(0.5)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in stderr, stderr[-2000:]
    assert "annotated video: " in stderr and video.stat().st_size > 0
    import cv2
    capture = cv2.VideoCapture(str(video))
    assert capture.isOpened() and capture.read()[0], "the video was not finalised"
