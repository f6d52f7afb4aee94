"""Run this autonn package with numpy and onnxruntime only: no autonn, no torch (and pandas, for a
package trained on a .csv or .parquet: it takes raw rows). A .tflite package (a litert or tflm
export) runs in LiteRT's interpreter instead: numpy and ai-edge-litert.

As a script, in any folder (prints CSV like `autonn predict`: a label per row, --proba adds a
probability column per class):

    python predict.py inputs.npz
    python predict.py inputs.csv --proba

As a module, with this folder on sys.path (or loaded with importlib from its path):

    import predict
    model = predict.Model()              # the package in this file's folder, or Model("path")
    model.predict(x)                     # labels, as the training data had them
    model.predict_proba(x)               # (n, n_classes), columns in the order of model.classes

Inputs are raw samples, as the data had them before standardisation (model_card.json holds the
mean and std), batch first: (n, *input_shape), flattened (n, prod(input_shape)), or, where the
input has one channel, without the channel axis. Files: a .npz (array x, or its only array), a
.npy, or a .csv (a header row and the feature columns in training order; the label column is
dropped). Run as a script, it reports an error in one line on stderr and exits with code 2.

A package trained on a .csv or .parquet takes raw rows instead: a pandas DataFrame (or a .csv or
.parquet file) with the training file's columns, text categories and blanks as they were. The
card's preprocessing.tabular spec, fitted on the training split, encodes them: a number column
gives itself (a blank: its median), a category column one 0/1 feature per category (all 0 for a
blank or unknown value), a column blank in all training rows nothing.

autonn writes this file into every package it exports: autonn/package/_standalone.py, with the
code of autonn/data/_inputs.py (PackageInputs: reading, encoding, shapes, standardisation) in
place of its import. That is the very code `autonn.load(folder)` prepares inputs with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

# predict.py holds this module's code instead of the import (autonn/package/_script.py).
from autonn.data._inputs import PackageInputs

HERE = Path(__file__).resolve().parent


class Model(PackageInputs):
    """The ONNX model with the preprocessing its card records (PackageInputs: `prepare(x)`,
    `read_inputs(path)`, `input_shape`, `mean`, `std`)."""

    def __init__(self, folder: str | Path = HERE) -> None:
        folder = Path(folder)
        card = json.loads((folder / "model_card.json").read_text())
        pre = card["preprocessing"]
        super().__init__(pre)
        # A regression package predicts a number: its output is the standardised target.
        self.task = card.get("task", "classification")
        self.target = pre.get("target")
        self.classes = np.asarray(pre.get("class_values", []))
        artifact = (card.get("target") or {}).get("artifact", "model.onnx")
        self.run = (
            _tflite(folder / artifact) if artifact.endswith(".tflite") else _onnx(folder / artifact)
        )

    def logits(self, x: Any) -> np.ndarray:
        batch = self.prepare(x)
        if len(batch) == 0:
            return np.zeros((0, max(len(self.classes), 1)), dtype=np.float32)
        return self.run(batch)

    def predict_proba(self, x: Any) -> np.ndarray:
        if self.task == "regression":
            raise ValueError("this package predicts a regression target: it has no probabilities")
        z = self.logits(x).astype(np.float64)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)

    def predict(self, x: Any) -> np.ndarray:
        """Labels as the training data had them; for regression, the target in its own units."""
        z = self.logits(x)
        if self.task == "regression":
            return z[:, 0].astype(np.float64) * self.target["std"] + self.target["mean"]
        return self.classes[z.argmax(axis=1)]


def _onnx(path: Path):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {name: batch})[0]


def _tflite(path: Path):
    """A .tflite (a litert or tflm export) in LiteRT's interpreter, one sample at a time (its
    batch is 1); int8 inputs and outputs are quantized and dequantized with the file's scales."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ImportError(
            "this model is a .tflite, which needs LiteRT's interpreter: pip install ai-edge-litert"
        ) from None
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(batch: np.ndarray) -> np.ndarray:
        rows = []
        for sample in batch:
            scale, zero = inp["quantization"]
            if scale:
                info = np.iinfo(inp["dtype"])
                sample = np.clip(np.round(sample / scale + zero), info.min, info.max)
            interpreter.set_tensor(inp["index"], sample[None].astype(inp["dtype"]))
            interpreter.invoke()
            y = interpreter.get_tensor(out["index"])[0].astype(np.float32)
            scale, zero = out["quantization"]
            rows.append((y - zero) * scale if scale else y)
        return np.stack(rows)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run this autonn package on a file of raw inputs; prints CSV."
    )
    parser.add_argument(
        "input", help=".npz (array x), .npy, or .csv (.parquet) with the feature columns"
    )
    parser.add_argument("--proba", action="store_true", help="add a probability column per class")
    args = parser.parse_args(argv)
    try:
        model = Model()
        x = model.read_inputs(args.input)
        labels = model.predict(x)
        if model.task == "regression":
            if args.proba:
                raise ValueError("this package predicts a regression target: drop --proba")
            header, rows = ["prediction"], [[f"{v:.6g}"] for v in labels]
        else:
            header = ["label"] + ([f"p_{c}" for c in model.classes] if args.proba else [])
            rows = [[str(label)] for label in labels]
        if args.proba and model.task != "regression":
            for row, p in zip(rows, model.predict_proba(x)):  # noqa: B905 (Python < 3.10 too)
                row += [f"{v:.6g}" for v in p]
    # ImportError: pandas, which a package trained on table rows needs; the message says so.
    except (ValueError, OSError, ImportError) as exc:
        print(f"predict.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    sys.stdout.write("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
