"""The litert target: a .tflite file (batch 1) from litert-torch, scored in the LiteRT interpreter
(ai-edge-litert) on the CPU, as an Android or Linux device runs it.

All four number formats (see _convert): LiteRT runs float16 weights, dynamic-range and full-integer
kernels. The interpreter runs with its default delegate (XNNPACK) on one thread. ram_bytes is an
estimate (see _memory): LiteRT does not report its arena.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from autonn.errors import TrialFailed
from autonn.target._base import Target
from autonn.target._convert import first_line, to_tflite
from autonn.target._memory import tflite_activation_bytes
from autonn.target._quiet import quiet
from autonn.target._tflite_run import Invoke, latency_ms, logits_by_sample

if TYPE_CHECKING:
    import numpy as np
    import torch


class LiteRTTarget(Target):
    name = "litert"
    artifact = "model.tflite"
    runtime = "LiteRT"
    formats = ("fp32", "fp16", "int8-dynamic", "int8-static")

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
        blob = to_tflite(model, tuple(input_shape), quantize, calibration)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        # A converted file can still hold an operator the runtime has no kernel for (torch.sort
        # becomes STABLEHLO_SORT); find out now, while the trial can say which.
        invoke = _invoker(path)
        logits_by_sample(invoke, path, _zeros(path))
        return path

    def logits(self, path: Path, x: np.ndarray) -> np.ndarray:
        return logits_by_sample(_invoker(path), path, x)

    def latency_ms(self, path: Path, input_shape: tuple[int, ...]) -> float:
        return latency_ms(_invoker(path), path)

    def ram_bytes(self, path: Path, input_shape: tuple[int, ...]) -> int:
        """An estimate: the peak of live activation memory over the file's operator order, batch
        1 (see autonn.target._memory); LiteRT's own arena plan does not leave the runtime."""
        return tflite_activation_bytes(path)


def _invoker(path: Path) -> Invoke:
    """One LiteRT interpreter for the file, as a function from an input to a copy of the output.

    Raises TrialFailed naming the operator when LiteRT has no kernel for one."""
    from ai_edge_litert.interpreter import Interpreter

    path = Path(path)
    try:
        with quiet():  # it announces its XNNPACK delegate on stderr
            interpreter = Interpreter(model_path=str(path), num_threads=1)
            interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        why = _no_kernel(exc) or f"LiteRT cannot load {path.name}: {first_line(exc)}"
        raise TrialFailed(why) from exc
    source = interpreter.get_input_details()[0]["index"]
    result = interpreter.get_output_details()[0]["index"]

    def invoke(x):
        try:
            interpreter.set_tensor(source, x)
            interpreter.invoke()
        except (RuntimeError, ValueError) as exc:
            raise TrialFailed(f"LiteRT failed to run {path.name}: {first_line(exc)}") from exc
        return interpreter.get_tensor(result)  # a copy

    return invoke


def _no_kernel(exc: Exception) -> str | None:
    found = re.search(r"Didn't find op for builtin opcode '(\w+)' version '(\d+)'", str(exc))
    if found:
        return f"LiteRT has no kernel for operator {found.group(1)} (version {found.group(2)})"
    custom = re.search(r"unresolved custom op: (\w+)", str(exc))
    if custom:
        return f"LiteRT has no kernel for custom operator {custom.group(1)}"
    return None


def _zeros(path: Path):
    import numpy as np

    from autonn.target._tflite_file import io_quantization

    return np.zeros((1, *io_quantization(path)["input"]["shape"][1:]), dtype=np.float32)
