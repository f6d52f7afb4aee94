"""Exporting a trained (and possibly pruned) torch model to one self-contained fp32 ONNX file."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from autonn.errors import TrialFailed

log = logging.getLogger("autonn.measure")

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
# Opset 17 is what onnxruntime's CPU provider and its quantizer have supported longest.
OPSET = 17


def export_onnx(model: nn.Module, input_shape: tuple[int, ...], path: str | Path) -> Path:
    """Write `model` as fp32 ONNX to `path`: input "input" shaped (batch, *input_shape), output
    "logits" shaped (batch, n_classes), batch dimension dynamic, all weights inside the one file.

    The model is exported in eval mode (BatchNorm uses its running statistics, Dropout is off) and
    left in the mode it came in. Raises TrialFailed when neither exporter can handle the model.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    device = next(iter(model.parameters()), torch.empty(0)).device
    example = torch.zeros((1, *input_shape), dtype=torch.float32, device=device)
    was_training = model.training
    model.eval()
    try:
        try:
            _export_torchscript(model, example, path)
        except Exception as legacy_exc:  # the legacy exporter is deprecated and may go away
            log.debug("legacy ONNX export failed (%s); trying the dynamo exporter", legacy_exc)
            try:
                _export_dynamo(model, example, path)
            except Exception as dynamo_exc:
                # The legacy exporter's message is the short one; dynamo's runs to a page.
                log.debug("dynamo ONNX export failed too: %s", dynamo_exc)
                raise legacy_exc from dynamo_exc
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:
        raise TrialFailed(f"ONNX export failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    finally:
        model.train(was_training)
    return path


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _export_torchscript(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    # The TorchScript exporter takes ~0.01-0.15 s for these models against 1-3 s for dynamo, which
    # matters once per trial. It warns that it is deprecated; those warnings say nothing about this
    # model, so only they are silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export.*")
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _export_dynamo(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    with warnings.catch_warnings():
        # torch.export's own use of a deprecated pytree API; nothing about this model.
        warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec.*", category=FutureWarning)
        program = torch.onnx.export(
            model,
            (example,),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            dynamo=True,
            verbose=False,
        )
    # By default dynamo writes the weights to a side file; the artifact must be one file, whose
    # size is what is measured.
    program.save(str(path), external_data=False)
