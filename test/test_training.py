"""Tests of the training package on tiny synthetic FER2013-like data it makes itself."""

import csv
import json
import os

import cv2
import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="tensorflow is not installed (training extra)")
pytest.importorskip("tf2onnx", reason="tf2onnx is not installed (training extra)")

import emotion_ros.preprocessing as shared  # noqa: E402
from emotion_ros.labels import EMOTIONS  # noqa: E402
from training import data as tdata  # noqa: E402
from training.data import DatasetError, load_csv, load_dataset, load_folders  # noqa: E402

PER_CLASS = {"train": 4, "public_test": 2}
TINY = dict(name="tiny", stages=((4,), (8,)), padding="same", batchnorm=True, head="gap",
            dense=(), conv_dropout=0.1, dropout=0.1, l2=0.0, optimizer="adam",
            learning_rate=1e-3, schedule="cosine", warmup_epochs=1, batch_size=8,
            label_smoothing=0.1, zoom=0.1, shift=0.1, rotation_deg=10.0, class_weight=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The same faces as class folders (train/, public_test/) and as fer2013.csv."""
    root = tmp_path_factory.mktemp("fer")
    rng = np.random.RandomState(0)
    rows = []
    for split, usage in (("train", "Training"), ("public_test", "PublicTest")):
        for name in sorted(e.lower() for e in EMOTIONS):
            os.makedirs(root / "folders" / split / name)
            for i in range(PER_CLASS[split]):
                path = str(root / "folders" / split / name / f"{i:03d}.jpg")
                cv2.imwrite(path, rng.randint(0, 256, (48, 48), dtype=np.uint8))
                decoded = cv2.imread(path, cv2.IMREAD_GRAYSCALE)  # JPEG is lossy
                code = [e.lower() for e in EMOTIONS].index(name)
                rows.append((code, " ".join(map(str, decoded.ravel())), usage))
    csv_path = root / "fer2013.csv"
    with open(csv_path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["emotion", "pixels", "Usage"])
        writer.writerows(rows)
    return {"folders": str(root / "folders"), "csv": str(csv_path), "root": root}


def test_training_uses_the_shared_preprocessing():
    assert tdata.preprocess_face is shared.preprocess_face
    assert tdata.preprocess_batch is shared.preprocess_batch


def test_both_layouts_give_the_same_arrays(tiny):
    folders, table = load_folders(tiny["folders"]), load_csv(tiny["csv"])
    assert len(folders) == 7 * sum(PER_CLASS.values())
    np.testing.assert_array_equal(folders.faces, table.faces)
    np.testing.assert_array_equal(folders.labels, table.labels)
    np.testing.assert_array_equal(folders.usage, table.usage)
    assert folders.faces.dtype == np.uint8 and folders.faces.shape[1:] == (48, 48)
    assert load_dataset(str(tiny["root"])).sources == table.sources  # folder with the CSV
    np.testing.assert_array_equal(folders.inputs(), shared.preprocess_batch(list(folders.faces)))


def test_bad_files_are_named(tiny):
    bad = tiny["root"] / "bad"
    os.makedirs(bad / "happy")
    (bad / "happy" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="broken.jpg"):
        load_folders(str(bad))
    os.makedirs(tiny["root"] / "unknown" / "bored")
    with pytest.raises(DatasetError, match="bored"):
        load_folders(str(tiny["root"] / "unknown"))
    short = tiny["root"] / "short.csv"
    short.write_text("emotion,pixels,Usage\n3," + " ".join(["0"] * 2304) + ",Training\n"
                     "3," + " ".join(["0"] * 100) + ",Training\n")
    with pytest.raises(DatasetError, match=r"short.csv, row 3.*2304"):
        load_csv(str(short))
    unknown = tiny["root"] / "code.csv"
    unknown.write_text("emotion,pixels,Usage\n9," + " ".join(["0"] * 2304) + ",Training\n")
    with pytest.raises(DatasetError, match=r"code.csv, row 2.*unknown class"):
        load_csv(str(unknown))


def test_splits_are_deterministic_and_stratified(tiny):
    labels = np.repeat(np.arange(7), [100, 10, 100, 200, 120, 80, 130])
    first = tdata.stratified_split(labels, (0.7, 0.2, 0.1), seed=3)
    second = tdata.stratified_split(labels, (0.7, 0.2, 0.1), seed=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(np.concatenate(first)), np.arange(len(labels)))
    totals = np.bincount(labels)
    for part, share in zip(first, (0.7, 0.2, 0.1)):
        assert np.all(np.abs(np.bincount(labels[part], minlength=7) - share * totals) <= 1)

    data = load_folders(tiny["folders"])
    official = tdata.make_splits(data, "official", val_fraction=0.25, seed=1)
    assert set(official["test"].usage) == {"PublicTest"}
    assert np.all(np.bincount(official["val"].labels, minlength=7) == 1)
    post = tdata.make_splits(data, "post", seed=1)
    assert sum(len(p) for p in post.values()) == len(data)
    assert post["val"].sources == tdata.make_splits(data, "post", seed=1)["val"].sources


def test_seed_model_matches_the_post():
    from training.model import CONFIGS, OUTPUT_NAME, build_model

    model = build_model(CONFIGS["seed"])
    convs = [layer.filters for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    dense = [layer.units for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert convs == [32, 64, 128, 128] and dense == [1024, 7]
    assert model.output_names == [OUTPUT_NAME] and model.output_shape == (None, 7)


def test_train_resume_export_parity(tiny, tmp_path):
    import keras

    from training.model import ModelConfig
    from training.onnx_utils import onnx_predict, onnx_session, to_onnx
    from training.train import train

    config = ModelConfig(**TINY)
    splits = tdata.make_splits(load_folders(tiny["folders"]), "official", 0.25, seed=0)
    out = str(tmp_path / "run")
    state = train(config, splits, out, epochs=1, verbose=0)
    assert state["epoch"] == 1 and os.path.exists(os.path.join(out, "best.keras"))
    state = train(config, splits, out, epochs=2, verbose=0)  # resumes, re-plans the schedule
    assert state["run"]["epochs"] == 2
    with open(os.path.join(out, "state.json")) as stream:
        assert [h["epoch"] for h in json.load(stream)["history"]] == [1, 2]
    assert state["epoch"] == 2

    model = keras.models.load_model(os.path.join(out, "best.keras"), compile=False)
    inputs = splits["test"].inputs()
    for tta in (False, True):
        path = str(tmp_path / f"model{int(tta)}.onnx")
        to_onnx(model, path, tta=tta)
        session = onnx_session(path)
        assert [i.name for i in session.get_inputs()] == ["face"]
        assert [o.name for o in session.get_outputs()] == ["scores"]
        assert session.get_inputs()[0].shape == ["N", 48, 48, 1]
        expected = model.predict(inputs, verbose=0)
        if tta:
            expected = (expected + model.predict(inputs[:, :, ::-1], verbose=0)) / 2
        got = onnx_predict(session, inputs)
        assert np.abs(got - expected).max() < 1e-4
        np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-5)


def test_search_resumes_from_sqlite_and_keeps_its_direction(tiny, tmp_path):
    from training import search

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))
    best = tmp_path / "best.json"
    args = ["--data", tiny["folders"], "--val-fraction", "0.25", "--config", str(config),
            "--storage", f"sqlite:///{tmp_path / 'study.db'}", "--study", "tiny",
            "--objective", "val_crossentropy", "--trials", "2", "--epochs", "1",
            "--figures", str(tmp_path), "--best", str(best), "--threads", "1"]
    search.main(args)
    summary = json.loads(best.read_text())
    assert summary["trials"] == 2 and summary["direction"] == "minimize"
    assert np.isfinite(summary["best_val_crossentropy"]) and set(summary["best_params"]) == {
        "dropout", "learning_rate", "decay", "l2", "kernel_size", "batch_size"}
    search.main(args)  # already complete: resumes without new trials
    assert json.loads(best.read_text())["trials"] == 2
    with pytest.raises(SystemExit, match="minimize"):
        search.main(["val_accuracy" if a == "val_crossentropy" else a for a in args])


def test_int8_copy_is_quantised_and_still_scores(tiny, tmp_path):
    import onnx

    from training.model import ModelConfig, build_model
    from training.onnx_utils import onnx_predict, onnx_session, quantize_int8, to_onnx

    faces = load_folders(tiny["folders"]).inputs()
    source, target = str(tmp_path / "float.onnx"), str(tmp_path / "int8.onnx")
    to_onnx(build_model(ModelConfig(**TINY)), source)
    quantize_int8(source, target, faces[:8])
    assert "QuantizeLinear" in {node.op_type for node in onnx.load(target).graph.node}
    scores = onnx_predict(onnx_session(target), faces)
    assert scores.shape == (len(faces), 7)
    np.testing.assert_allclose(scores.sum(1), 1.0, atol=7 / 255)  # 8-bit softmax outputs
    assert sorted(os.listdir(tmp_path)) == ["float.onnx", "int8.onnx"]


def test_accuracy_latency_table_lists_reports_and_skips_other_json(tmp_path, capsys):
    from training.benchmark import table

    report = tmp_path / "run.json"
    report.write_text(json.dumps({"name": "run", "model": "/m/run.onnx", "training": "1 epoch",
                                  "split": "test", "accuracy": 0.5, "macro_f1": 0.25,
                                  "onnx_latency": {"median_ms": 0.7, "p95_ms": 0.8}}))
    other = tmp_path / "latency.json"
    other.write_text(json.dumps({"onnx": {"median_ms": 0.7}}))
    rows = table([str(report), str(other)]).splitlines()
    assert rows[2:] == [
        "| run | run.onnx | 1 epoch | public_test | 0.5000 | 0.2500 | 0.700 | 0.800 |"]
    assert "skipped" in capsys.readouterr().err


def test_camera_nuisances_clip_highlights_and_shrink_faces_only_in_training():
    from training.train import camera_nuisances

    faces = np.random.RandomState(0).rand(32, 48, 48, 1).astype(np.float32)
    clipped = camera_nuisances(0.0, 1.0, seed=1)(faces, training=True).numpy()
    changed = clipped != faces
    assert changed.any() and np.all(clipped[changed] == 1.0)
    # per face, the values kept are exactly those below the clipping level
    for before, after in zip(faces, clipped):
        level = before[after == 1.0].min() if (after == 1.0).any() else 1.0
        np.testing.assert_array_equal(after[before < level], before[before < level])
    shrunk = camera_nuisances(1.0, 0.0, seed=1)(faces, training=True).numpy()
    assert shrunk.shape == faces.shape and np.abs(shrunk - faces).mean() > 0.05
    np.testing.assert_array_equal(camera_nuisances(1.0, 1.0, seed=1)(faces, training=False), faces)
