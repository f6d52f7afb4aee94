"""Measuring what a trial ships: ONNX export, number formats, accuracy/bytes/latency of the file.

Everything runs the artifact itself in onnxruntime on the CPU, so the figures a trial reports are
those of the file it saves.
"""

from autonn.measure._onnx import export_onnx
from autonn.measure._quantize import MAX_CALIBRATION_SAMPLES, quantize_onnx
from autonn.measure._runtime import file_bytes, latency_ms, onnx_accuracy, onnx_logits

__all__ = [
    "MAX_CALIBRATION_SAMPLES",
    "export_onnx",
    "file_bytes",
    "latency_ms",
    "onnx_accuracy",
    "onnx_logits",
    "quantize_onnx",
]
