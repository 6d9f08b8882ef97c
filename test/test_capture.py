import sys
import time
import types

import cv2
import numpy as np
import pytest

from emotion_ros.capture import (Backoff, FakenectWriter, Frame, RetryingSource, SourceError,
                                 disparity_to_mm, open_source)

from frame_helpers import make_frames, read_all, write_all

H, W = 48, 64


def record(path, frames):
    write_all(FakenectWriter(str(path)), frames)
    return path


def test_fakenect_round_trip_is_exact_paired_and_ordered(tmp_path):
    written = make_frames(5)
    record(tmp_path / "rec", written)
    names = (tmp_path / "rec" / "INDEX.txt").read_text().split()
    assert names[0].startswith("r-100.000000-0") and names[1].startswith("d-100.000000-0")
    with open_source("fakenect", path=str(tmp_path / "rec"), realtime=False) as source:
        assert source.has_depth
        read = read_all(source)
    assert [f.index for f in read] == list(range(5))
    for got, want in zip(read, written):
        assert np.array_equal(got.rgb, want.rgb)
        assert got.depth.dtype == np.uint16 and np.array_equal(got.depth, want.depth)
        assert got.timestamp == pytest.approx(want.timestamp, abs=1e-6)


def test_fakenect_without_depth(tmp_path):
    record(tmp_path / "rec", make_frames(2, depth=False))
    with open_source("fakenect", path=str(tmp_path / "rec"), realtime=False) as source:
        assert not source.has_depth
        assert all(f.depth is None for f in read_all(source))


def write_dump(path, header, payload):
    path.write_bytes(header + payload)


def test_raw_libfreenect_dump_pairs_nearest_depth_and_converts_disparity(tmp_path):
    """libfreenect's record: 11-bit disparity (maxval 65535), own times, accel lines."""
    rec = tmp_path / "raw"
    rec.mkdir()
    names = []
    rgb_times, depth_times = [10.000, 10.033, 10.066], [10.012, 10.040, 10.070]
    raws = [600, 700, 2047]
    events = sorted([(t, "r", i) for i, t in enumerate(rgb_times)]
                    + [(t, "d", i) for i, t in enumerate(depth_times)])
    for t, kind, i in events:
        if kind == "r":
            name = f"r-{t:f}-{1000 + i}.ppm"
            write_dump(rec / name, b"P6 %d %d 255\n" % (W, H),
                       np.full((H, W, 3), 10 * (i + 1), np.uint8).tobytes())
        else:
            name = f"d-{t:f}-{2000 + i}.pgm"
            write_dump(rec / name, b"P5 %d %d 65535\n" % (W, H),
                       np.full((H, W), raws[i], "<u2").tobytes())
        names.append(name)
        names.append(f"a-{t:f}-{1000 + i}.dump")
        (rec / names[-1]).write_bytes(b"\0" * 8)
    (rec / "INDEX.txt").write_text("\n".join(names) + "\n")
    frames = read_all(open_source("fakenect", path=str(rec), realtime=False))
    assert [f.rgb[0, 0, 0] for f in frames] == [10, 20, 30]
    assert [f.timestamp for f in frames] == pytest.approx(rgb_times)
    expected = disparity_to_mm(np.array(raws, np.uint16))
    assert [int(f.depth[0, 0]) for f in frames] == list(expected)
    assert 680 < expected[0] < 720 and 860 < expected[1] < 900 and expected[2] == 0


def test_video_file_round_trip_and_loop(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, (W, H))
    assert writer.isOpened()
    levels = [40, 120, 200]
    for level in levels:
        writer.write(np.full((H, W, 3), level, np.uint8))
    writer.release()
    with open_source("video", path=str(path), realtime=False) as source:
        assert not source.has_depth
        frames = read_all(source)
    assert [round(float(f.rgb.mean()) / 10) * 10 for f in frames] == levels
    assert all(f.depth is None for f in frames)
    assert [f.timestamp for f in frames] == pytest.approx([0.0, 0.05, 0.1])
    with open_source("video", path=str(path), loop=True, realtime=False) as source:
        looped = read_all(source, limit=7)
    assert [f.index for f in looped] == list(range(7))
    assert round(float(looped[3].rgb.mean()) / 10) * 10 == levels[0]
    assert all(b.timestamp > a.timestamp for a, b in zip(looped, looped[1:]))


def test_fakenect_loop_continues_index_and_time(tmp_path):
    written = make_frames(3, period=0.1)
    record(tmp_path / "rec", written)
    with open_source("fakenect", path=str(tmp_path / "rec"), loop=True, realtime=False) as source:
        frames = read_all(source, limit=7)
    assert [f.index for f in frames] == list(range(7))
    assert np.array_equal(frames[3].rgb, written[0].rgb)
    assert np.array_equal(frames[6].depth, written[0].depth)
    assert [f.timestamp for f in frames] == pytest.approx([100 + 0.1 * i for i in range(7)])


def test_realtime_replay_follows_recorded_pace(tmp_path):
    record(tmp_path / "rec", make_frames(4, period=0.05))
    start = time.monotonic()
    read_all(open_source("fakenect", path=str(tmp_path / "rec"), realtime=True))
    elapsed = time.monotonic() - start
    assert 0.14 <= elapsed < 0.6
    start = time.monotonic()
    read_all(open_source("fakenect", path=str(tmp_path / "rec"), realtime=False))
    assert time.monotonic() - start < 0.14


@pytest.mark.parametrize("kind, corrupt", [
    ("r", lambda data: data[:len(data) // 2]),             # truncated pixels
    ("r", lambda data: b"P3" + data[2:]),                   # wrong magic
    ("d", lambda data: b"P5 64 abc 10000\n" + data[16:]),   # bad header field
    ("d", lambda data: b""),                                # empty file
])
def test_corrupt_dump_names_the_file(tmp_path, kind, corrupt):
    rec = record(tmp_path / "rec", make_frames(2))
    victim = sorted(rec.glob(f"{kind}-*"))[1]
    victim.write_bytes(corrupt(victim.read_bytes()))
    source = open_source("fakenect", path=str(rec), realtime=False)
    source.read()
    with pytest.raises(SourceError, match=victim.name):
        source.read()


def test_missing_listed_file_names_it(tmp_path):
    rec = record(tmp_path / "rec", make_frames(2))
    victim = sorted(rec.glob("d-*"))[0]
    victim.unlink()
    with pytest.raises(SourceError, match=victim.name):
        open_source("fakenect", path=str(rec))


def test_missing_directory_index_and_video(tmp_path):
    with pytest.raises(SourceError, match="nowhere"):
        open_source("fakenect", path=str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="INDEX.txt"):
        open_source("fakenect", path=str(tmp_path / "empty"))
    with pytest.raises(SourceError, match="clip.avi"):
        open_source("video", path=str(tmp_path / "clip.avi"))
    with pytest.raises(SourceError, match="unknown source kind"):
        open_source("stereo")


def test_writer_refuses_to_overwrite(tmp_path):
    record(tmp_path / "rec", make_frames(1))
    with pytest.raises(SourceError, match="already exists"):
        FakenectWriter(str(tmp_path / "rec"))


def fake_freenect(video, depth):
    module = types.SimpleNamespace(VIDEO_RGB=0, DEPTH_REGISTERED=4, stopped=0)
    module.sync_get_video = lambda index=0, format=0: video
    module.sync_get_depth = lambda index=0, format=0: depth
    module.sync_stop = lambda: setattr(module, "stopped", module.stopped + 1)
    return module


def test_kinect_converts_rgb_to_bgr_and_keeps_registered_mm(monkeypatch):
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0] = 255  # red in RGB order
    depth = np.full((H, W), 1234, np.uint16)
    module = fake_freenect((rgb, 1), (depth, 2))
    monkeypatch.setitem(sys.modules, "freenect", module)
    with open_source("kinect") as source:
        frame = source.read()
    assert source.has_depth and frame.index == 0
    assert tuple(frame.rgb[0, 0]) == (0, 0, 255)
    assert np.array_equal(frame.depth, depth)
    assert module.stopped == 1


def test_kinect_absent_raises_source_error(monkeypatch):
    module = fake_freenect(None, None)
    monkeypatch.setitem(sys.modules, "freenect", module)
    with pytest.raises(SourceError, match="kinect #1"):
        open_source("kinect", device=1)
    assert module.stopped == 1


def test_backoff_doubles_up_to_the_cap_and_resets():
    backoff = Backoff(initial=0.5, factor=2.0, maximum=5.0)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FlakySource:
    """Yields `good` frames, then raises SourceError on every read."""

    has_depth = True

    def __init__(self, good):
        self.good, self.count, self.closed = good, 0, False

    def read(self):
        if self.count >= self.good:
            raise SourceError("fake camera: unplugged")
        self.count += 1
        return Frame(np.zeros((2, 2, 3), np.uint8), None, 0.0, self.count - 1)

    def close(self):
        self.closed = True


def test_retrying_source_reopens_with_backoff_and_reports_each_outage_once():
    clock, reports, opened = FakeClock(), [], []
    outcomes = iter(["ok", "fail", "fail", "ok"])

    def opener():
        if next(outcomes) == "fail":
            raise SourceError("fake camera: not found")
        opened.append(FlakySource(good=2))
        return opened[-1]

    source = RetryingSource(opener, backoff=Backoff(0.5, 2.0, 5.0), report=reports.append,
                            clock=clock)
    assert source.poll() is not None and source.poll() is not None and source.has_depth
    assert source.poll() is None  # fails mid-stream
    assert opened[0].closed and not source.ended
    assert len(reports) == 1 and "unplugged" in reports[0]
    clock.now = 0.4
    assert source.poll() is None  # retry not due yet: opener not called
    clock.now = 0.5
    assert source.poll() is None  # re-open fails, next attempt 1 s later
    clock.now = 1.4
    assert source.poll() is None
    clock.now = 1.5
    assert source.poll() is None  # fails again, next attempt 2 s later
    clock.now = 3.5
    frame = source.poll()
    assert frame is not None and opened[-1].count == 1
    assert len(reports) == 2 and "back" in reports[1]
    assert reports[0].count("source failed") == 1


def test_retrying_source_stops_at_end_of_stream(tmp_path):
    record(tmp_path / "rec", make_frames(2))
    source = RetryingSource(lambda: open_source("fakenect", path=str(tmp_path / "rec"),
                                                realtime=False), report=lambda m: None)
    assert source.poll() is not None and source.poll() is not None
    assert source.poll() is None and source.ended
    assert source.poll() is None


def test_retrying_source_gives_up_on_a_source_that_never_opens():
    clock, reports = FakeClock(), []

    def opener():
        raise SourceError("video file not found: /nowhere.mp4")

    source = RetryingSource(opener, backoff=Backoff(0.5, 2.0, 5.0), report=reports.append,
                            give_up_after_s=2.0, clock=clock)
    for now in (0.0, 0.5, 1.5):
        clock.now = now
        assert source.poll() is None and not source.ended
    clock.now = 3.5
    assert source.poll() is None and source.ended
    assert "/nowhere.mp4" in source.error and "gave up after 4 attempts" in source.error
    assert len(reports) == 1


def test_a_source_lost_after_its_first_frame_is_retried_past_the_give_up_time():
    clock = FakeClock()
    opened = []

    def opener():
        if opened:
            raise SourceError("fake camera: not found")
        opened.append(FlakySource(good=1))
        return opened[-1]

    source = RetryingSource(opener, backoff=Backoff(0.5, 2.0, 5.0), report=lambda m: None,
                            give_up_after_s=1.0, clock=clock)
    assert source.poll() is not None
    for now in range(0, 30):
        clock.now = float(now)
        source.poll()
    assert not source.ended


def test_a_still_image_loops(tmp_path):
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.full((H, W, 3), 77, np.uint8))
    with open_source("video", path=str(path), loop=True, realtime=False) as source:
        frames = read_all(source, limit=5)
    assert len(frames) == 5 and [f.index for f in frames] == list(range(5))
    assert all(int(f.rgb[0, 0, 0]) == 77 for f in frames)
