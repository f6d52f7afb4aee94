"""Running an exported package: raw inputs in, labels (with probabilities) or values out.

Needs numpy and onnxruntime only (torch is never imported), so a deployment can install just those;
a package trained on a .csv or .parquet also needs pandas, to read and encode raw rows.
Everything it needs to know comes from the package's model_card.json. Inputs are prepared by
autonn/data/_inputs.py, the code every package's standalone predict.py carries too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from autonn.data import _inputs
from autonn.data._inputs import PackageInputs
from autonn.data._tabular import TabularSpec, usage_errors
from autonn.errors import AutonnError, UsageError
from autonn.task import TargetScaling, get_task, predictions, probabilities
from autonn.trial import ARTIFACT

CARD = "model_card.json"


class Predictor(PackageInputs):
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
        super().__init__(pre)
        self.task: str = get_task(self.card.get("task")).name  # no task: a 0.1 classifier
        target = pre.get("target")
        self.target = TargetScaling(**target) if target else None
        self.classes = np.asarray(pre.get("class_values", []))
        self.class_names: tuple[str, ...] = tuple(pre.get("classes", []))
        tabular = pre.get("tabular")
        self.tabular = TabularSpec.from_json(tabular) if tabular else None
        artifact = artifact_of(self.card)
        model = self.path / artifact
        if not model.is_file():
            raise UsageError(f"{self.path} holds no {artifact}; is it an `autonn export` folder?")
        if check_hash:
            expected = self.card["files"][artifact]["sha256"]
            if sha256(model) != expected:
                raise AutonnError(
                    f"{model} does not match the sha256 in {CARD} ({expected[:12]}...): the file "
                    "was changed after export"
                )
        self._run = _runner(model, self.card, threads)

    def __repr__(self) -> str:
        what = f"classes={len(self.classes)}" if self.task == "classification" else self.task
        return f"Predictor({str(self.path)!r}, input_shape={self.input_shape}, {what})"

    def prepare(self, x: Any) -> np.ndarray:
        """Raw inputs as the standardised float32 batch the ONNX model takes."""
        with usage_errors():
            return super().prepare(x)

    def logits(self, x: Any) -> np.ndarray:
        """The model's raw outputs, one row per sample (standardised values for regression)."""
        batch = self.prepare(x)
        if len(batch) == 0:
            return np.zeros((0, max(len(self.classes), 1)), dtype=np.float32)
        return self._run(batch)

    def predict_proba(self, x: Any) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in the order of `classes`."""
        if self.task != "classification":
            raise UsageError(f"{self.path} predicts a {self.task} target: it has no probabilities")
        return probabilities(self.logits(x))

    def predict(self, x: Any) -> np.ndarray:
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

    def predictions_csv(self, x: Any, *, proba: bool = False) -> str:
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

    def read_inputs(self, path: str | Path) -> Any:
        """Raw inputs from a .npz or .csv file, checked against this model's input shape; for a
        tabular package, the rows of a .csv or .parquet as a DataFrame (label column dropped)."""
        with usage_errors():
            return super().read_inputs(path)


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
    with usage_errors():
        return _inputs.read_inputs(path, label_column=label_column, n_features=n_features)


def artifact_of(card: dict) -> str:
    """The package's model file: model.onnx, or the .tflite of a litert or tflm export."""
    return (card.get("target") or {}).get("artifact", ARTIFACT)


def _runner(path: Path, card: dict, threads: int):
    """A function from a standardised batch to the model's outputs, in the runtime the package
    targets: onnxruntime, LiteRT's interpreter, or TensorFlow Lite Micro's (autonn[edge])."""
    target = (card.get("target") or {}).get("name", "onnx")
    if target == "onnx":
        session = _session(path, threads)
        name = session.get_inputs()[0].name
        return lambda batch: session.run(None, {name: batch})[0]
    from autonn.target import get_target

    runtime = get_target(target)
    return lambda batch: runtime.logits(path, batch)


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
