"""Run this autonn package with numpy and onnxruntime only: no autonn, no torch (and pandas, for a
package trained on a .csv or .parquet: it takes raw rows).

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
dropped).

A package trained on a .csv or .parquet takes raw rows instead: a pandas DataFrame (or a .csv or
.parquet file) with the training file's columns, text categories and blanks as they were. The
card's preprocessing.tabular spec, fitted on the training split, encodes them: a number column
gives itself (a blank: its median), a category column one 0/1 feature per category (all 0 for a
blank or unknown value), a column blank in all training rows nothing.

autonn writes this file into every package it exports (autonn/export/_standalone.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent


class Model:
    """The ONNX model with the preprocessing its card records."""

    def __init__(self, folder: str | Path = HERE) -> None:
        folder = Path(folder)
        card = json.loads((folder / "model_card.json").read_text())
        pre = card["preprocessing"]
        self.input_shape = tuple(int(d) for d in pre["input_shape"])
        self.mean = np.asarray(pre["mean"], dtype=np.float32)
        self.std = np.asarray(pre["std"], dtype=np.float32)
        # A regression package predicts a number: its output is the standardised target.
        self.task = card.get("task", "classification")
        self.target = pre.get("target")
        self.classes = np.asarray(pre.get("class_values", []))
        self.label_column = pre.get("label_column")
        self.tabular = pre.get("tabular")  # raw rows -> features; see the docstring
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    @property
    def n_features(self) -> int:
        return math.prod(self.input_shape)

    def prepare(self, x) -> np.ndarray:
        """Raw inputs as the standardised float32 batch the ONNX model takes."""
        if self.tabular:
            x = encode(_frame(x, [c["name"] for c in self.tabular["columns"]]), self.tabular)
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise ValueError(f"inputs must be numeric, but have dtype {x.dtype}")
        shape = self.input_shape
        bare = shape[1:] if len(shape) > 1 and shape[0] == 1 else None  # one channel
        if x.shape == shape:
            x = x[None]
        elif bare is not None and x.shape == bare:
            x = x.reshape((1, *shape))
        elif x.ndim == 2 and x.shape[1] == self.n_features and len(shape) > 1:
            x = x.reshape((len(x), *shape))
        elif bare is not None and x.shape[1:] == bare:
            x = x[:, None]
        if x.shape[1:] != shape:
            forms = [_shape_text(shape)] + ([_shape_text(bare)] if bare is not None else [])
            flat = f" or flattened (n, {self.n_features})" if len(shape) > 1 else ""
            raise ValueError(f"inputs must be shaped {', '.join(forms)}{flat}, but got {x.shape}")
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            raise ValueError(f"inputs hold {int((~np.isfinite(x)).sum())} NaN or infinite values")
        return np.ascontiguousarray((x.astype(np.float32) - self.mean) / self.std, np.float32)

    def logits(self, x) -> np.ndarray:
        batch = self.prepare(x)
        if len(batch) == 0:
            return np.zeros((0, max(len(self.classes), 1)), dtype=np.float32)
        return self.session.run(None, {self.input_name: batch})[0]

    def predict_proba(self, x) -> np.ndarray:
        if self.task == "regression":
            raise ValueError("this package predicts a regression target: it has no probabilities")
        z = self.logits(x).astype(np.float64)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)

    def predict(self, x) -> np.ndarray:
        """Labels as the training data had them; for regression, the target in its own units."""
        z = self.logits(x)
        if self.task == "regression":
            return z[:, 0].astype(np.float64) * self.target["std"] + self.target["mean"]
        return self.classes[z.argmax(axis=1)]

    def read_inputs(self, path: str | Path):
        if self.tabular and Path(path).suffix in (".csv", ".parquet"):
            import pandas as pd

            if Path(path).suffix == ".parquet":
                frame = pd.read_parquet(path)
            else:  # category names such as "1" stay text
                text = [c["name"] for c in self.tabular["columns"] if c["kind"] == "category"]
                frame = pd.read_csv(path, dtype={c: str for c in text} or None)
            return frame.drop(columns=[self.label_column], errors="ignore")
        return read_inputs(path, label_column=self.label_column)


def _frame(x, names):
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return x
    rows = np.asarray(x, dtype=object)
    rows = rows[None] if rows.ndim == 1 else rows
    if rows.ndim != 2 or rows.shape[1] != len(names):
        raise ValueError(f"rows must be a DataFrame with columns {names}, got shape {rows.shape}")
    return pd.DataFrame(rows, columns=names)


def encode(frame, tabular) -> np.ndarray:
    """Raw rows -> features before standardisation (autonn/data/_tabular.py's `encode`)."""
    import pandas as pd

    columns = tabular["columns"]
    missing = [c["name"] for c in columns if c["kind"] != "empty" and c["name"] not in frame]
    if missing:
        raise ValueError(f"the rows lack the model's columns {missing}")
    blocks = []
    for col in columns:
        values = frame[col["name"]] if col["kind"] != "empty" else None
        if col["kind"] == "number":
            blank = values.isna() | (values.astype(str).str.strip() == "")
            numbers = pd.to_numeric(values.where(~blank), errors="coerce")
            bad = numbers.isna() & ~blank
            if bad.any():
                raise ValueError(
                    f"column {col['name']!r} must be numeric, but holds {values[bad].iloc[0]!r}"
                )
            blocks.append(numbers.fillna(col["median"]).to_numpy(np.float64)[:, None])
        elif col["kind"] == "category":
            text = values.astype(str).str.strip().where(values.notna(), None)
            hot = [(text == c).to_numpy() for c in col["categories"]]
            blocks.append(np.stack(hot, axis=1).astype(np.float64))
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0))


def read_inputs(path: str | Path, *, label_column: str | None = "label") -> np.ndarray:
    """Raw inputs from a .npz (array x, or its only array), a .npy or a .csv."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"input file {path} does not exist")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            if "x" in npz.files:
                return npz["x"]
            if len(npz.files) == 1:
                return npz[npz.files[0]]
            raise ValueError(f"{path} has arrays {sorted(npz.files)}; it needs one named 'x'")
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
        if not rows:
            raise ValueError(f"{path} holds no rows")
        header = [c.strip() for c in rows[0]]
        has_header = not all(_is_number(c) for c in header)
        keep = [i for i, name in enumerate(header) if not (has_header and name == label_column)]
        body = rows[1:] if has_header else rows
        try:
            return np.array([[float(r[i]) for i in keep] for r in body], dtype=np.float64)
        except (ValueError, IndexError) as exc:
            raise ValueError(
                f"{path}: every row needs the numeric feature columns ({exc})"
            ) from None
    raise ValueError(f"inputs must be a .npy, a .npz (array x) or a .csv file, but got {path.name}")


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
    except (ValueError, OSError) as exc:
        print(f"predict.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    sys.stdout.write("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return 0


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"(n, {', '.join(map(str, shape))})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
