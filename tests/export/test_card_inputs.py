"""The model card's example inputs, run as shown for each kind of data: no search, no torch.

A hand-made package (a tiny ONNX model) stands in for an export, with the card fields the
examples read: the data the search used, the input shape and the label column.
"""

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

from autonn.export import load
from autonn.export._card import _plain_inputs, input_file, inputs_example, usage_snippet

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
    card = {
        "dataset": {"name": data},
        "preprocessing": {
            "input_shape": list(input_shape),
            "mean": np.zeros(input_shape).tolist(),
            "std": np.ones(input_shape).tolist(),
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
