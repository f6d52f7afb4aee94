"""The onnx and litert targets estimate RAM as the peak of live activation bytes; checked by hand
on graphs small enough to add up."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from autonn.target import get_target
from tests.target.conftest import target_or_skip


class Skip(nn.Module):
    """x -> a = relu(fc1(x)) -> b = fc2(a) -> a + b: `a` stays alive across fc2."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 32)

    def forward(self, x):
        a = torch.relu(self.fc1(x))
        return a + self.fc2(a)


def test_onnx_counts_what_is_alive_at_once(tmp_path):
    onnx = get_target("onnx")
    path = onnx.export(Skip().eval(), (16,), "fp32", tmp_path / "model.onnx")
    # Gemm(x 64 B -> 128 B), Relu(128 -> a 128), Gemm(a -> b 128) while a lives, Add(a, b -> 128)
    assert onnx.ram_bytes(path, (16,)) == 3 * 128


def test_onnx_leaves_weights_out_in_every_format(tmp_path):
    """fp16 casts its weights back to float32 and int8-static stores int8 ones: constants
    either way. Float activations: Flatten (256 + 256 B) is the peak of this MLP."""
    onnx = get_target("onnx")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).eval()
    fp32 = onnx.export(model, (64,), "fp32", tmp_path / "fp32.onnx")
    fp16 = onnx.export(model, (64,), "fp16", tmp_path / "fp16.onnx")
    assert onnx.ram_bytes(fp32, (64,)) == onnx.ram_bytes(fp16, (64,)) == 2 * 64 * 4


@pytest.mark.integration
def test_litert_counts_the_tflite_graph(exported):
    """The mlp (Flatten, Linear 64->32, ReLU, Linear 32->10) converts to two FULLY_CONNECTED ops
    with the ReLU fused: 64 + 32 floats alive at the first."""
    target_or_skip("litert")
    path = exported("litert", "fp32", "mlp")
    assert get_target("litert").ram_bytes(path, (64,)) == (64 + 32) * 4
    int8 = exported("litert", "int8-static", "mlp")
    assert get_target("litert").ram_bytes(int8, (64,)) == 64 + 32
