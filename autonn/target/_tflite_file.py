"""Reading a .tflite file: its operators, its input and output formats, its tensors.

Through ai-edge-litert's own flatbuffer reader (`ai_edge_litert.tools.flatbuffer_utils`, which
resolves buffers stored by offset) and the schema it ships; both device targets install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def read_model(path: str | Path) -> Any:
    """The model at `path` as the schema's object tree (`ModelT`)."""
    from ai_edge_litert.tools import flatbuffer_utils

    blob = Path(path).read_bytes()
    if blob[4:8] != b"TFL3":  # the schema's file identifier
        raise ValueError(f"{Path(path).name} is not a .tflite flatbuffer.")
    return flatbuffer_utils.read_model_from_bytearray(bytearray(blob))


def type_name(tensor_type: int) -> str:
    """ "INT8", "FLOAT32", ... for a TensorType value."""
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.type_to_name(tensor_type)


def operators(path: str | Path) -> list[str]:
    """The sorted names of the operators in the .tflite file at `path`: the builtin operators a
    TFLite Micro build must register for it (MicroMutableOpResolver's Add... calls), or a custom
    operator's own name."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = read_model(path)
    used = {op.opcodeIndex for graph in model.subgraphs for op in graph.operators}
    names = set()
    for index in used:
        custom = model.operatorCodes[index].customCode
        names.add(custom.decode() if custom else flatbuffer_utils.opcode_to_name(model, index))
    return sorted(names)


def io_quantization(path: str | Path) -> dict[str, dict[str, Any]]:
    """{"input": {...}, "output": {...}} of the .tflite file at `path`, each with "dtype" (numpy's
    name: "int8", "float32"), "scale" and "zero_point" (None where the tensor is not quantized)
    and "shape". Only the first input and output: autonn's models have one of each."""
    model = read_model(path)
    graph = model.subgraphs[0]
    return {
        "input": _tensor_format(graph.tensors[graph.inputs[0]]),
        "output": _tensor_format(graph.tensors[graph.outputs[0]]),
    }


def _tensor_format(tensor) -> dict[str, Any]:
    q = tensor.quantization
    scales = [] if q is None or q.scale is None else list(q.scale)
    zeros = [] if q is None or q.zeroPoint is None else list(q.zeroPoint)
    quantized = len(scales) == 1 and scales[0] != 0
    return {
        "dtype": type_name(tensor.type).lower(),
        "scale": float(scales[0]) if quantized else None,
        "zero_point": int(zeros[0]) if quantized and zeros else (0 if quantized else None),
        "shape": tuple(int(d) for d in tensor.shape),
    }


def quantize_input(x: np.ndarray, fmt: dict[str, Any]) -> np.ndarray:
    """`x` (float) in the input tensor's format: as is for float, else x / scale + zero point,
    rounded and clipped to the integer type's range."""
    import numpy as np

    dtype = np.dtype(fmt["dtype"])
    if fmt["scale"] is None:
        return np.ascontiguousarray(x, dtype=dtype)
    info = np.iinfo(dtype)
    q = np.round(np.asarray(x, dtype=np.float32) / fmt["scale"]) + fmt["zero_point"]
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize_output(y: np.ndarray, fmt: dict[str, Any]) -> np.ndarray:
    """The output tensor's values as float32: (y - zero point) * scale where it is quantized."""
    import numpy as np

    if fmt["scale"] is None:
        return np.asarray(y, dtype=np.float32)
    return ((y.astype(np.float32) - fmt["zero_point"]) * fmt["scale"]).astype(np.float32)
