"""PyTorch to .tflite, in the number formats the LiteRT runtimes run (litert and tflm targets).

    fp32          litert-torch's converter as is
    fp16          the fp32 file with its weights stored as float16, each dequantized to float32
                  by a DEQUANTIZE op when the interpreter prepares (ai-edge-quantizer's
                  float_casting); half the weight bytes, float32 compute, as TFLite's own
                  float16 post-training quantization does
    int8-dynamic  dynamic range: int8 weights (per channel), float32 activations that the
                  kernels quantize on the fly (ai-edge-quantizer's dynamic_wi8_afp32, what
                  TFLite's converter calls dynamic range quantization)
    int8-static   full integer: PT2E quantization in torch (int8 weights per channel, int8
                  activations calibrated on training inputs), converted with its QDQ pattern, so
                  the file takes int8 input and gives int8 output, each with a scale and zero point

fp16 and int8-dynamic rewrite the converted fp32 flatbuffer (milliseconds) rather than convert
again. litert-torch's own routes to them cost more and give no more: PT2E's dynamic config means
a second torch export and conversion, and its generative-model recipes hand the converted file to
ai-edge-quantizer, as here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from autonn.errors import TrialFailed
from autonn.target._quiet import quiet

if TYPE_CHECKING:
    import torch


def to_tflite(
    model: torch.nn.Module,
    input_shape: tuple[int, ...],
    quantize: str,
    calibration: np.ndarray | None = None,
) -> bytes:
    """The .tflite flatbuffer of `model` (batch 1) in number format `quantize`.

    Raises TrialFailed with the converter's first line (which names the operator it has no
    lowering for) when litert-torch or ai-edge-quantizer cannot convert the model.
    """
    if quantize == "int8-static" and (calibration is None or len(calibration) == 0):
        raise ValueError("int8-static quantization needs calibration inputs, but got none.")
    import torch

    # A CPU copy in eval mode: the caller's model keeps its device and mode, and conversion
    # runs on the CPU whatever the trial trained on.
    model = copy.deepcopy(model).cpu().eval()
    sample = torch.zeros((1, *input_shape), dtype=torch.float32)
    try:
        with quiet(), torch.no_grad():
            if quantize == "int8-static":
                return _int8_static(model, sample, calibration)
            fp32 = _fp32(model, sample)
            if quantize == "fp32":
                return fp32
            return _rewrite(fp32, quantize)
    except TrialFailed:
        raise
    except Exception as exc:
        raise TrialFailed(
            f"LiteRT conversion ({quantize}) failed: {type(exc).__name__}: {first_line(exc)}"
        ) from exc


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _fp32(model: torch.nn.Module, sample: torch.Tensor) -> bytes:
    import litert_torch

    return litert_torch.convert(model, (sample,)).model_content()


def _rewrite(fp32: bytes, quantize: str) -> bytes:
    from ai_edge_quantizer import qtyping, quantizer, recipe
    from ai_edge_quantizer.algorithm_manager import AlgorithmName

    q = quantizer.Quantizer(bytearray(fp32))
    if quantize == "fp16":
        q.add_weight_only_config(
            regex=".*",
            operation_name=qtyping.TFLOperationName.ALL_SUPPORTED,
            num_bits=16,
            algorithm_key=AlgorithmName.FLOAT_CASTING,
        )
    elif quantize == "int8-dynamic":
        q.load_quantization_recipe(recipe.dynamic_wi8_afp32())
    else:
        raise ValueError(f"no flatbuffer rewrite makes {quantize!r}")
    result = q.quantize(enable_progress_bar=False, enable_progress_report=False)
    return bytes(result.quantized_model)


def _int8_static(model: torch.nn.Module, sample: torch.Tensor, calibration: np.ndarray) -> bytes:
    import litert_torch
    import torch
    from litert_torch.quantize.pt2e_quantizer import (
        PT2EQuantizer,
        get_symmetric_quantization_config,
    )
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    from autonn.measure import MAX_CALIBRATION_SAMPLES

    quantizer = PT2EQuantizer().set_global(
        get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False)
    )
    program = torch.export.export(model, (sample,)).module()
    observed = prepare_pt2e(program, quantizer)
    x = np.asarray(calibration, dtype=np.float32)
    if len(x) > MAX_CALIBRATION_SAMPLES:  # evenly spaced, as the onnx target calibrates
        x = x[np.linspace(0, len(x) - 1, MAX_CALIBRATION_SAMPLES).round().astype(int)]
    # One sample at a time: the program was exported for batch 1, as the file will be.
    for row in torch.from_numpy(np.ascontiguousarray(x)).unsqueeze(1):
        observed(row)
    quantized = convert_pt2e(observed, fold_quantize=False)
    config = QuantConfig(pt2e_quantizer=quantizer)
    return litert_torch.convert(quantized, (sample,), quant_config=config).model_content()
