"""Running a batch-1 .tflite model over many samples, whichever interpreter runs it (LiteRT or
TFLite Micro): inputs quantized to the file's input format, outputs dequantized from its output
format, one interpreter reused for every sample."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autonn.target._tflite_file import dequantize_output, io_quantization, quantize_input

# invoke(one input in the file's format and shape) -> the output tensor, a copy
Invoke = Callable[[np.ndarray], np.ndarray]

_WARMUP = 10


def logits_by_sample(invoke: Invoke, path: str | Path, x: np.ndarray) -> np.ndarray:
    """float32 outputs of the model at `path` for `x` (float, batch first), one sample at a
    time through `invoke`."""
    fmt = io_quantization(path)
    x = quantize_input(np.asarray(x, dtype=np.float32), fmt["input"])  # the batch at once
    shape = fmt["input"]["shape"]
    out = [invoke(x[i : i + 1].reshape(shape)) for i in range(len(x))]
    if not out:
        return np.zeros((0, *fmt["output"]["shape"][1:]), dtype=np.float32)
    return dequantize_output(np.concatenate(out), fmt["output"])


def latency_ms(invoke: Invoke, path: str | Path, *, repeats: int = 200) -> float:
    """Median wall time in milliseconds of one `invoke` on a random sample, after a warm-up."""
    fmt = io_quantization(path)["input"]
    rng = np.random.default_rng(0)
    sample = quantize_input(rng.standard_normal(fmt["shape"]).astype(np.float32), fmt)
    for _ in range(_WARMUP):
        invoke(sample)
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        invoke(sample)
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6
