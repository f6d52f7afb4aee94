"""TFLite Micro, for real: the arena ram_bytes reports is the smallest that works (checked in
fresh processes, as a too-small arena can crash one), and an operator it has no kernel for
fails the export by name. The device targets' other refusals are here too."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from autonn.errors import TrialFailed
from autonn.space import MLP
from tests.target.conftest import MODELS, target_or_skip

pytestmark = pytest.mark.integration

# Exit status 0: allocated and ran one inference. Anything else (an exception, a crash) did not.
RUNS = """
import sys
import numpy as np
from tflite_micro import runtime
blob = open(sys.argv[1], "rb").read()
interpreter = runtime.Interpreter.from_bytes(blob, arena_size=int(sys.argv[2]))
details = interpreter.get_input_details(0)
interpreter.set_input(np.zeros(tuple(details["shape"]), details["dtype"]), 0)
interpreter.invoke()
"""


def _runs(path, arena: int) -> bool:
    done = subprocess.run([sys.executable, "-c", RUNS, str(path), str(arena)], capture_output=True)
    return done.returncode == 0


@pytest.mark.parametrize("fmt, model", [("fp32", "mlp"), ("int8-static", "cnn")])
def test_ram_bytes_is_the_smallest_arena_that_allocates_and_runs(fmt, model, exported):
    tflm = target_or_skip("tflm")
    path = exported("tflm", fmt, model)
    arena = tflm.ram_bytes(path, MODELS[model][1])
    assert _runs(path, arena)
    assert not _runs(path, arena - 1)


def test_an_operator_tflm_has_no_kernel_for_fails_the_export_by_name(tmp_path):
    tflm = target_or_skip("tflm")
    model = MLP(hidden=(16,), activation="gelu").build((8,), 4).eval()
    with pytest.raises(TrialFailed) as caught:
        tflm.export(model, (8,), "fp32", tmp_path / tflm.artifact)
    assert str(caught.value) == "TFLite Micro has no kernel for operator GELU"


class Sorted(nn.Module):
    def __init__(self, op) -> None:
        super().__init__()
        self.fc, self.op = nn.Linear(8, 4), op

    def forward(self, x):
        return self.op(self.fc(x))


def test_litert_names_an_operator_its_runtime_lacks(tmp_path):
    """torch.sort converts (to STABLEHLO_SORT) but the LiteRT interpreter cannot run it."""
    litert = target_or_skip("litert")
    model = Sorted(lambda x: torch.sort(x, dim=-1).values).eval()
    with pytest.raises(TrialFailed, match=r"^LiteRT has no kernel for operator STABLEHLO_SORT"):
        litert.export(model, (8,), "fp32", tmp_path / litert.artifact)


def test_litert_names_an_operator_its_converter_lacks(tmp_path):
    litert = target_or_skip("litert")
    with pytest.raises(TrialFailed, match=r"Lowering not found: aten\.erfinv"):
        litert.export(Sorted(torch.erfinv).eval(), (8,), "fp32", tmp_path / litert.artifact)


def test_int8_static_without_calibration_is_a_programming_error(tmp_path):
    tflm = target_or_skip("tflm")
    model = nn.Sequential(nn.Linear(8, 4)).eval()
    with pytest.raises(ValueError, match="calibration"):
        tflm.export(model, (8,), "int8-static", tmp_path / tflm.artifact, calibration=None)
    calibration = np.zeros((0, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="calibration"):
        tflm.export(model, (8,), "int8-static", tmp_path / "m.tflite", calibration=calibration)
