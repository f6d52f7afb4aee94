"""Structured pruning really removes neurons/channels, keeps the model working, fails cleanly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from autonn.compress import count_parameters, prune_structured
from autonn.errors import TrialFailed
from autonn.measure import export_onnx, onnx_logits
from autonn.space import CNN, MLP, Training
from autonn.train import accuracy, predict_logits, train

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d)


def _widths(model: nn.Module) -> list[int]:
    return [
        m.out_features if isinstance(m, nn.Linear) else m.out_channels
        for m in model.modules()
        if isinstance(m, _LAYERS)
    ]


@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.75])
def test_every_layer_but_the_classifier_loses_the_ratio(case, ratio):
    before_widths, before_params = _widths(case.model), count_parameters(case.model)
    pruned = prune_structured(case.model, ratio, case.x[:1])
    assert pruned is case.model
    expected = [int(w * (1 - ratio)) for w in before_widths[:-1]] + [case.n_classes]
    assert _widths(pruned) == expected
    # Inner layers lose inputs and outputs, so parameters fall by at least the ratio.
    after = count_parameters(pruned)
    assert (1 - ratio) ** 2 * 0.8 * before_params <= after <= (1 - ratio) * before_params
    for layer, bn in zip(pruned, list(pruned)[1:], strict=False):
        if isinstance(bn, nn.BatchNorm1d | nn.BatchNorm2d):
            assert bn.num_features == layer.out_channels == bn.running_mean.numel()
    logits = predict_logits(pruned, case.x)
    assert logits.shape == (len(case.x), case.n_classes) and torch.isfinite(logits).all()


def test_ratio_zero_returns_the_model_untouched(case):
    state = {k: v.clone() for k, v in case.model.state_dict().items()}
    assert prune_structured(case.model, 0.0, case.x[:1]) is case.model
    after = case.model.state_dict()
    assert state.keys() == after.keys() and all(torch.equal(state[k], after[k]) for k in state)


def test_the_weakest_neurons_go():
    torch.manual_seed(0)
    model = MLP(hidden=(8,)).build((4,), 3).eval()
    first, last = model[1], model[3]
    with torch.no_grad():  # neurons 1, 3, 5, 7 contribute nothing: pruning half must take those
        first.weight[1::2] = 0
        first.bias[1::2] = 0
        last.weight[:, 1::2] = 0
    x = torch.randn(16, 4)
    expected = model(x).detach()
    prune_structured(model, 0.5, x[:1])
    assert model[1].out_features == 4 and model[3].in_features == 4
    torch.testing.assert_close(model(x), expected)


@pytest.mark.parametrize("kind", ["mlp", "cnn2d"])
def test_pruned_model_fine_tunes_back_to_its_accuracy(_cases, kind):
    import copy

    case = copy.deepcopy(_cases[kind])
    x, y = case.x.numpy(), case.y
    before = accuracy(case.model, x, y)
    prune_structured(case.model, 0.5, case.x[:1])
    train(case.model, Training(lr=3e-3), case.x_train, case.y_train, x, y, epochs=3, seed=1)
    assert accuracy(case.model, x, y) >= before - 0.05


def test_train_mode_and_batchnorm_statistics_survive(_cases):
    import copy

    model = copy.deepcopy(_cases["cnn2d"].model).train()
    tracked = [m.num_batches_tracked.item() for m in model.modules() if hasattr(m, "running_mean")]
    prune_structured(model, 0.5, torch.randn(4, 1, 8, 8))
    assert model.training
    # A forward pass in train mode would have counted a batch (and moved the running means).
    assert [
        m.num_batches_tracked.item() for m in model.modules() if hasattr(m, "running_mean")
    ] == (tracked)


def test_pruned_model_exports_and_onnxruntime_agrees(case, tmp_path):
    prune_structured(case.model, 0.5, case.x[:1])
    path = export_onnx(case.model, tuple(case.x.shape[1:]), tmp_path / "pruned.onnx")
    x = case.x[:20].numpy()
    np.testing.assert_allclose(
        onnx_logits(path, x), predict_logits(case.model, x).numpy(), rtol=1e-4, atol=1e-4
    )


def test_a_prune_that_would_empty_a_layer_fails_and_leaves_the_model_alone():
    model = CNN(channels=(8, 16), head_width=16).build((1, 8, 8), 10)
    before = count_parameters(model)
    # int(8 * (1 - 0.9)) == 0: the first conv would lose all of its 8 channels.
    with pytest.raises(TrialFailed, match=r"would remove all 8 output channels of layer '0'"):
        prune_structured(model, 0.9, torch.randn(1, 1, 8, 8))
    assert count_parameters(model) == before


def test_a_width_one_layer_stays_and_the_rest_shrink():
    model = MLP(hidden=(1, 8)).build((4,), 3)
    prune_structured(model, 0.5, torch.randn(1, 4))
    assert _widths(model) == [1, 4, 3]


def test_a_pruner_error_is_a_trial_failure(monkeypatch):
    import torch_pruning

    def broken(*args, **kwargs):
        raise RuntimeError("unsupported op")

    monkeypatch.setattr(torch_pruning.pruner, "MetaPruner", broken)
    model = MLP(hidden=(8,)).build((4,), 3)
    with pytest.raises(TrialFailed, match="pruning failed: RuntimeError: unsupported op"):
        prune_structured(model, 0.5, torch.randn(1, 4))


@pytest.mark.parametrize("ratio", [-0.1, 1.0])
def test_a_ratio_outside_zero_to_one_is_a_value_error(ratio):
    with pytest.raises(ValueError, match="0 <= ratio < 1"):
        prune_structured(MLP().build((4,), 3), ratio, torch.randn(1, 4))


@pytest.mark.parametrize("kind", ["dscnn2d", "dscnn1d"])
def test_depthwise_convs_stay_depthwise_and_residual_adds_stay_aligned(_cases, kind):
    import copy

    model = copy.deepcopy(_cases[kind].model)
    blocks = [m for m in model.modules() if type(m).__name__ == "DepthwiseSeparable"]
    assert any(b.skip for b in blocks), "the case should have residual adds"
    prune_structured(model, 0.5, _cases[kind].x[:1])
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d | nn.Conv2d)]
    depthwise = [m for m in convs if m.groups > 1]
    assert depthwise and all(m.groups == m.in_channels == m.out_channels for m in depthwise)
    for block in (b for b in blocks if b.skip):  # the add needs as many channels in as out
        convs = [m for m in block.body if isinstance(m, nn.Conv1d | nn.Conv2d)]
        assert convs[0].in_channels == convs[-1].out_channels
    assert predict_logits(model, _cases[kind].x[:8]).shape == (8, _cases[kind].n_classes)


class _Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(4, 16)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        h = self.embed(x)
        return self.head(self.attn(h, h, h)[0].mean(1))


class _Gain(nn.Module):
    """A bare learned parameter multiplying a layer's outputs: nothing autonn can resize."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(8, 16)
        self.gain = nn.Parameter(torch.ones(16))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.layer(x) * self.gain)


@pytest.mark.parametrize(
    ("make", "shape", "named"),
    [
        (_Attention, (5, 4), r"layer 'attn' \(MultiheadAttention\)"),
        (_Gain, (8,), r"layer '\(the model itself\)' \(_Gain\).* gain \(8,\)"),
    ],
)
def test_a_layer_the_rebuild_cannot_handle_fails_the_prune_by_name(make, shape, named):
    # Without this, the trial would be measured and stored, and only its export would fail.
    with pytest.raises(TrialFailed, match=rf"cannot be rebuilt from its config.*{named}"):
        prune_structured(make(), 0.5, torch.randn(2, *shape), fresh=make)


def test_the_rebuild_is_checked_against_what_fresh_builds():
    def other() -> nn.Module:  # not the architecture that was pruned
        return MLP(hidden=(8, 8)).build((4,), 3)

    with pytest.raises(TrialFailed, match="cannot be rebuilt"):
        prune_structured(MLP(hidden=(8,)).build((4,), 3), 0.5, torch.randn(2, 4), fresh=other)


def test_the_rebuild_check_leaves_the_random_stream_alone():
    # Fine-tuning follows pruning: if the check drew weights from the global generator, every
    # pruned trial would train differently from before the check existed.
    config = MLP(hidden=(32, 16), dropout=0.2)
    model = config.build((13,), 3)
    torch.manual_seed(5)
    state = torch.get_rng_state()
    prune_structured(model, 0.5, torch.zeros(2, 13), fresh=lambda: config.build((13,), 3))
    assert torch.equal(torch.get_rng_state(), state)
