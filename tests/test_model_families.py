"""Every model family runs a whole trial without Ray: train, prune, quantize, export, measure, and
rebuild from its config and saved weights, as `autonn export` does. The built-in dscnn family on
images (2-D) and signals (1-D), and the worked examples of a user's own model (autonn/spaces/)."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest
import torch

import autonn
from autonn.measure import onnx_accuracy, onnx_logits
from autonn.spaces.residual_cnn import ResidualCNN
from autonn.spaces.residual_mlp import ResidualMLP
from autonn.train import predict_logits
from autonn.trial import ARTIFACT, WEIGHTS, rebuild_model, run_trial, torch_program

FAMILIES = {
    "dscnn2d": (autonn.DSCNN(width=0.5, depth=3, expansion=2), "digits"),
    "dscnn1d": (autonn.DSCNN(width=0.5, depth=3, kernel_size=5), "signals"),
    "residual_mlp": (ResidualMLP(width=32, blocks=2), "wine"),
    "residual_cnn": (ResidualCNN(channels=(8, 16)), "digits"),
}
FORMATS = ("fp32", "fp16", "int8-dynamic", "int8-static")
TRAINING = autonn.Training(lr=3e-3, batch_size=32)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, autonn.Dataset]:
    # 3-channel signals of length 32 whose class is the frequency of a sine in channel 0.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    t = np.linspace(0, 2 * np.pi, 32, dtype=np.float32)
    x = rng.normal(0, 0.3, (400, 3, 32)).astype(np.float32)
    x[:, 0] += np.sin((y[:, None] + 1) * t[None, :])
    path = tmp_path_factory.mktemp("signals") / "signals.npz"
    np.savez(path, x=x, y=y)
    return {
        "digits": autonn.load_dataset("digits", seed=0),
        "wine": autonn.load_dataset("wine", seed=0),
        "signals": autonn.load_dataset(str(path), seed=0),
    }


def _config(family: str, prune: float, quantize: str) -> autonn.ModelConfig:
    config, _ = FAMILIES[family]
    compress = autonn.Compression(prune=prune, finetune_epochs=1 if prune else 0, quantize=quantize)
    return dataclasses.replace(config, train=TRAINING, compress=compress)


@pytest.mark.parametrize("quantize", FORMATS)
@pytest.mark.parametrize("family", FAMILIES)
def test_a_pruned_trial_in_every_number_format_measures_its_artifact(
    family, quantize, datasets, tmp_path
):
    data = datasets[FAMILIES[family][1]]
    config = _config(family, 0.5, quantize)
    out = run_trial(config, data, seed=0, max_epochs=2, out_dir=tmp_path)
    artifact = tmp_path / ARTIFACT
    assert out.values["size_bytes"] == artifact.stat().st_size
    assert out.values["accuracy"] == pytest.approx(onnx_accuracy(artifact, data.x_val, data.y_val))
    assert out.attrs["n_params"] < 0.6 * out.attrs["n_params_trained"]  # pruning really shrank it
    assert out.attrs["family"] == type(config).family
    if quantize == "int8-static":
        # Weights and activations in int8: every conv and the classifier run as quantized ops on
        # int8 weights. (The file is not always smaller: for a dscnn this small, per-channel scales
        # and the quantizer's tensor names outweigh what int8 weights save; docs/benchmarks.md.)
        graph = onnx.load(str(artifact)).graph
        dtype = {i.name: i.data_type for i in graph.initializer}
        quantized = [n for n in graph.node if n.op_type in ("QLinearConv", "QGemm")]
        assert not [n for n in graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
        assert quantized and all(dtype[n.input[3]] == onnx.TensorProto.INT8 for n in quantized)
    if quantize == "fp32":
        # The weights the trial saved rebuild its pruned model from the config, as export does;
        # that model computes what the artifact computes, and becomes a torch program.
        model = rebuild_model(config, data, tmp_path / WEIGHTS)
        np.testing.assert_allclose(
            onnx_logits(artifact, data.x_test),
            predict_logits(model, data.x_test).numpy(),
            rtol=1e-4,
            atol=1e-4,
        )
        program = torch.export.load(torch_program(model, data, tmp_path / "model.pt2"))
        x = torch.from_numpy(data.x_test[:3])
        torch.testing.assert_close(program.module()(x), model(x), rtol=1e-4, atol=1e-4)


class _AttentionNet(torch.nn.Module):
    def __init__(self, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(1, 8)
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = torch.nn.Linear(8, n_classes)

    def forward(self, x):
        h = self.embed(x.flatten(1).unsqueeze(-1))  # each feature a token
        return self.head(self.attn(h, h, h)[0].mean(1))


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Attention(autonn.ModelConfig):
    def build(self, input_shape, n_classes):
        return _AttentionNet(int(np.prod(input_shape)), n_classes)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")  # MultiheadAttention's own export
def test_a_layer_pruning_cannot_rebuild_fails_the_trial_by_name_and_works_unpruned(
    datasets, tmp_path
):
    data = datasets["wine"]
    pruned = _Attention(train=TRAINING, compress=autonn.Compression(prune=0.5, finetune_epochs=1))
    with pytest.raises(autonn.TrialFailed, match=r"layer 'attn' \(MultiheadAttention\)"):
        run_trial(pruned, data, seed=0, max_epochs=1, out_dir=tmp_path / "pruned")
    plain = dataclasses.replace(pruned, compress=autonn.Compression(quantize="int8-static"))
    out = run_trial(plain, data, seed=0, max_epochs=1, out_dir=tmp_path / "plain")
    assert out.values["size_bytes"] > 0
    model = rebuild_model(plain, data, tmp_path / "plain" / WEIGHTS)
    assert model(torch.from_numpy(data.x_test[:2])).shape == (2, data.n_classes)


class _Branchy(torch.nn.Module):
    """Control flow on a tensor's value: ONNX tracing takes one branch, torch.export fails."""

    def __init__(self, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        y = self.layer(x)
        return y if y.sum() > 0 else -y


@dataclasses.dataclass(frozen=True, kw_only=True)
class _BranchyConfig(autonn.ModelConfig):
    def build(self, input_shape, n_classes):
        return _Branchy(int(np.prod(input_shape)), n_classes)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_a_model_that_export_cannot_handle_fails_its_trial_not_its_export(datasets, tmp_path):
    with pytest.raises(autonn.TrialFailed, match="the model cannot be exported"):
        run_trial(_BranchyConfig(train=TRAINING), datasets["wine"], seed=0, max_epochs=1,
                  out_dir=tmp_path)  # fmt: skip
