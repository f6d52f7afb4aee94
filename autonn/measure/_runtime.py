"""Running an ONNX artifact in onnxruntime on the CPU: logits, accuracy, latency, bytes."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from autonn.errors import TrialFailed

_BATCH = 1024
_WARMUP = 10


def session(path: str | Path, *, threads: int = 1) -> ort.InferenceSession:
    """A plain CPU session. One thread by default: a trial's worker usually owns one core, and
    results (and latencies) should not depend on how busy the other cores are."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only; warnings about unused initializers are noise
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise TrialFailed(f"onnxruntime cannot load {Path(path).name}: {exc}") from exc


def onnx_logits(path: str | Path, x: np.ndarray) -> np.ndarray:
    """Logits of the artifact at `path` for inputs `x` (batch first), computed in batches."""
    sess = session(path)
    name = sess.get_inputs()[0].name
    x = np.ascontiguousarray(x, dtype=np.float32)
    try:
        parts = [sess.run(None, {name: x[i : i + _BATCH]})[0] for i in range(0, len(x), _BATCH)]
    except Exception as exc:
        raise TrialFailed(f"onnxruntime failed to run {Path(path).name}: {exc}") from exc
    return np.concatenate(parts).astype(np.float32, copy=False)


def onnx_accuracy(path: str | Path, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of `x` whose argmax logit in the artifact at `path` equals the label in `y`."""
    return float((onnx_logits(path, x).argmax(axis=1) == np.asarray(y)).mean())


def latency_ms(path: str | Path, sample_shape: tuple[int, ...], *, repeats: int = 200) -> float:
    """Median wall time in milliseconds of one single-sample inference, one CPU thread."""
    if repeats < 1:
        raise ValueError(f"`repeats >= 1` must hold, but got {repeats=}.")
    sess = session(path, threads=1)
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, *sample_shape)).astype(np.float32)
    try:
        for _ in range(_WARMUP):
            sess.run(None, {name: x})
        times = []
        for _ in range(repeats):
            start = time.perf_counter_ns()
            sess.run(None, {name: x})
            times.append(time.perf_counter_ns() - start)
    except Exception as exc:
        raise TrialFailed(f"onnxruntime failed to run {Path(path).name}: {exc}") from exc
    return statistics.median(times) / 1e6


def file_bytes(path: str | Path) -> int:
    return Path(path).stat().st_size
