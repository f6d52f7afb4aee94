"""A package's inputs: the model card's examples, run as shown for each kind of data, and the
standalone predict.py (numpy and onnxruntime only) against autonn's predictor. No search, no torch.

A hand-made package (a tiny ONNX model) stands in for an export, with the card fields they read:
the data the search used, the input shape, the label column and the preprocessing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from autonn.package import load
from autonn.package._card import _plain_inputs, input_file, inputs_example, usage_snippet
from autonn.package._package import STANDALONE
from autonn.package._script import write_script

N_CLASSES = 3


def _package(folder: Path, data: str, input_shape: tuple[int, ...]) -> dict:
    folder.mkdir()
    n = int(np.prod(input_shape))
    w = np.arange(N_CLASSES * n, dtype=np.float32).reshape(N_CLASSES, n) % 5
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["input"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "W"], ["logits"], transB=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *input_shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", N_CLASSES])],
        [numpy_helper.from_array(w, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    write_script(folder / STANDALONE)  # as export writes it
    card = {
        "dataset": {"name": data},
        "preprocessing": {
            "input_shape": list(input_shape),
            "mean": np.full(input_shape, 0.5).tolist(),
            "std": np.full(input_shape, 2.0).tolist(),
            "classes": ["a", "b", "c"],
            "class_values": ["a", "b", "c"],
            "label_column": "kind",
        },
        "files": {
            "model.onnx": {
                "sha256": hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()
            }
        },
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    return card


def _data(tmp_path: Path, kind: str) -> tuple[str, tuple[int, ...]]:
    """The search's data as the card names it (written to tmp_path), and its input shape."""
    rng = np.random.default_rng(0)
    if kind == "npz":
        np.savez(tmp_path / "mine.npz", x=rng.normal(size=(9, 2, 6)), y=np.arange(9) % 3)
        return "mine.npz", (2, 6)
    if kind == "csv":
        rows = ["f1,kind,f2,f3"] + [f"{i},{'abc'[i % 3]},{i / 2},{-i}" for i in range(9)]
        (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
        return "mine.csv", (3,)
    return kind, {"digits": (1, 8, 8), "wine": (13,), "breast_cancer": (30,)}[kind]


@pytest.mark.parametrize("kind", ["digits", "wine", "npz", "csv"])
def test_the_cards_example_inputs_run_as_shown_and_predict(tmp_path, kind):
    data, shape = _data(tmp_path, kind)
    card = _package(tmp_path / "pkg", data, shape)
    name = input_file(card)
    assert name == ("inputs.csv" if kind == "csv" else "inputs.npz")
    subprocess.run(
        [sys.executable, "-c", inputs_example(card, 5)], cwd=tmp_path, check=True, timeout=60
    )
    model = load(tmp_path / "pkg")
    labels = model.predict_file(tmp_path / name)
    assert len(labels) == 5 and set(labels) <= {"a", "b", "c"}
    # The card's plain onnxruntime code, then the lines that read that file into x.
    plain = usage_snippet(tmp_path / "pkg", card) + "\n".join(_plain_inputs(card))
    done = subprocess.run(
        [sys.executable, "-c", plain], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(labels)  # the same labels, as numpy prints them


def _standalone_module(folder: Path):
    """predict.py imported as a module, from its path (what a user does with importlib)."""
    spec = importlib.util.spec_from_file_location("predict", folder / STANDALONE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def images(tmp_path):
    """A package for one-channel 8x8 images and 6 raw images in every form a user may hold."""
    card = _package(tmp_path / "pkg", "digits", (1, 8, 8))
    x = np.random.default_rng(1).uniform(0, 16, size=(6, 1, 8, 8))
    return tmp_path / "pkg", card, x


@pytest.mark.parametrize("form", ["nchw", "no_channel", "flat", "one_sample"])
def test_standalone_predict_py_as_a_module_agrees_with_autonn(images, form):
    folder, _, x = images
    x = {"nchw": x, "no_channel": x[:, 0], "flat": x.reshape(6, 64), "one_sample": x[0, 0]}[form]
    standalone = _standalone_module(folder).Model()  # the package in predict.py's own folder
    model = load(folder)
    np.testing.assert_array_equal(standalone.predict(x), model.predict(x))
    np.testing.assert_allclose(standalone.predict_proba(x), model.predict_proba(x), rtol=1e-6)


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv", "arr_0.npz"])
def test_standalone_predict_py_as_a_script_prints_what_autonn_predict_prints(
    images, tmp_path, suffix
):
    folder, _, x = images
    path = tmp_path / f"inputs{suffix}"
    if suffix == ".npz":
        np.savez(path, x=x)
    elif suffix == "arr_0.npz":
        np.savez(path, x[:, 0])
    elif suffix == ".npy":
        np.save(path, x.reshape(6, 64))
    else:
        rows = [",".join(["kind"] + [f"p{i}" for i in range(64)])]
        rows += [",".join(["a"] + [repr(float(v)) for v in r]) for r in x.reshape(6, 64)]
        path.write_text("\n".join(rows) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, str(folder / STANDALONE), str(path), "--proba"],
        cwd=elsewhere, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    model = load(folder)
    assert done.stdout == model.predictions_csv(model.read_inputs(path), proba=True)


def test_standalone_predict_py_says_what_is_wrong_in_one_line(images, tmp_path):
    folder, _, _ = images
    np.save(tmp_path / "bad.npy", np.zeros((3, 7)))
    done = subprocess.run(
        [sys.executable, str(folder / STANDALONE), str(tmp_path / "bad.npy")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "predict.py: error: inputs must be shaped (n, 1, 8, 8), (n, 8, 8) or flattened (n, 64), "
        "but got (3, 7)\n"
    )


@pytest.mark.integration
def test_standalone_predict_py_runs_in_a_bare_venv_with_only_numpy_and_onnxruntime(
    images, tmp_path
):
    """A plain venv (no system site-packages) with numpy and onnxruntime from the index pip
    is configured with; PYTHONPATH is dropped so nothing of this checkout leaks in."""
    folder, _, x = images
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
    python = str(venv / "bin" / "python")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "numpy", "onnxruntime"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    if pip.returncode != 0:
        message = f"pip could not install numpy and onnxruntime: {pip.stderr[-1000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    names = {p["name"].lower() for p in json.loads(listed)}
    assert not names & {"autonn", "torch", "pandas", "optuna", "ray"}, names
    np.savez(tmp_path / "inputs.npz", x=x[:, 0])
    model = load(folder)
    expected = model.predictions_csv(x)
    script = subprocess.run(
        [python, "-s", str(folder / STANDALONE), str(tmp_path / "inputs.npz")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert script.returncode == 0, script.stderr
    assert script.stdout == expected
    as_module = (
        "import sys, numpy as np, predict\n"
        "x = np.load(sys.argv[1])['x']\n"
        "print(predict.Model().predict(x).tolist())\n"
        "assert not any(m.split('.')[0] in ('autonn', 'torch') for m in sys.modules)\n"
    )
    module = subprocess.run(
        [python, "-s", "-c", as_module, str(tmp_path / "inputs.npz")],
        capture_output=True, text=True, env=env, cwd=folder, timeout=120,
    )  # fmt: skip
    assert module.returncode == 0, module.stderr
    assert module.stdout.strip() == str(model.predict(x).tolist())
