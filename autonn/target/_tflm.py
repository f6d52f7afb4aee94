"""The tflm target: a .tflite file (batch 1) for microcontrollers, scored in TFLite Micro's own
interpreter (the tflite-micro package's host build, reference kernels).

The file is what a microcontroller flashes: tensor names and signatures dropped, weights 16-byte
aligned (see _write_for_flash).

Two number formats: fp32, and int8-static (full integer, int8 input and output), which is what
microcontroller kernels are written for. Not fp16: TFLite Micro has no float16 weights path
(its DEQUANTIZE kernel accepts int8, int16 and uint8 only; seen failing to prepare). Not
int8-dynamic: "Hybrid models are not supported on TFLite Micro" (its own message).

ram_bytes is measured, not estimated: the smallest tensor arena with which TFLite Micro
allocates the model and runs one inference (see _arena). It is the host build's figure: the
arena also holds TFLite Micro's bookkeeping, whose pointers are 8 bytes here and 4 on a 32-bit
microcontroller, and the Python interpreter's recording allocator keeps its records there too;
so a device's arena is expected to be a little smaller, not larger.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from autonn.errors import TrialFailed
from autonn.target._arena import arena
from autonn.target._base import Target
from autonn.target._convert import first_line, to_tflite
from autonn.target._quiet import quiet
from autonn.target._tflite_run import Invoke, latency_ms, logits_by_sample

if TYPE_CHECKING:
    import numpy as np
    import torch

log = logging.getLogger("autonn.target")


class TFLMTarget(Target):
    name = "tflm"
    artifact = "model.tflite"
    runtime = "TFLite Micro"
    formats = ("fp32", "int8-static")

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
        _write_for_flash(blob, path)
        # Allocate and run it in TFLite Micro now (in a child process), so an operator it has no
        # kernel for fails the trial at search time, by name. The arena found is kept.
        arena(path)
        return path

    def logits(self, path: Path, x: np.ndarray) -> np.ndarray:
        return logits_by_sample(_invoker(path), path, x)

    def latency_ms(self, path: Path, input_shape: tuple[int, ...]) -> float:
        return latency_ms(_invoker(path), path)

    def ram_bytes(self, path: Path, input_shape: tuple[int, ...]) -> int:
        """The smallest tensor arena, in bytes, with which TFLite Micro allocates the model and
        runs it once, found by bisection in a child process."""
        return arena(path).smallest


def _write_for_flash(blob: bytes, path: Path) -> None:
    """Write the flatbuffer as a microcontroller stores it: without tensor names and signatures
    (TFLite Micro reads neither; in litert-torch's output they are up to half of a small model's
    bytes) and with every weight buffer 16-byte aligned, which TFLite Micro expects and the
    converter's output does not guarantee. tflite-micro's aligner repacks it through the C++
    flatbuffers API, which honours the schema's alignment (Python's packing does not)."""
    from ai_edge_litert.tools import flatbuffer_utils

    try:  # a tool of tflite-micro's that its package does not list as public API
        from tflite_micro.tensorflow.lite.micro.tools import tflite_flatbuffer_align_wrapper
    except ImportError:
        log.debug("tflite-micro's flatbuffer aligner is missing; the converter's file is kept")
        path.write_bytes(blob)
        return
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(blob))
    flatbuffer_utils.strip_strings(model)
    stripped = path.with_name(f"{path.stem}.unaligned{path.suffix}")
    try:
        stripped.write_bytes(bytes(flatbuffer_utils.convert_object_to_bytearray(model)))
        with quiet():
            tflite_flatbuffer_align_wrapper.align_tflite_model(str(stripped), str(path))
    finally:
        stripped.unlink(missing_ok=True)


def _invoker(path: Path) -> Invoke:
    """A TFLite Micro interpreter for the file in this process, as a function from an input to
    a copy of the output. Its arena is one the child process saw run the model, several times the
    smallest, so it cannot be the too-small arena that crashes TFLite Micro."""
    from tflite_micro import runtime

    blob = Path(path).read_bytes()
    try:
        with quiet():
            interpreter = runtime.Interpreter.from_bytes(blob, arena_size=arena(path).roomy)
    except (RuntimeError, ValueError) as exc:
        raise TrialFailed(f"TFLite Micro cannot load {Path(path).name}: {first_line(exc)}") from exc

    def invoke(x):
        try:
            interpreter.set_input(x, 0)
            interpreter.invoke()
        except (RuntimeError, ValueError) as exc:
            why = first_line(exc)
            raise TrialFailed(f"TFLite Micro failed to run {Path(path).name}: {why}") from exc
        return interpreter.get_output(0)  # a copy

    return invoke
