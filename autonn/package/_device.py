"""What a package holds for a device target: the .tflite as a C array for TensorFlow Lite Micro
firmware, and the card's facts a firmware author needs (arena, operators, input quantization).

Re-exporting to a target the search did not measure on (`autonn export --target tflm` of an onnx
search) converts the trial's fp32 weights here, in the trial's own number format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autonn.errors import UsageError

C_SOURCE = "model_data.cc"
C_HEADER = "model_data.h"
C_SYMBOL = "g_model"


def target_card(
    target, artifact: Path, record, *, shape: tuple[int, ...], measured: bool
) -> dict[str, Any]:
    """The card's `target` section: the runtime, the artifact, and for a .tflite the arena to
    reserve, the operators to register and how inputs and outputs are quantized."""
    from autonn.target import io_quantization, operators

    attrs = record.attrs
    section: dict[str, Any] = {
        "name": target.name,
        "runtime": target.runtime,
        "artifact": target.artifact,
        "measured_in_search": measured,
        "flash_bytes": target.flash_bytes(artifact),
        "macs": attrs.get("macs"),
    }
    if target.name == "onnx":
        section["ram_bytes_estimate"] = attrs.get("ram_bytes")
        return section
    ram = attrs.get("ram_bytes") if measured else None
    if target.name == "tflm":
        section["arena_bytes"] = ram if ram is not None else target.ram_bytes(artifact, shape)
        section["c_array"] = {"source": C_SOURCE, "header": C_HEADER, "symbol": C_SYMBOL}
    else:
        section["ram_bytes_estimate"] = ram
    section["operators"] = operators(artifact)
    section["io"] = io_quantization(artifact)
    return section


def write_c_array(artifact: Path, folder: Path) -> list[str]:
    """model_data.cc / model_data.h holding the .tflite as an aligned byte array."""
    from autonn.target import c_array

    source, header = c_array(artifact.read_bytes(), C_SYMBOL)
    (folder / C_SOURCE).write_text(source)
    (folder / C_HEADER).write_text(header)
    return [C_SOURCE, C_HEADER]


def convert(target, model, dataset, quantize: str, path: Path) -> Path:
    """The trial's model converted for `target` now, in the number format it searched."""
    from autonn.trial import calibration_sample

    if quantize not in target.formats:
        raise UsageError(
            f"--target {target.name} does not run the trial's number format {quantize} (it runs "
            f"{', '.join(target.formats)}); pick a trial in one of those, or export it as "
            "the search's own target"
        )
    return target.export(
        model, dataset.input_shape, quantize, path, calibration=calibration_sample(dataset)
    )
