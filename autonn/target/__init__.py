"""Targets: the runtime a trial's model ships to.

Each target brings its exporter, the number formats it offers and the interpreter that scores the
artifact; a trial's metric, latency and memory are measured on that artifact in that runtime.

    onnx    model.onnx    onnxruntime    fp32, fp16, int8-dynamic, int8-static
    litert  model.tflite  LiteRT         fp32, fp16, int8-dynamic, int8-static
    tflm    model.tflite  TFLite Micro   fp32, int8-static

litert and tflm need the `edge` extra: pip install 'autonn[edge]'. Importing this package is
cheap; the toolchains load when a target is used.
"""

from autonn.target._base import Target
from autonn.target._c_array import c_array
from autonn.target._macs import macs
from autonn.target._registry import TARGETS, get_target
from autonn.target._tflite_file import io_quantization, operators

__all__ = [
    "TARGETS",
    "Target",
    "c_array",
    "get_target",
    "io_quantization",
    "macs",
    "operators",
]
