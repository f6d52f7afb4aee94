"""Turning an fp32 ONNX artifact into the number format a trial deploys.

    fp32          the exported file, copied
    fp16          weights stored as fp16 and cast back to fp32 when the session loads, because
                  onnxruntime's CPU provider has no fp16 kernels for most operators; half the bytes,
                  the same compute
    int8-dynamic  weights of fully connected layers in int8, activations quantized on the fly;
                  convolutions stay fp32 (as in PyTorch's dynamic quantization). onnxruntime could
                  run them as ConvInteger, but on the digits CNN that made single-sample inference
                  3.8x slower (0.054 against 0.014 ms) for a file int8-static makes as small
    int8-static   weights (per output channel) and activations in int8, activation ranges
                  calibrated on training inputs; what makes a CNN small

For int8-static, measured on digits (docs/benchmarks.md): the QOperator format (QLinearConv, QGemm)
gives files ~10% smaller than QDQ and runs as fast; uint8 activations (U8S8), because int8
activations (S8S8) in QOperator format ran ~4x slower on x86. On x86 CPUs without VNNI, U8S8 can
saturate and lose accuracy; each trial measures the accuracy of its own file, so that would show.
`quant_pre_process` changed neither size nor accuracy of these exports (the exporter already folds
BatchNorm into Conv), so it is not run.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from autonn.errors import TrialFailed
from autonn.measure._runtime import session
from autonn.space._configs import QUANTIZATIONS

log = logging.getLogger("autonn.measure")

# Calibration past a few hundred samples changes the min/max ranges little and costs time.
MAX_CALIBRATION_SAMPLES = 256
_CALIBRATION_BATCH = 64
_FP16_MAX = float(np.finfo(np.float16).max)


def quantize_onnx(
    fp32_path: str | Path,
    out_path: str | Path,
    mode: str,
    calibration: np.ndarray | None = None,
) -> Path:
    """Write `fp32_path` in number format `mode` to `out_path` and check that onnxruntime runs it.

    `calibration` (standardised training inputs, batch first) is needed for "int8-static" only.
    Raises TrialFailed when the quantizer or onnxruntime cannot handle the model.
    """
    if mode not in QUANTIZATIONS:
        raise ValueError(f"`mode` must be one of {QUANTIZATIONS}, but got {mode!r}.")
    if mode == "int8-static" and (calibration is None or len(calibration) == 0):
        raise ValueError("int8-static quantization needs calibration inputs, but got none.")
    fp32_path, out_path = Path(fp32_path), Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if mode == "fp32":
            if fp32_path.resolve() != out_path.resolve():
                shutil.copyfile(fp32_path, out_path)
        elif mode == "fp16":
            _fp16(fp32_path, out_path)
        elif mode == "int8-dynamic":
            with _quiet_quantizer():
                _int8_dynamic(fp32_path, out_path)
        else:
            with _quiet_quantizer():
                _int8_static(fp32_path, out_path, calibration)
    except Exception as exc:
        raise TrialFailed(f"{mode} quantization failed: {type(exc).__name__}: {exc}") from exc
    _check_runs(out_path, mode)
    return out_path


class _DropPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "consider" not in str(record.msg) or "pre-process" not in str(record.msg)


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """onnxruntime's quantizer warns through the root logger (`logging.warning`) that the model was
    not pre-processed, once or twice per call; for these exports that advice changes nothing (see
    the module docstring). Drop just that message, and give the root logger a NullHandler meanwhile
    so that `logging.warning` does not call `basicConfig()` and leave a handler on the process.
    """
    root = logging.getLogger()
    hint, null = _DropPreprocessHint(), logging.NullHandler()
    added_handler = not root.handlers
    root.addFilter(hint)
    if added_handler:
        root.addHandler(null)
    try:
        yield
    finally:
        root.removeFilter(hint)
        if added_handler:
            root.removeHandler(null)


def _fp16(src: Path, dst: Path) -> None:
    model = onnx.load(str(src))
    graph = model.graph
    casts, kept = [], []
    graph_inputs = {i.name for i in graph.input}  # an initializer that is also an input stays
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or init.name in graph_inputs:
            kept.append(init)
            continue
        # Clip first: a weight beyond fp16's range would become inf. Tiny ones lose precision only.
        half = np.clip(numpy_helper.to_array(init), -_FP16_MAX, _FP16_MAX).astype(np.float16)
        kept.append(numpy_helper.from_array(half, f"{init.name}__fp16"))
        # The Cast writes the original name, so every consumer reads fp32 as before; onnxruntime
        # folds these Casts into fp32 constants when it loads the session.
        casts.append(
            helper.make_node(
                "Cast", [f"{init.name}__fp16"], [init.name], to=TensorProto.FLOAT, name=init.name
            )
        )
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)  # Casts read initializers only, so first is topological order
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def _int8_dynamic(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The dynamic quantizer handles MatMul but not Gemm, which is how Linear layers are exported.
    model = _gemm_to_matmul(onnx.load(str(src)))
    quantize_dynamic(
        model,
        str(dst),
        op_types_to_quantize=["MatMul"],
        per_channel=False,
        weight_type=QuantType.QInt8,
    )


def _gemm_to_matmul(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rewrite each Gemm y = x @ W.T + b with constant W as MatMul(x, W.T) + Add(b)."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain = (
            attrs.get("alpha", 1.0) == 1.0
            and attrs.get("beta", 1.0) == 1.0
            and not attrs.get("transA", 0)
        )
        if node.op_type != "Gemm" or not plain or node.input[1] not in inits:
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(inits[node.input[1]])
        if attrs.get("transB", 0):
            weight = weight.T
        w_name = f"{node.input[1]}__matmul"
        graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(weight), w_name))
        has_bias = len(node.input) > 2 and node.input[2] != ""
        mm_out = f"{node.output[0]}__matmul" if has_bias else node.output[0]
        nodes.append(helper.make_node("MatMul", [node.input[0], w_name], [mm_out], name=node.name))
        if has_bias:
            nodes.append(
                helper.make_node(
                    "Add", [mm_out, node.input[2]], [node.output[0]], name=f"{node.name}__bias"
                )
            )
    del graph.node[:]
    graph.node.extend(nodes)
    # Drop initializers nothing reads any more (the transposed-away Gemm weights).
    used = {name for n in graph.node for name in n.input}
    live = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live)
    return model


def _int8_static(src: Path, dst: Path, calibration: np.ndarray) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Batches(CalibrationDataReader):
        def __init__(self, name: str, x: np.ndarray) -> None:
            step = _CALIBRATION_BATCH
            self._feeds = iter([{name: x[i : i + step]} for i in range(0, len(x), step)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    x = np.ascontiguousarray(calibration, dtype=np.float32)
    if len(x) > MAX_CALIBRATION_SAMPLES:  # evenly spaced, so the subset does not follow data order
        x = x[np.linspace(0, len(x) - 1, MAX_CALIBRATION_SAMPLES).round().astype(int)]
    name = onnx.load(str(src), load_external_data=False).graph.input[0].name
    quantize_static(
        str(src),
        str(dst),
        Batches(name, x),
        quant_format=QuantFormat.QOperator,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )


def _check_runs(path: Path, mode: str) -> None:
    """A file the quantizer wrote can still be one the CPU provider cannot run (a missing kernel
    shows only when the session is built or run); find out now, while the trial can say why."""
    sess = session(path)
    inp = sess.get_inputs()[0]
    shape = [1 if not isinstance(d, int) else d for d in inp.shape]
    try:
        out = sess.run(None, {inp.name: np.zeros(shape, dtype=np.float32)})[0]
    except Exception as exc:
        raise TrialFailed(f"the {mode} artifact does not run in onnxruntime: {exc}") from exc
    if out.dtype != np.float32 or not np.all(np.isfinite(out)):
        raise TrialFailed(f"the {mode} artifact gives {out.dtype} outputs that are not all finite")
