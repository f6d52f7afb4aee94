"""Checking a package before it ships.

1. The metric: the staged package is loaded as a user would load it (`Predictor`: model_card.json's
   standardisation, then onnxruntime, then labels or the target's units) and its predictions on the
   raw test split, rebuilt from the search's data, seed, label column and task, are scored with the
   search's metric. The score must be within the metric's tolerance of the test score the search
   stored for the trial: 0.005 (0.5 points of accuracy) for accuracy, balanced_accuracy, f1_macro
   and r2; 0.5% of the stored value for rmse and mae, which are in the target's units.
2. Equivalence (fp32 trials only): model.pt2, loaded with `torch.export.load(...).module()`, and
   model.onnx must give the same logits on the same standardised test inputs within
   `np.allclose(rtol=LOGITS_RTOL, atol=LOGITS_ATOL)`. A quantized artifact is meant to differ from
   its fp32 program, so for those the share of test samples on which both give the same label
   (classification), or their largest prediction difference (regression), is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autonn.data import Dataset, load_dataset
from autonn.errors import AutonnError, UsageError
from autonn.package._predict import Predictor, artifact_of
from autonn.task import get_metric

ACCURACY_TOLERANCE = 0.005  # the tolerance of accuracy-like metrics; see Metric.tolerance
LOGITS_ATOL = 1e-4
LOGITS_RTOL = 1e-4


class VerificationFailed(AutonnError):
    """The package does not reproduce what the search measured; nothing was written."""


@dataclass
class Verification:
    metric: str
    test_score: float
    stored_test_score: float
    samples: int
    max_abs_diff: float | None = None  # model.pt2 vs model.onnx outputs (fp32 trials)
    label_agreement: float | None = None  # model.pt2 vs model.onnx labels (quantized classifiers)
    max_prediction_diff: float | None = None  # the same for quantized regressors, target units
    compared: int = 0
    summary: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            f"test_{m}": self.test_score,
            f"stored_test_{m}": self.stored_test_score,
            f"{m}_tolerance": get_metric(m).tolerance(self.stored_test_score),
            "test_samples": self.samples,
            "pt2_vs_onnx": {
                "rtol": LOGITS_RTOL,
                "atol": LOGITS_ATOL,
                "max_abs_diff": self.max_abs_diff,
                "label_agreement": self.label_agreement,
                "max_prediction_diff": self.max_prediction_diff,
                "samples": self.compared,
            },
            "summary": self.summary,
        }


def rebuild_data(config: dict[str, Any], data: str | None = None) -> Dataset:
    """The search's exact splits (same data, seed and label column), checked against its record."""
    spec = data or config.get("data")
    if not spec:
        raise UsageError("the search records no data; pass the data it used (--data)")
    try:
        dataset = load_dataset(
            spec,
            seed=int(config.get("seed", 0)),
            label=config.get("label", "label"),
            task=config.get("task") or "classification",  # searches before tasks classified
        )
    except UsageError as exc:
        raise UsageError(
            f"cannot rebuild the search's test split to verify the export: {exc}; if the data "
            "moved, point --data at it"
        ) from exc
    recorded = config.get("dataset") or {}
    got = dataset.summary()
    changed = [
        f"{key} {recorded[key]} -> {got[key]}"
        for key in ("input_shape", "classes", "train", "val", "test")
        if key in recorded and recorded[key] != got[key]
    ]
    if changed:
        raise VerificationFailed(
            f"the data {spec!r} is not what the search trained on ({'; '.join(changed)}), so its "
            "test split cannot verify the export"
        )
    # Same shapes and counts can still be other values: an edited file, or rows in another order.
    # Searches before 0.3 stored no hash; for them the counts above are all there is.
    stored_hash = config.get("split_hash")
    if stored_hash and stored_hash != dataset.split_hash:
        raise UsageError(
            f"the data {spec!r} holds other values than the search trained on (the hash of its "
            f"splits is {dataset.split_hash[:12]}..., the search stored {stored_hash[:12]}...); "
            "point --data at the unchanged file"
        )
    return dataset


def verify(
    package: Path,
    dataset: Dataset,
    *,
    stored_test_score: float,
    fp32: bool,
    metric: str,
    runtime: str = "onnxruntime",
) -> Verification:
    """Score the staged package as a user would load it, in the target's own `runtime`."""
    m = get_metric(metric)
    predictor = Predictor(package, threads=1)
    artifact = artifact_of(predictor.card)
    # What a user would feed the predictor: the test split's raw rows (a .csv or .parquet), or its
    # standardisation undone.
    raw = dataset.raw_test if dataset.tabular else dataset.x_test * dataset.std + dataset.mean
    got = m(_truth(predictor, dataset), predictor.predict(raw))
    result = Verification(metric, got, stored_test_score, samples=len(dataset.y_test))
    allowed = m.tolerance(stored_test_score)
    if abs(got - stored_test_score) > allowed:
        raise VerificationFailed(
            f"the exported {artifact} scores {metric} {m.format(got)} in {runtime} on the rebuilt "
            "test split, "
            f"but the search stored {m.format(stored_test_score)} for this trial (allowed "
            f"difference {allowed:.3g}); the artifact or the data changed since the search"
        )
    result.summary.append(
        f"{artifact}, run in {runtime} through model_card.json's preprocessing, scores {metric} "
        f"{m.format(got)} on the {result.samples} raw test samples; the search stored "
        f"{m.format(stored_test_score)} (must agree within {allowed:.3g})"
    )
    _compare_program(package, predictor, raw, result, fp32, artifact)
    return result


def _truth(predictor: Predictor, dataset: Dataset) -> np.ndarray:
    """The test split's labels as the package names them, or its targets in their own units."""
    if dataset.task == "regression":
        return dataset.y_test
    return predictor.classes[dataset.y_test]


def _compare_program(
    package: Path, predictor: Predictor, raw, result: Verification, fp32: bool, artifact: str
):
    logits = predictor.logits(raw)
    x = predictor.prepare(raw)
    torch_logits, compared = _program_logits(package / "model.pt2", x)
    onnx_logits = logits[:compared]
    result.compared = compared
    if fp32:
        result.max_abs_diff = float(np.abs(torch_logits - onnx_logits).max(initial=0.0))
        if not np.allclose(torch_logits, onnx_logits, rtol=LOGITS_RTOL, atol=LOGITS_ATOL):
            raise VerificationFailed(
                f"model.pt2 and {artifact} disagree on the test split: max |output difference| "
                f"{result.max_abs_diff:.3g} exceeds atol {LOGITS_ATOL} + rtol {LOGITS_RTOL}"
            )
        result.summary.append(
            f"model.pt2 and {artifact} outputs agree on {compared} test samples within "
            f"atol {LOGITS_ATOL:g} + rtol {LOGITS_RTOL:g} (max |difference| "
            f"{result.max_abs_diff:.2g})"
        )
    elif predictor.task == "regression":
        diff = np.abs(
            predictor.to_predictions(torch_logits) - predictor.to_predictions(onnx_logits)
        )
        result.max_prediction_diff = float(diff.max(initial=0.0))
        result.summary.append(
            f"{artifact} is quantized, so its outputs are not held to the fp32 model.pt2's; their "
            f"predictions differ by at most {result.max_prediction_diff:.4g} on {compared} test "
            "samples"
        )
    else:
        same = torch_logits.argmax(axis=1) == onnx_logits.argmax(axis=1)
        result.label_agreement = float(same.mean())
        result.summary.append(
            f"{artifact} is quantized, so its logits are not compared with the fp32 model.pt2; "
            f"both give the same label on {result.label_agreement:.1%} of {compared} test samples"
        )


def _program_logits(path: Path, x: np.ndarray) -> tuple[np.ndarray, int]:
    import torch

    try:
        module = torch.export.load(str(path)).module()
    except Exception as exc:
        raise VerificationFailed(f"torch cannot load {path.name}: {exc}") from exc
    with torch.no_grad():
        try:
            return module(torch.from_numpy(x)).numpy(), len(x)
        except Exception as exc:
            raise VerificationFailed(f"{path.name} does not run on the test inputs: {exc}") from exc
