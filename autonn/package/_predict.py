"""Running an exported package: raw inputs in, labels (with probabilities) or values out.

Needs numpy and onnxruntime only (torch is never imported), so a deployment can install just those;
a package trained on a .csv or .parquet also needs pandas, to read and encode raw rows.
Everything it needs to know comes from the package's model_card.json.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import numpy as np

from autonn.data._tabular import TabularSpec, read_table
from autonn.errors import AutonnError, UsageError
from autonn.task import TargetScaling, get_task, predictions, probabilities
from autonn.trial import ARTIFACT

CARD = "model_card.json"


class Predictor:
    """A package with its preprocessing: `predict(x)` labels, `predict_proba(x)` probabilities.

    For a regression package `predict(x)` gives the target in its own units (the card's target
    scaling undone) and there are no probabilities.

    `x` holds raw samples shaped like the training data, batch first: (n, *input_shape), or
    (n, prod(input_shape)) flattened in C order, or one sample shaped `input_shape`. Where the
    input has one channel, (n, 1, H, W) images or (n, 1, L) signals, the channel axis may be left
    out: (n, H, W), or one sample (H, W). The stored standardisation (x - mean) / std is applied
    before the ONNX model runs.

    A package trained on a .csv or .parquet takes raw rows instead: a pandas DataFrame with the
    training file's feature columns (by name; the label column and any other column are ignored),
    text categories and blanks as the file had them, or a 2-D array of those columns in the
    file's order. The card's `preprocessing.tabular` spec (fitted on the training split) encodes
    them: an unknown or blank category gives all zeros, a blank number the column's median.
    """

    def __init__(self, path: str | Path, *, threads: int = 0, check_hash: bool = True) -> None:
        self.path = Path(path)
        self.card = read_card(self.path)
        pre = self.card["preprocessing"]
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in pre["input_shape"])
        self.mean = np.asarray(pre["mean"], dtype=np.float32)
        self.std = np.asarray(pre["std"], dtype=np.float32)
        self.task: str = get_task(self.card.get("task")).name  # no task: a 0.1 classifier
        target = pre.get("target")
        self.target = TargetScaling(**target) if target else None
        self.classes = np.asarray(pre.get("class_values", []))
        self.class_names: tuple[str, ...] = tuple(pre.get("classes", []))
        self.label_column: str | None = pre.get("label_column")
        tabular = pre.get("tabular")
        self.tabular = TabularSpec.from_json(tabular) if tabular else None
        model = self.path / ARTIFACT
        if not model.is_file():
            raise UsageError(f"{self.path} holds no {ARTIFACT}; is it an `autonn export` folder?")
        if check_hash:
            expected = self.card["files"][ARTIFACT]["sha256"]
            if sha256(model) != expected:
                raise AutonnError(
                    f"{model} does not match the sha256 in {CARD} ({expected[:12]}...): the file "
                    "was changed after export"
                )
        self._session = _session(model, threads)
        self._input = self._session.get_inputs()[0].name

    def __repr__(self) -> str:
        what = f"classes={len(self.classes)}" if self.task == "classification" else self.task
        return f"Predictor({str(self.path)!r}, input_shape={self.input_shape}, {what})"

    def logits(self, x) -> np.ndarray:
        """The model's raw outputs, one row per sample (standardised values for regression)."""
        batch = self.prepare(x)
        if len(batch) == 0:
            return np.zeros((0, max(len(self.classes), 1)), dtype=np.float32)
        return self._session.run(None, {self._input: batch})[0]

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in the order of `classes`."""
        if self.task != "classification":
            raise UsageError(f"{self.path} predicts a {self.task} target: it has no probabilities")
        return probabilities(self.logits(x))

    def predict(self, x) -> np.ndarray:
        """The most probable class of each sample, as the label values the data had; or, for
        regression, the target in its own units."""
        return self.to_predictions(self.logits(x))

    def to_predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Raw model outputs -> labels, or target values in their own units."""
        found = predictions(self.task, outputs, self.target)
        return found if self.task == "regression" else self.classes[found]

    def predict_file(self, path: str | Path) -> np.ndarray:
        """`predict` on the inputs of a .npz (array `x`) or a .csv (see `read_inputs`)."""
        return self.predict(self.read_inputs(path))

    def predictions_csv(self, x, *, proba: bool = False) -> str:
        """CSV text, one row per sample: the label, then (with `proba`) one probability per class
        in columns named p_<class>; for regression one column, `prediction`, in the target's units.
        What `autonn predict` prints."""
        found = self.predict(x)
        if self.task == "regression":
            if proba:
                raise UsageError(f"{self.path} predicts a {self.task} target: drop --proba")
            rows = [[f"{v:.6g}"] for v in found]
            return "\n".join(",".join(r) for r in [["prediction"], *rows]) + "\n"
        header = ["label"]
        rows = [[str(label)] for label in found]
        if proba:
            header += [f"p_{c}" for c in self.classes]
            for row, p in zip(rows, self.predict_proba(x), strict=True):
                row += [f"{v:.6g}" for v in p]
        return "\n".join(",".join(r) for r in [header, *rows]) + "\n"

    def read_inputs(self, path: str | Path):
        """Raw inputs from a .npz or .csv file, checked against this model's input shape; for a
        tabular package, the rows of a .csv or .parquet as a DataFrame (label column dropped)."""
        if self.tabular is not None and Path(path).suffix in (".csv", ".parquet"):
            return self.read_rows(path)
        return read_inputs(path, label_column=self.label_column, n_features=self.n_features)

    def read_rows(self, path: str | Path):
        """The rows of a .csv or .parquet, as raw as the training file's (pandas)."""
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"input file {path} does not exist")
        text = [c.name for c in self.tabular.columns if c.kind == "category"]
        frame = read_table(path, text_columns=text)
        return frame.drop(columns=[self.label_column], errors="ignore")

    @property
    def n_features(self) -> int:
        return math.prod(self.input_shape)

    def prepare(self, x) -> np.ndarray:
        """Raw inputs as the standardised float32 batch the ONNX model takes."""
        if self.tabular is not None:
            x = self.tabular.encode(rows_frame(x, self.tabular.names))
        x = np.asarray(x)
        if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise UsageError(f"inputs must be numeric, but have dtype {x.dtype}")
        shape = self.input_shape
        # One channel: (H, W) images or (L,) signals are unambiguous without the channel axis.
        bare = shape[1:] if len(shape) > 1 and shape[0] == 1 else None
        if x.shape == shape:
            x = x[None]
        elif bare is not None and x.shape == bare:
            x = x.reshape((1, *shape))
        elif x.ndim == 2 and x.shape[1] == self.n_features and len(shape) > 1:
            x = x.reshape((len(x), *shape))
        elif bare is not None and x.shape[1:] == bare:
            x = x[:, None]
        if x.shape[1:] != shape:
            forms = [_shape_text(shape)]
            if bare is not None:
                forms.append(_shape_text(bare))
            flat = f" or flattened (n, {self.n_features})" if len(shape) > 1 else ""
            raise UsageError(f"inputs must be shaped {', '.join(forms)}{flat}, but got {x.shape}")
        bad = int((~np.isfinite(x)).sum()) if np.issubdtype(x.dtype, np.floating) else 0
        if bad:
            raise UsageError(f"inputs hold {bad} NaN or infinite values")
        return np.ascontiguousarray((x.astype(np.float32) - self.mean) / self.std, np.float32)


def rows_frame(x, names: list[str]):
    """Raw rows as a DataFrame: one as it is, or an array (or list) of rows in `names` order."""
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return x
    if isinstance(x, pd.Series):
        return x.to_frame().T
    rows = np.asarray(x, dtype=object)
    if rows.ndim == 1:
        rows = rows[None]
    if rows.ndim != 2 or rows.shape[1] != len(names):
        raise UsageError(
            f"rows must be a DataFrame with columns {names}, or shaped (n, {len(names)}) in that "
            f"order, but got shape {rows.shape}"
        )
    return pd.DataFrame(rows, columns=names)


def load(path: str | Path, *, threads: int = 0) -> Predictor:
    """Open a folder written by `autonn.export.export` (or `autonn export`)."""
    return Predictor(path, threads=threads)


def read_card(path: str | Path) -> dict:
    path = Path(path)
    card = path / CARD
    if not card.is_file():
        what = "does not exist" if not path.exists() else f"holds no {CARD}"
        raise UsageError(f"{path} {what}; give the folder `autonn export` wrote")
    try:
        data = json.loads(card.read_text())
        data["preprocessing"]["input_shape"]  # noqa: B018  (a card without it is not ours)
        return data
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{card} is not an autonn model card: {exc}") from exc


def read_inputs(
    path: str | Path, *, label_column: str | None = "label", n_features: int | None = None
) -> np.ndarray:
    """Raw inputs from `path`: a .npy array, a .npz with array `x` (or a single array of any
    name), or a .csv of numeric columns in training order, with or without a header row (a
    column named `label_column` is dropped, so the training .csv itself is a valid input)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"input file {path} does not exist")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (ValueError, OSError) as exc:
            raise UsageError(f"cannot read {path} as .npz: {exc}") from exc
        if "x" in arrays:
            return arrays["x"]
        if len(arrays) == 1:  # np.savez(path, x) names it arr_0
            return next(iter(arrays.values()))
        raise UsageError(f"{path} has arrays {sorted(arrays)}; it needs one named 'x'")
    if path.suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise UsageError(f"cannot read {path} as .npy: {exc}") from exc
    if path.suffix == ".csv":
        return _read_csv(path, label_column, n_features)
    raise UsageError(f"inputs must be a .npy, a .npz (array x) or a .csv file, but got {path.name}")


def _read_csv(path: Path, label_column: str | None, n_features: int | None) -> np.ndarray:
    with path.open(newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise UsageError(f"{path} holds no rows")
    header = [c.strip() for c in rows[0]]
    has_header = not all(_is_number(c) for c in header)
    body = rows[1:] if has_header else rows
    keep = list(range(len(header)))
    if has_header and label_column and label_column in header:
        keep.remove(header.index(label_column))
    if n_features is not None and len(keep) != n_features:
        names = f" ({', '.join(header[i] for i in keep)})" if has_header else ""
        raise UsageError(
            f"{path}: the model takes {n_features} feature columns, but the file has "
            f"{len(keep)}{names}"
        )
    x = np.empty((len(body), len(keep)), dtype=np.float64)
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise UsageError(f"{path}: row {i + 1} has {len(row)} columns, the first {len(header)}")
        for j, col in enumerate(keep):
            try:
                x[i, j] = float(row[col])
            except ValueError:
                name = header[col] if has_header else f"column {col + 1}"
                raise UsageError(
                    f"{path}: {name} must be numeric, but row {i + 1} has {row[col]!r}"
                ) from None
    return x


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"(n, {', '.join(map(str, shape))})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's default (one per core)
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise AutonnError(f"onnxruntime cannot load {path}: {exc}") from exc


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
