"""Input parity: the emotion model sees the same distribution from FER2013 and from a camera.

FER2013's image folders are histogram-equalised, its CSV and cameras give raw pixels; the one
preprocessing function equalises every face, so a face and its dim, bright, low-contrast or
gamma-changed copy, and a raw face and its equalised copy, become near-identical model inputs.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

from emotion_ros.preprocessing import INPUT_SHAPE, normalise_face, preprocess_batch, preprocess_face
from emotion_ros.resources import enrol_sample_dir
from training.data import load_csv, load_folders

FACE = cv2.imread(str(enrol_sample_dir() / "alice" / "1.pgm"), cv2.IMREAD_GRAYSCALE)
NEAR = 0.03     # mean absolute difference of two model inputs in [0, 1] called "near-identical"


def tone(face, curve):
    """Apply an intensity curve (0..255 -> 0..255, clipped) to an 8-bit face."""
    return cv2.LUT(face, np.clip(curve(np.arange(256.0)), 0, 255).astype(np.uint8))


CAMERA_CONDITIONS = {
    "dim x0.3": lambda v: v * 0.3,
    "bright x1.6": lambda v: v * 1.6,
    "contrast x0.5": lambda v: 128 + (v - 128) * 0.5,
    "gamma 0.5": lambda v: 255 * (v / 255) ** 0.5,
    "gamma 2.0": lambda v: 255 * (v / 255) ** 2.0,
}


@pytest.mark.parametrize("condition", sorted(CAMERA_CONDITIONS))
def test_a_face_and_its_changed_copy_give_near_identical_inputs(condition):
    changed = tone(FACE, CAMERA_CONDITIONS[condition])
    plain = cv2.resize(FACE, INPUT_SHAPE[:2]) / 255.0
    assert np.abs(cv2.resize(changed, INPUT_SHAPE[:2]) / 255.0 - plain).mean() > NEAR, \
        "the condition must change the raw pixels, or this test proves nothing"
    assert np.abs(preprocess_face(changed) - preprocess_face(FACE)).mean() < NEAR


def test_an_equalised_face_and_its_raw_source_give_near_identical_inputs():
    equalised = cv2.equalizeHist(cv2.resize(FACE, INPUT_SHAPE[:2], interpolation=cv2.INTER_AREA))
    assert np.abs(preprocess_face(equalised) - preprocess_face(FACE)).mean() < NEAR


def test_model_input_is_equalised_whatever_the_crop():
    dim_bgr = cv2.cvtColor(tone(FACE, lambda v: v * 0.2), cv2.COLOR_GRAY2BGR)
    out = normalise_face(cv2.resize(dim_bgr, (130, 150)))
    assert out.shape == INPUT_SHAPE[:2] and out.dtype == np.uint8
    assert out.max() == 255 and out.min() < 10 and 100 < out.mean() < 156
    batch = preprocess_batch([dim_bgr, FACE])
    assert batch.shape == (2, *INPUT_SHAPE) and batch.dtype == np.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0


def test_both_dataset_layouts_give_the_same_distribution(tmp_path):
    """fer2013.csv rows hold raw faces, the image folders equalised ones: same model inputs."""
    rng = np.random.RandomState(1)
    faces = [tone(cv2.resize(FACE, (48, 48)), lambda v, g=g: 255 * (v / 255) ** g)
             for g in rng.uniform(0.5, 2.0, 6)]
    rows = ["emotion,pixels,Usage"]
    for i, face in enumerate(faces):
        rows.append(f"3,{' '.join(map(str, face.ravel()))},Training")
        folder = tmp_path / "folders" / "train" / "happy"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i}.png"), cv2.equalizeHist(face))
    (tmp_path / "fer2013.csv").write_text("\n".join(rows) + "\n")
    from_csv = load_csv(str(tmp_path / "fer2013.csv")).inputs()
    from_folders = load_folders(str(tmp_path / "folders")).inputs()
    assert np.abs(from_csv - from_folders).mean(axis=(1, 2, 3)).max() < NEAR
    # without the shared equalisation the two layouts differ
    raw_csv = load_csv(str(tmp_path / "fer2013.csv")).faces / 255.0
    raw_folders = load_folders(str(tmp_path / "folders")).faces / 255.0
    assert np.abs(raw_csv - raw_folders).mean() > NEAR


def test_the_detector_crops_with_the_measured_framing():
    from emotion_ros import graph
    from emotion_ros.preprocessing import EMOTION_CROP_OFFSET_Y, EMOTION_CROP_SCALE

    config = Path(__file__).resolve().parent.parent / "config" / "pipeline.yaml"
    detector = graph.load_parameters(config)["face_detector"]
    assert detector["emotion_crop_scale"] == EMOTION_CROP_SCALE
    assert detector["emotion_crop_offset_y"] == EMOTION_CROP_OFFSET_Y
