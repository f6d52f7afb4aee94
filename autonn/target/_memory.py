"""Estimating the activation memory of a graph: the peak, over its execution order, of the bytes
of all tensors alive at once (MCUNet's peak-memory measure).

A tensor is alive from the op that produces it to the last op that consumes it; graph inputs
are alive from the first op, graph outputs to the last. Weights and other constants do not count,
nor do tensors computed from constants alone (an fp16 file's weights cast or dequantized to
float32), though a runtime may keep those float32 copies in RAM. Batch 1; element sizes from the
tensors' dtypes. No buffer is shared or reused beyond that and no scratch space is added, so a
runtime's real arena differs: this ranks trials, it does not size a device (tflm measures its
arena instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

# Bits per element of each TFLite TensorType name (INT4 packs two elements in a byte).
_TFLITE_BITS = {
    "FLOAT32": 32, "FLOAT16": 16, "BFLOAT16": 16, "FLOAT64": 64, "INT64": 64, "UINT64": 64,
    "INT32": 32, "UINT32": 32, "INT16": 16, "UINT16": 16, "INT8": 8, "UINT8": 8, "BOOL": 8,
    "INT4": 4, "UINT4": 4, "INT2": 2, "COMPLEX64": 64, "COMPLEX128": 128,
    "FLOAT8_E4M3FN": 8, "FLOAT8_E5M2": 8,
}  # fmt: skip


def peak_live_bytes(
    steps: Sequence[tuple[Sequence[str], Sequence[str]]],
    nbytes: Mapping[str, int],
    inputs: Iterable[str],
    outputs: Iterable[str],
) -> int:
    """The largest sum of `nbytes` over the tensors alive at one step.

    steps: (input names, output names) of each op, in execution order.
    nbytes: bytes of every activation; a name not in it (a constant) never counts.
    """
    if not steps:
        return sum(nbytes.get(name, 0) for name in set(inputs))
    first = {name: 0 for name in inputs if name in nbytes}
    last: dict[str, int] = {}
    for step, (ins, outs) in enumerate(steps):
        for name in outs:
            if name in nbytes:
                first.setdefault(name, step)
        for name in ins:
            if name in nbytes:
                last[name] = step
    for name in outputs:
        if name in nbytes:
            last[name] = len(steps) - 1
    # Events: +bytes where a tensor starts, -bytes after the step where it ends.
    delta = [0] * (len(steps) + 1)
    for name, start in first.items():
        end = max(last.get(name, start), start)  # produced and never read: alive at its step
        delta[start] += nbytes[name]
        delta[end + 1] -= nbytes[name]
    peak = live = 0
    for change in delta[:-1]:
        live += change
        peak = max(peak, live)
    return peak


def onnx_activation_bytes(path: str | Path, input_shape: tuple[int, ...]) -> int:
    """peak_live_bytes of the ONNX file at `path` for one input of `input_shape`.

    Shapes and dtypes of every tensor come from running the graph once in onnxruntime with all
    of them exposed as outputs: exact for any operator, quantized and contrib ones included,
    where static shape inference does not know them.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    constant = _onnx_constants(graph)
    inputs = [i.name for i in graph.input if i.name not in constant]
    outputs = [o.name for o in graph.output]  # before _onnx_run_all adds every tensor to them
    steps = [(list(node.input), list(node.output)) for node in graph.node]
    activations = [n for node in graph.node for n in node.output if n and n not in constant]
    x = np.zeros((1, *input_shape), dtype=np.float32)
    arrays = _onnx_run_all(model, inputs[0], x, activations)
    nbytes = {inputs[0]: x.nbytes, **{n: a.nbytes for n, a in arrays.items()}}
    return peak_live_bytes(steps, nbytes, inputs, outputs)


def _onnx_constants(graph) -> set[str]:
    """Initializers, and what nodes compute from constants alone (fp16's Casts of weights)."""
    graph_inputs = {i.name for i in graph.input}
    constant = {i.name for i in graph.initializer if i.name not in graph_inputs}
    for node in graph.node:  # stored in topological order
        from_constants = all(name in constant for name in node.input if name)
        if node.op_type == "Constant" or (node.input and from_constants):
            constant.update(name for name in node.output if name)
    return constant


def _onnx_run_all(model, input_name: str, x: np.ndarray, names: list[str]) -> dict:
    import onnx
    import onnxruntime as ort

    graph = model.graph
    present = {o.name for o in graph.output}
    # An output without a type: onnxruntime works it out, for contrib ops too.
    graph.output.extend(onnx.ValueInfoProto(name=n) for n in names if n not in present)
    options = ort.SessionOptions()
    # The file's graph as stored: an optimised session would fuse away the tensors to measure.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    wanted = [o.name for o in session.get_outputs()]
    return dict(zip(wanted, session.run(wanted, {input_name: x}), strict=True))


def tflite_activation_bytes(path: str | Path) -> int:
    """peak_live_bytes of the main subgraph of the .tflite file at `path` (static shapes, so the
    batch the file was converted with: 1 for autonn's exports)."""
    from autonn.target._tflite_file import read_model, type_name

    model = read_model(path)
    graph = model.subgraphs[0]
    steps = [
        ([str(i) for i in op.inputs if i >= 0], [str(i) for i in op.outputs if i >= 0])
        for op in graph.operators
    ]
    constant = _tflite_constants(model, graph, steps)
    nbytes = {}
    for index, tensor in enumerate(graph.tensors):
        if str(index) in constant:
            continue
        elements = int(np.prod(tensor.shape)) if tensor.shape is not None else 1
        bits = _TFLITE_BITS.get(type_name(tensor.type), 32)
        nbytes[str(index)] = (elements * bits + 7) // 8
    ins = [str(i) for i in graph.inputs]
    return peak_live_bytes(steps, nbytes, ins, [str(i) for i in graph.outputs])


def _tflite_constants(model, graph, steps) -> set[str]:
    """Tensors with data in the file (weights), and what ops compute from those alone (the
    DEQUANTIZE of each float16 weight to float32), as _onnx_constants does for ONNX."""
    constant = set()
    for index, tensor in enumerate(graph.tensors):
        data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
        if data is not None and len(data) > 0:
            constant.add(str(index))
    for ins, outs in steps:
        if ins and all(name in constant for name in ins):
            constant.update(outs)
    return constant
