"""The predictor on a hand-made package: a tiny ONNX model and a card written here (no search)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from autonn.errors import AutonnError, UsageError
from autonn.package import Predictor, load, read_inputs

# logits = flatten((x - mean) / std) @ W.T: class k scores feature k, class 2 scores -feature 0
W = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [-1, 0, 0, 0]], dtype=np.float32)
MEAN, STD = 10.0, 2.0


def _package(folder: Path, classes: list[str], values: list, *, w: np.ndarray = W) -> Path:
    folder.mkdir()
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["input"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "W"], ["logits"], transB=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 2, 2])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(w)])],
        [numpy_helper.from_array(w, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    digest = hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()
    card = {
        "preprocessing": {
            "input_shape": [1, 2, 2],
            "mean": [[[MEAN]]],
            "std": [[[STD]]],
            "classes": classes,
            "class_values": values,
            "label_column": "species",
        },
        "files": {"model.onnx": {"sha256": digest}},
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder


@pytest.fixture
def package(tmp_path) -> Path:
    return _package(tmp_path / "pkg", ["cat", "dog", "eel"], ["cat", "dog", "eel"])


def _raw(features: list[list[float]]) -> np.ndarray:
    """Raw samples whose standardised features are `features`."""
    return (np.asarray(features, dtype=np.float32) * STD + MEAN).reshape(-1, 1, 2, 2)


def test_predict_standardises_then_returns_the_class_names(package):
    model = load(package)
    x = _raw([[3, 0, 0, 0], [0, 3, 0, 0], [-3, 0, 0, 0]])
    assert model.predict(x).tolist() == ["cat", "dog", "eel"]
    assert model.classes.tolist() == ["cat", "dog", "eel"]
    assert model.input_shape == (1, 2, 2)
    # unstandardised, every raw sample has a large first feature: it would all be "cat"
    assert model.predict(x).tolist() != ["cat"] * 3


def test_predict_proba_is_softmax_of_the_logits(package):
    model = load(package)
    x = _raw([[1, 2, 0, 0], [0, 0, 5, 5]])
    p = model.predict_proba(x)
    z = np.array([[1, 2, -1], [0, 0, 0]], dtype=np.float64)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-5)
    assert p.shape == (2, 3) and p.dtype == np.float32
    assert model.predict(x).tolist() == model.classes[p.argmax(axis=1)].tolist()


def test_integer_labels_come_back_as_ints(tmp_path):
    model = load(_package(tmp_path / "ints", ["3", "5", "7"], [3, 5, 7]))
    labels = model.predict(_raw([[0, 1, 0, 0]]))
    assert labels.tolist() == [5] and np.issubdtype(labels.dtype, np.integer)


def _regression_package(folder: Path) -> Path:
    """One output, the standardised target = the first standardised feature; target 100 + 20 z."""
    folder = _package(folder, [], [], w=W[:1])
    card = json.loads((folder / "model_card.json").read_text())
    card["task"] = "regression"
    pre = card["preprocessing"]
    del pre["classes"], pre["class_values"]
    pre["target"] = {"mean": 100.0, "std": 20.0}
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder


def test_regression_predictions_come_back_in_the_targets_units(tmp_path):
    model = load(_regression_package(tmp_path / "reg"))
    x = _raw([[1, 0, 0, 0], [-2, 5, 5, 5]])
    assert model.task == "regression"
    np.testing.assert_allclose(model.predict(x), [120.0, 60.0], rtol=1e-6)
    assert model.predictions_csv(x) == "prediction\n120\n60\n"
    with pytest.raises(UsageError, match="regression target: it has no probabilities"):
        model.predict_proba(x)
    with pytest.raises(UsageError, match="drop --proba"):
        model.predictions_csv(x, proba=True)


def test_flattened_rows_and_a_single_sample_are_accepted(package):
    model = load(package)
    x = _raw([[3, 0, 0, 0], [0, 3, 0, 0]])
    assert model.predict(x.reshape(2, 4)).tolist() == ["cat", "dog"]
    assert model.predict(x[1]).tolist() == ["dog"]
    assert model.predict(np.zeros((0, 1, 2, 2))).shape == (0,)


def test_one_channel_images_may_leave_out_the_channel_axis(package):
    model = load(package)
    x = _raw([[3, 0, 0, 0], [0, 3, 0, 0]])  # (2, 1, 2, 2)
    assert model.predict(x[:, 0]).tolist() == ["cat", "dog"]  # (2, 2, 2), as digits.images
    assert model.predict(x[1, 0]).tolist() == ["dog"]  # one sample (2, 2)
    np.testing.assert_array_equal(model.prepare(x[:, 0]), model.prepare(x))


@pytest.mark.parametrize("shape", [(5, 3), (5, 3, 2), (5, 1, 2, 3), (5, 2, 2, 2), (4,)])
def test_wrong_input_shape_names_expected_and_got(package, shape):
    with pytest.raises(UsageError) as info:
        load(package).predict(np.zeros(shape))
    assert str(info.value) == (
        f"inputs must be shaped (n, 1, 2, 2), (n, 2, 2) or flattened (n, 4), but got {shape}"
    )


def test_non_finite_or_text_inputs_are_rejected(package):
    model = load(package)
    x = _raw([[0, 0, 0, 0]])
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(UsageError, match="1 NaN or infinite"):
        model.predict(x)
    with pytest.raises(UsageError, match="must be numeric"):
        model.predict(np.array([["a"] * 4]))


def test_predictions_csv_prints_labels_and_probabilities(package):
    model = load(package)
    x = _raw([[3, 0, 0, 0], [0, 3, 0, 0]])
    assert model.predictions_csv(x) == "label\ncat\ndog\n"
    lines = model.predictions_csv(x, proba=True).splitlines()
    assert lines[0] == "label,p_cat,p_dog,p_eel"
    assert lines[1].split(",")[0] == "cat"
    values = np.array([float(v) for v in lines[1].split(",")[1:]])
    np.testing.assert_allclose(values, model.predict_proba(x[:1])[0], rtol=1e-5)


def test_csv_drops_the_label_column_and_keeps_training_order(package, tmp_path):
    x = _raw([[3, 0, 0, 0], [0, 3, 0, 0], [-3, 0, 0, 0]]).reshape(3, 4)
    path = tmp_path / "in.csv"
    rows = ["a,b,species,c,d"] + [f"{r[0]},{r[1]},whatever,{r[2]},{r[3]}" for r in x]
    path.write_text("\n".join(rows) + "\n")
    model = load(package)
    assert model.predict_file(path).tolist() == ["cat", "dog", "eel"]
    # a header-less file of the features only works too
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(",".join(map(str, r)) for r in x))
    np.testing.assert_array_equal(model.read_inputs(plain), x)


def test_npz_takes_array_x_or_its_only_array(package, tmp_path):
    x = _raw([[0, 3, 0, 0]])
    np.savez(tmp_path / "in.npz", x=x, y=np.array([1]))  # a training .npz works as it is
    assert load(package).predict_file(tmp_path / "in.npz").tolist() == ["dog"]
    np.savez(tmp_path / "one.npz", x[:, 0])  # stored as arr_0, without the channel axis
    assert load(package).predict_file(tmp_path / "one.npz").tolist() == ["dog"]
    np.savez(tmp_path / "bad.npz", inputs=x, more=x)
    with pytest.raises(UsageError, match=r"has arrays \['inputs', 'more'\]; it needs one named"):
        read_inputs(tmp_path / "bad.npz")


def test_npy_is_the_array_itself(package, tmp_path):
    np.save(tmp_path / "in.npy", _raw([[0, 3, 0, 0], [3, 0, 0, 0]]).reshape(2, 4))
    assert load(package).predict_file(tmp_path / "in.npy").tolist() == ["dog", "cat"]
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(UsageError, match="cannot read .* as .npy"):
        read_inputs(tmp_path / "bad.npy")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c\n1,2,3\n", r"takes 4 feature columns, but the file has 3 \(a, b, c\)"),
        ("a,b,c,d,label\n1,2,3,4,0\n", "takes 4 feature columns, but the file has 5"),
        ("a,b,c,d\n1,2,x,4\n", "c must be numeric, but row 1 has 'x'"),
        ("a,b,c,d\n1,2,3\n", "row 1 has 3 columns"),
    ],
)
def test_bad_csv_says_what_is_wrong(package, tmp_path, text, message):
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load(package).predict_file(path)


def test_other_input_files_are_usage_errors(package, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        read_inputs(tmp_path / "none.npz")
    (tmp_path / "in.txt").write_text("1 2 3 4")
    with pytest.raises(UsageError, match="must be a .npy, a .npz"):
        read_inputs(tmp_path / "in.txt")


def test_a_changed_model_file_is_refused(package):
    with (package / "model.onnx").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(AutonnError, match="does not match the sha256"):
        Predictor(package)


def test_a_folder_that_is_not_a_package_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load(tmp_path / "missing")
    with pytest.raises(UsageError, match="holds no model_card.json"):
        load(tmp_path)
    (tmp_path / "model_card.json").write_text("{}")
    with pytest.raises(UsageError, match="is not an autonn model card"):
        load(tmp_path)


def test_predicting_never_imports_torch(package):
    code = (
        "import sys, numpy as np\n"
        "from autonn.package import load\n"
        f"p = load({str(package)!r})\n"
        "print(p.predict(np.zeros((2, 1, 2, 2))).tolist())\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['eel', 'eel']"  # standardised -5 in feature 0
