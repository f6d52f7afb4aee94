"""One inference implementation: `autonn.load(folder)` and the package's standalone predict.py
prepare inputs with the same code (autonn/data/_inputs.py, written into predict.py at export), so
they give identical outputs, bit for bit, on the same inputs. Hand-made packages (a tiny ONNX
model, a card written here); no search, no torch, no Ray.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper, numpy_helper

from autonn.data import load_dataset
from autonn.package import load
from autonn.package._package import STANDALONE
from autonn.package._script import script_source, write_script

PANDAS_HINT = "this model takes table rows, which need pandas: pip install pandas"


def _write_package(folder: Path, pre: dict, n_outputs: int, *, task: str | None = None) -> Path:
    """model.onnx (flatten, then a random linear layer), model_card.json and predict.py."""
    folder.mkdir()
    shape = pre["input_shape"]
    w = np.random.default_rng(7).normal(size=(n_outputs, int(np.prod(shape)))).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["input"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "W"], ["logits"], transB=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_outputs])],
        [numpy_helper.from_array(w, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    digest = hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()
    card = {"preprocessing": pre, "files": {"model.onnx": {"sha256": digest}}}
    if task:
        card["task"] = task
    (folder / "model_card.json").write_text(json.dumps(card))
    write_script(folder / STANDALONE)  # as export writes it
    return folder


def _image_package(folder: Path, task: str = "classification") -> Path:
    """One-channel 8x8 images; integer labels, or a regression target."""
    pre = {
        "input_shape": [1, 8, 8],
        "mean": [[[7.5]]],
        "std": [[[4.25]]],
        "label_column": "label",
    }
    if task == "regression":
        pre["target"] = {"mean": 150.0, "std": 75.0}
        return _write_package(folder, pre, 1, task="regression")
    pre |= {"classes": ["3", "5", "7"], "class_values": [3, 5, 7]}
    return _write_package(folder, pre, 3)


def _pets(n: int = 60) -> pd.DataFrame:
    """Text categories, numbers with blanks, a column blank in every row, string labels."""
    rng = np.random.default_rng(0)
    i = np.arange(n)
    return pd.DataFrame(
        {
            "size": np.where(i % 7 == 0, np.nan, rng.normal(5.0, 1.0, n).round(3)),
            "colour": np.where(i % 11 == 0, None, np.array(["red", "green", "blue"])[i % 3]),
            "species": np.array(["cat", "dog", "eel"])[i % 3],
            "weight": np.where(i % 5 == 0, np.nan, rng.normal(50.0, 5.0, n).round(2)),
            "notes": np.full(n, np.nan),
        }
    )


def _tabular_package(tmp_path: Path) -> Path:
    """A package whose card holds the preprocessing autonn fits on a .csv's training split."""
    _pets().to_csv(tmp_path / "pets.csv", index=False)
    data = load_dataset(str(tmp_path / "pets.csv"), label="species")
    pre = {
        "input_shape": list(data.input_shape),
        "mean": data.mean.tolist(),
        "std": data.std.tolist(),
        "classes": list(data.classes),
        "class_values": list(data.classes),
        "label_column": "species",
        "tabular": data.tabular.to_json(),
    }
    return _write_package(tmp_path / "pkg", pre, len(data.classes))


# Raw rows as a user holds them: an unknown category, a row of blanks, a blank category, a value
# in the column that was blank in every training row, and no label column.
NEW_ROWS = (
    "size,colour,weight,notes\n"
    "5.2,purple,48.0,\n"
    ",,,\n"
    "4.1,,55.5,\n"
    "6.3,red,,seen now\n"
    "4.0,blue,49.0,\n"
)


def _module(folder: Path):
    """predict.py imported as a module from its path, as the card's recipe does."""
    spec = importlib.util.spec_from_file_location("predict", folder / STANDALONE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _script(folder: Path, *args: str, pythonpath: Path | None = None, cwd: Path | None = None):
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, str(folder / STANDALONE), *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=60,
    )  # fmt: skip


def _blocked(tmp_path: Path, *names: str) -> Path:
    """A folder for PYTHONPATH in which importing each of `names` fails as if not installed."""
    shim = tmp_path / "shim"
    for name in names:
        (shim / name).mkdir(parents=True)
        (shim / name / "__init__.py").write_text(f'raise ImportError("No module named {name!r}")\n')
    return shim


def _assert_identical(autonn_model, standalone, x) -> None:
    np.testing.assert_array_equal(standalone.prepare(x), autonn_model.prepare(x))
    found = autonn_model.predict(x)
    np.testing.assert_array_equal(standalone.predict(x), found)
    assert standalone.predict(x).dtype == found.dtype
    if autonn_model.task == "classification":
        np.testing.assert_array_equal(standalone.predict_proba(x), autonn_model.predict_proba(x))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_image_model_gives_identical_outputs_in_autonn_and_predict_py(tmp_path, task):
    folder = _image_package(tmp_path / "pkg", task)
    x = np.random.default_rng(1).uniform(0, 16, size=(6, 1, 8, 8))
    model, standalone = load(folder), _module(folder).Model(folder)
    for form in (x, x[:, 0], x.reshape(6, 64), x[0, 0], x[:0]):
        _assert_identical(model, standalone, form)
    np.save(tmp_path / "inputs.npy", x[:, 0])
    proba = ["--proba"] if task == "classification" else []
    done = _script(folder, str(tmp_path / "inputs.npy"), *proba, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == model.predictions_csv(x, proba=bool(proba))


def test_tabular_model_gives_identical_outputs_in_autonn_and_predict_py(tmp_path):
    folder = _tabular_package(tmp_path)
    (tmp_path / "rows.csv").write_text(NEW_ROWS)
    model, standalone = load(folder), _module(folder).Model(folder)
    rows = pd.read_csv(tmp_path / "rows.csv")
    training = pd.read_csv(tmp_path / "pets.csv")  # with its label column, which is ignored
    as_array = training[["size", "colour", "weight", "notes"]].to_numpy(dtype=object)
    for x in (rows, training, as_array, standalone.read_inputs(tmp_path / "rows.csv")):
        _assert_identical(model, standalone, x)
    for path in (tmp_path / "rows.csv", tmp_path / "pets.csv"):
        done = _script(folder, str(path), "--proba", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == model.predictions_csv(model.read_inputs(path), proba=True)
    labels = [line.split(",")[0] for line in done.stdout.splitlines()[1:]]
    assert labels == list(model.predict(training))


def test_tabular_predict_py_without_pandas_says_what_to_install_in_one_line(tmp_path):
    folder = _tabular_package(tmp_path)
    (tmp_path / "rows.csv").write_text(NEW_ROWS)
    shim = _blocked(tmp_path, "pandas")
    done = _script(folder, str(tmp_path / "rows.csv"), pythonpath=shim)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"predict.py: error: {PANDAS_HINT}\n"
    # imported as a module, the same reason, as an ImportError
    code = f"import predict\npredict.Model({str(folder)!r})"
    env = {**os.environ, "PYTHONPATH": str(shim)}
    module = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=folder, env=env
    )
    assert module.returncode == 1
    assert module.stderr.splitlines()[-1] == f"ImportError: {PANDAS_HINT}"


def test_image_predict_py_needs_neither_pandas_nor_autonn(tmp_path):
    folder = _image_package(tmp_path / "pkg")
    x = np.random.default_rng(2).uniform(0, 16, size=(4, 8, 8))
    np.savez(tmp_path / "inputs.npz", x=x)
    shim = _blocked(tmp_path, "pandas", "autonn")
    done = _script(folder, str(tmp_path / "inputs.npz"), pythonpath=shim, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == load(folder).predictions_csv(x)


def test_predict_py_carries_the_input_code_instead_of_importing_autonn():
    source = script_source()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert "autonn" not in imported
    assert {"numpy", "onnxruntime", "pandas"} <= imported
    assert "class PackageInputs:" in source and "def encode(" in source
