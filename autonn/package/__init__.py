"""Exporting a searched model as a verified, deployable package, and running such a package.

    result = autonn.package.export("digits-mlp", "exports/best", pick="knee")
    model = autonn.package.load("exports/best")
    model.predict(x_raw), model.predict_proba(x_raw)

The package (see docs/export.md): model.onnx (the measured artifact, byte for byte), model.pt2 (the
fp32 torch program), model_card.json and MODEL_CARD.md. `load` needs numpy and onnxruntime only.
"""

from autonn.package._package import ExportResult, export
from autonn.package._pick import NAMED_PICKS, Pick, choose, knee_scores, parse_pick
from autonn.package._predict import Predictor, load, read_inputs
from autonn.package._verify import (
    ACCURACY_TOLERANCE,
    LOGITS_ATOL,
    LOGITS_RTOL,
    VerificationFailed,
)

__all__ = [
    "ACCURACY_TOLERANCE",
    "LOGITS_ATOL",
    "LOGITS_RTOL",
    "NAMED_PICKS",
    "ExportResult",
    "Pick",
    "Predictor",
    "VerificationFailed",
    "choose",
    "export",
    "knee_scores",
    "load",
    "parse_pick",
    "read_inputs",
]
