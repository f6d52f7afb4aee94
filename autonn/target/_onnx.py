"""The onnx target: an ONNX file (dynamic batch) in one of the four number formats, scored in
onnxruntime on the CPU. Export and measurement are autonn.measure's; this only puts them behind
the Target interface, so an onnx search does what it did before targets existed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from autonn.measure import export_onnx, latency_ms, onnx_logits, quantize_onnx
from autonn.space._configs import QUANTIZATIONS
from autonn.target._base import Target
from autonn.target._memory import onnx_activation_bytes

if TYPE_CHECKING:
    import numpy as np
    import torch


class OnnxTarget(Target):
    name = "onnx"
    artifact = "model.onnx"
    runtime = "onnxruntime"
    formats = QUANTIZATIONS

    def export(
        self,
        model: torch.nn.Module,
        input_shape: tuple[int, ...],
        quantize: str,
        path: Path,
        *,
        calibration: np.ndarray | None = None,
    ) -> Path:
        self.check_format(quantize)
        with tempfile.TemporaryDirectory(prefix="autonn-onnx-") as tmp:
            fp32 = export_onnx(model, tuple(input_shape), Path(tmp) / "model_fp32.onnx")
            return quantize_onnx(fp32, path, quantize, calibration=calibration)

    def logits(self, path: Path, x: np.ndarray) -> np.ndarray:
        return onnx_logits(path, x)

    def latency_ms(self, path: Path, input_shape: tuple[int, ...]) -> float:
        return latency_ms(path, tuple(input_shape))

    def ram_bytes(self, path: Path, input_shape: tuple[int, ...]) -> int:
        """An estimate: the peak of live activation memory over the graph's node order, batch 1
        (see autonn.target._memory). onnxruntime's own allocator plans differently (it fuses
        nodes, reuses buffers, adds scratch space), so this is a figure to compare trials by."""
        return onnx_activation_bytes(path, tuple(input_shape))
