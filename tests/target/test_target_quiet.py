"""autonn never prints: litert-torch, ai-edge-quantizer, TensorFlow's C++ logging and the LiteRT
and TFLite Micro runtimes all write to the terminal on their own, and a device target must keep
them quiet, from the first import of the toolchain on (a fresh process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.target.conftest import target_or_skip

pytestmark = pytest.mark.integration

SCRIPT = """
import sys, tempfile
from pathlib import Path
import numpy as np
import torch
from autonn.target import get_target

model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
x = np.random.default_rng(0).standard_normal((8, 8), dtype=np.float32)
# Every path once: litert's four formats (converter, ai-edge-quantizer, PT2E, the LiteRT
# interpreter) and tflm's fp32 (the flash rewrite, the arena's child process, TFLite Micro).
for name, formats in (("litert", None), ("tflm", ["fp32"])):
    target = get_target(name)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats or target.formats:
            path = target.export(model.eval(), (8,), fmt, Path(tmp) / fmt, calibration=x)
            target.logits(path, x)
            target.ram_bytes(path, (8,))
            target.latency_ms(path, (8,))
"""


def test_the_device_targets_write_nothing_to_the_terminal():
    target_or_skip("tflm")  # needs all of litert's packages too
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (done.stdout, done.stderr) == ("", "")
