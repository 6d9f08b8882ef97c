import json

import cv2
import numpy as np
import pytest

from emotion_ros.capture import open_source
from emotion_ros.detection import (Detection, HaarDetector, YuNetDetector, crop_face,
                                   make_detector)
from emotion_ros.drawing import KEPT_COLOUR, REJECTED_COLOUR, draw_detections
from emotion_ros.resources import YUNET_MODEL, model_path, sample_recording
from emotion_ros.tracking import iou

FRAMES = (0, 30)  # sample frames checked: before and after the printed photo appears


@pytest.fixture(scope="module")
def sample():
    """[(frame, labelled faces)] for FRAMES of the shipped sample recording."""
    recording = sample_recording()
    labels = json.loads((recording / "labels.json").read_text())["frames"]
    source = open_source("fakenect", path=str(recording), realtime=False)
    picked = []
    for i in range(max(FRAMES) + 1):
        frame = source.read()
        if i in FRAMES:
            picked.append((frame, labels[i]["faces"]))
    source.close()
    return picked


def found(detections, face, min_iou=0.4):
    return any(iou(d, face["box"]) >= min_iou for d in detections)


@pytest.mark.parametrize("name", ["yunet", "haar"])
def test_detectors_find_the_real_faces_of_the_sample(sample, name):
    detector = make_detector(name)
    for frame, faces in sample:
        detections = detector.detect(frame.rgb)
        real = [f for f in faces if f["kind"] == "real"]
        assert len(real) == 3
        assert all(found(detections, f) for f in real), (name, frame.index, detections)
        height, width = frame.rgb.shape[:2]
        for d in detections:
            assert isinstance(d, Detection) and d.w > 0 and d.h > 0
            assert 0 <= d.x and d.x + d.w <= width and 0 <= d.y and d.y + d.h <= height


def test_yunet_also_finds_the_decoys_that_depth_must_reject(sample):
    frame, faces = sample[1]
    detections = make_detector("yunet").detect(frame.rgb)
    decoys = {f["decoy"] for f in faces if f["kind"] == "decoy" and found(detections, f)}
    assert {"poster", "photo"} <= decoys
    assert all(0.0 < d.score <= 1.0 for d in detections)


def test_yunet_boxes_map_back_to_full_resolution(sample):
    frame, _ = sample[0]
    detector = YuNetDetector(width=320)
    small = detector.detect(frame.rgb)
    big = detector.detect(cv2.resize(frame.rgb, None, fx=2, fy=2,
                                     interpolation=cv2.INTER_LINEAR))
    assert len(big) == len(small)
    for d in small:
        doubled = (2 * d.x, 2 * d.y, 2 * d.w, 2 * d.h)
        assert max(iou(doubled, b) for b in big) > 0.8


def test_yunet_clips_boxes_to_the_image(sample):
    frame, faces = sample[0]
    alice = next(f for f in faces if f["person"] == "alice")
    x, y, w, h = alice["box"]
    cut = frame.rgb[y + h // 3:, x + w // 3:]  # the face runs off the top-left corner
    for d in YuNetDetector(score_threshold=0.3).detect(cut):
        assert d.x >= 0 and d.y >= 0
        assert d.x + d.w <= cut.shape[1] and d.y + d.h <= cut.shape[0]


def test_no_face_in_a_blank_frame():
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert make_detector("yunet").detect(blank) == []
    assert make_detector("haar").detect(blank) == []


def test_make_detector_options_and_errors():
    detector = make_detector("yunet", width=160, score_threshold=0.8, nms_threshold=0.4, top_k=10)
    assert isinstance(detector, YuNetDetector) and detector.width == 160
    assert isinstance(make_detector("haar", min_neighbors=3), HaarDetector)
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("mtcnn")
    assert model_path(YUNET_MODEL).stat().st_size == 232589
    with pytest.raises(FileNotFoundError):
        model_path("nope.onnx")


def test_crop_face_is_square_grey_framed_and_padded_at_the_border():
    image = np.arange(480 * 640, dtype=np.uint32).reshape(480, 640).astype(np.uint8)
    crop = crop_face(image, Detection(100, 100, 40, 60, 0.9))
    assert crop.shape == (60, 60) and crop.dtype == np.uint8
    np.testing.assert_array_equal(crop, image[100:160, 90:150])
    assert crop_face(image, Detection(100, 100, 40, 60, 0.9), scale=1.5).shape == (90, 90)
    # the frame moves up by offset_y box sides
    np.testing.assert_array_equal(crop_face(image, Detection(100, 100, 40, 60, 0.9), offset_y=-0.1),
                                  image[94:154, 90:150])
    bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    # a 70 px square around (25, 25) reaches 10 px past the top-left corner: still 70x70,
    # the missing rows and columns repeat the image's edge
    corner = crop_face(bgr, Detection(0, 0, 50, 50, 0.9), scale=1.4)
    assert corner.shape == (70, 70)
    np.testing.assert_array_equal(corner[10:, 10:], image[:60, :60])
    np.testing.assert_array_equal(corner[:10, 10], np.full(10, image[0, 0]))
    with pytest.raises(ValueError):
        crop_face(image, Detection(700, 10, 20, 20, 0.9))


def test_draw_detections_returns_an_annotated_copy():
    image = np.zeros((120, 160, 3), np.uint8)
    kept = [(Detection(10, 30, 40, 40, 0.9), "#3 alice")]
    rejected = [((90, 30, 40, 40), "flat")]
    out = draw_detections(image, kept, rejected)
    assert not image.any() and out.shape == image.shape
    assert tuple(out[50, 10]) == KEPT_COLOUR and tuple(out[50, 90]) == REJECTED_COLOUR
