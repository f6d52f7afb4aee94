"""ONNX export and running the artifact: logits, accuracy, latency, bytes."""

from __future__ import annotations

import math

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn

from autonn.errors import TrialFailed
from autonn.measure import export_onnx, file_bytes, latency_ms, onnx_accuracy, onnx_logits
from autonn.space import CNN
from autonn.space._models import count_parameters
from autonn.train import accuracy, predict_logits


def test_export_names_dynamic_batch_and_one_file(trained, tmp_path):
    path = export_onnx(trained.model, trained.data.input_shape, tmp_path / "sub" / "m.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "logits")
    batch = inp.type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.HasField("dim_value")  # symbolic, so any batch runs
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no side file of weights
    assert file_bytes(path) == path.stat().st_size > 4 * count_parameters(trained.model)


@pytest.mark.parametrize("batch", [1, 37])
def test_onnx_logits_match_torch(trained, batch):
    x = trained.data.x_test[:batch]
    logits = onnx_logits(trained.onnx_path, x)
    assert logits.shape == (batch, trained.data.n_classes) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, trained.test_logits[:batch], rtol=1e-4, atol=1e-4)


def test_onnx_accuracy_is_the_torch_accuracy(trained):
    data = trained.data
    got = onnx_accuracy(trained.onnx_path, data.x_test, data.y_test)
    assert got == pytest.approx(
        accuracy(trained.model, data.x_test, data.y_test), abs=1e-6
    )  # torch averages in float32
    assert got > 0.85  # sanity: the fixture models did learn digits


def test_export_uses_eval_mode_and_restores_training_mode(tmp_path):
    torch.manual_seed(0)
    model = CNN(channels=(4,), head_width=8, dropout=0.5).build((1, 8, 8), 3)
    for module in model.modules():  # make running statistics differ from batch statistics
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.fill_(0.7)
            module.running_var.fill_(3.0)
    model.train()
    path = export_onnx(model, (1, 8, 8), tmp_path / "m.onnx")
    assert model.training
    x = np.random.default_rng(0).standard_normal((16, 1, 8, 8)).astype(np.float32)
    expected = predict_logits(model, x).numpy()  # eval mode: running stats, no dropout
    np.testing.assert_allclose(onnx_logits(path, x), expected, rtol=1e-4, atol=1e-5)


def test_export_of_1d_cnn_runs_in_plain_onnxruntime(tmp_path):
    torch.manual_seed(0)
    model = CNN(channels=(4, 8), head_width=8).build((3, 20), 5).eval()
    path = export_onnx(model, (3, 20), tmp_path / "m.onnx")
    x = np.random.default_rng(1).standard_normal((7, 3, 20)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"input": x})
    np.testing.assert_allclose(got, predict_logits(model, x).numpy(), rtol=1e-4, atol=1e-5)


def test_export_failure_is_a_trial_failure(tmp_path, monkeypatch):
    import autonn.measure._onnx as exporter

    def dynamo_fails_too(*args, **kwargs):  # a real dynamo attempt costs seconds; see below
        raise RuntimeError("dynamo failed as well\nwith a page of advice")

    monkeypatch.setattr(exporter, "_export_dynamo", dynamo_fails_too)

    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("cannot trace me")

    with pytest.raises(TrialFailed, match=r"^ONNX export failed: RuntimeError: cannot trace me$"):
        export_onnx(Broken(), (4,), tmp_path / "m.onnx")


def test_latency_is_a_positive_finite_millisecond_figure(trained_cnn):
    ms = latency_ms(trained_cnn.onnx_path, trained_cnn.data.input_shape, repeats=20)
    assert math.isfinite(ms) and 0 < ms < 100


def test_latency_rejects_no_repeats(trained_mlp):
    with pytest.raises(ValueError, match="repeats >= 1"):
        latency_ms(trained_mlp.onnx_path, (1, 8, 8), repeats=0)


def test_unloadable_file_is_a_trial_failure(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"not an onnx model")
    with pytest.raises(TrialFailed, match="cannot load junk.onnx"):
        onnx_logits(path, np.zeros((1, 4), dtype=np.float32))


def test_dynamo_fallback_writes_one_equivalent_file(trained_mlp, tmp_path, monkeypatch):
    import autonn.measure._onnx as exporter

    def unavailable(*args, **kwargs):
        raise RuntimeError("legacy exporter removed")

    monkeypatch.setattr(exporter, "_export_torchscript", unavailable)
    path = export_onnx(trained_mlp.model, trained_mlp.data.input_shape, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == [path]  # weights inside, not in a .data side file
    x = trained_mlp.data.x_test[:5]
    np.testing.assert_allclose(
        onnx_logits(path, x), trained_mlp.test_logits[:5], rtol=1e-4, atol=1e-4
    )
