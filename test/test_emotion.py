import json

import numpy as np
import pytest

from emotion_ros.emotion import DEFAULT_MODEL, EmotionClassifier
from emotion_ros.labels import EMOTIONS, NEUTRAL
from onnx_fixtures import BRIGHTNESS, HAPPY, SAD, make_brightness_model, make_wrong_classes_model, uniform_crop


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return EmotionClassifier(make_brightness_model(tmp_path_factory.mktemp("model") / "tiny.onnx"))


def test_input_name_read_from_session(classifier):
    assert classifier.input_name == "face"


def test_batch_shape_and_probabilities(classifier):
    crops = [uniform_crop(v) for v in (0, 60, 128, 200, 255)]
    scores = classifier.classify(crops)
    assert scores.shape == (5, len(EMOTIONS)) and scores.dtype == np.float32
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_empty_batch_does_not_call_the_session(classifier, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("session called for an empty batch")

    monkeypatch.setattr(classifier._session, "run", fail)
    scores = classifier.classify([])
    assert scores.shape == (0, len(EMOTIONS)) and scores.dtype == np.float32


def test_brightness_mapping_grey_bgr_and_any_size(classifier):
    crops = [uniform_crop(BRIGHTNESS[SAD], 30), uniform_crop(BRIGHTNESS[NEUTRAL], 48, bgr=True),
             uniform_crop(BRIGHTNESS[HAPPY], 120)]
    scores = classifier.classify(crops)
    assert scores.argmax(axis=1).tolist() == [SAD, NEUTRAL, HAPPY]
    assert (scores.max(axis=1) > 0.9).all()


def test_missing_model_names_the_path(tmp_path):
    missing = tmp_path / "absent.onnx"
    with pytest.raises(FileNotFoundError, match="absent.onnx"):
        EmotionClassifier(missing)


def test_wrong_number_of_classes(tmp_path):
    with pytest.raises(ValueError, match="7"):
        EmotionClassifier(make_wrong_classes_model(tmp_path / "five.onnx", 5))


def test_metadata_class_order_checked(tmp_path):
    model = make_brightness_model(tmp_path / "m.onnx")
    (tmp_path / "m.json").write_text(json.dumps({"classes": list(EMOTIONS)}))
    EmotionClassifier(model)
    (tmp_path / "m.json").write_text(json.dumps({"classes": list(reversed(EMOTIONS))}))
    with pytest.raises(ValueError, match="classes"):
        EmotionClassifier(model)


def test_bad_crop_rejected(classifier):
    with pytest.raises(ValueError, match="uint8"):
        classifier.classify([np.zeros((48, 48), np.float32)])


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"shipped model {DEFAULT_MODEL} not trained yet")
def test_shipped_model():
    classifier = EmotionClassifier()
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (64, 64), np.uint8), rng.integers(0, 256, (90, 80, 3), np.uint8)]
    scores = classifier.classify(crops)
    assert scores.shape == (2, len(EMOTIONS))
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-4)
    assert (scores >= 0).all()
