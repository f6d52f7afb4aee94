"""Checking a package before it ships.

1. Accuracy: the staged package is loaded as a user would load it (`Predictor`: model_card.json's
   standardisation, then onnxruntime) and run on the raw test split, rebuilt from the search's data,
   seed and label column. Its accuracy must be within ACCURACY_TOLERANCE (0.5 points) of the test
   accuracy the search stored for the trial.
2. Equivalence (fp32 trials only): model.pt2, loaded with `torch.export.load(...).module()`, and
   model.onnx must give the same logits on the same standardised test inputs within
   `np.allclose(rtol=LOGITS_RTOL, atol=LOGITS_ATOL)`. A quantized artifact is meant to differ from
   its fp32 program, so for those the share of test samples on which both give the same label is
   reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autonn.data import Dataset, load_dataset
from autonn.errors import AutonnError, UsageError
from autonn.export._predict import Predictor

ACCURACY_TOLERANCE = 0.005
LOGITS_ATOL = 1e-4
LOGITS_RTOL = 1e-4


class VerificationFailed(AutonnError):
    """The package does not reproduce what the search measured; nothing was written."""


@dataclass
class Verification:
    test_accuracy: float
    stored_test_accuracy: float
    samples: int
    max_abs_diff: float | None = None  # model.pt2 vs model.onnx logits (fp32 trials)
    label_agreement: float | None = None  # model.pt2 vs model.onnx labels (quantized trials)
    compared: int = 0
    summary: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "test_accuracy": self.test_accuracy,
            "stored_test_accuracy": self.stored_test_accuracy,
            "accuracy_tolerance": ACCURACY_TOLERANCE,
            "test_samples": self.samples,
            "pt2_vs_onnx": {
                "rtol": LOGITS_RTOL,
                "atol": LOGITS_ATOL,
                "max_abs_diff": self.max_abs_diff,
                "label_agreement": self.label_agreement,
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
            spec, seed=int(config.get("seed", 0)), label=config.get("label", "label")
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
    return dataset


def verify(
    package: Path, dataset: Dataset, *, stored_test_accuracy: float, fp32: bool
) -> Verification:
    predictor = Predictor(package, threads=1)
    raw = dataset.x_test * dataset.std + dataset.mean  # what a user would feed the predictor
    logits = predictor.logits(raw)
    got = float((logits.argmax(axis=1) == dataset.y_test).mean())
    result = Verification(
        test_accuracy=got, stored_test_accuracy=stored_test_accuracy, samples=len(dataset.y_test)
    )
    diff = abs(got - stored_test_accuracy)
    if diff > ACCURACY_TOLERANCE:
        raise VerificationFailed(
            f"the exported model.onnx scores {got:.4f} on the rebuilt test split, but the search "
            f"stored {stored_test_accuracy:.4f} for this trial (allowed difference "
            f"{ACCURACY_TOLERANCE}); the artifact or the data changed since the search"
        )
    result.summary.append(
        f"model.onnx, loaded through model_card.json's preprocessing, scores {got:.4f} on the "
        f"{result.samples} raw test samples; the search stored {stored_test_accuracy:.4f} "
        f"(must agree within {ACCURACY_TOLERANCE * 100:g} points)"
    )
    x = predictor.prepare(raw)
    torch_logits, compared = _program_logits(package / "model.pt2", x)
    onnx_logits = logits[:compared]
    result.compared = compared
    if fp32:
        result.max_abs_diff = float(np.abs(torch_logits - onnx_logits).max(initial=0.0))
        if not np.allclose(torch_logits, onnx_logits, rtol=LOGITS_RTOL, atol=LOGITS_ATOL):
            raise VerificationFailed(
                f"model.pt2 and model.onnx disagree on the test split: max |logit difference| "
                f"{result.max_abs_diff:.3g} exceeds atol {LOGITS_ATOL} + rtol {LOGITS_RTOL}"
            )
        result.summary.append(
            f"model.pt2 and model.onnx logits agree on {compared} test samples within "
            f"atol {LOGITS_ATOL:g} + rtol {LOGITS_RTOL:g} (max |difference| "
            f"{result.max_abs_diff:.2g})"
        )
    else:
        same = torch_logits.argmax(axis=1) == onnx_logits.argmax(axis=1)
        result.label_agreement = float(same.mean())
        result.summary.append(
            f"model.onnx is quantized, so its logits are not compared with the fp32 model.pt2; "
            f"both give the same label on {result.label_agreement:.1%} of {compared} test samples"
        )
    return result


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
