"""Low-rank factorisation: exact at full rank, the best approximation below it, and rebuildable."""

import pytest
import torch
from torch import nn

import autonn
from autonn.compress import LowRank, factorise, factorise_layer, fit_to_state_dict


@pytest.mark.parametrize(
    ("layer", "x_shape"),
    [
        (nn.Linear(12, 7), (5, 12)),
        (nn.Linear(7, 12, bias=False), (5, 7)),
        (nn.Conv1d(3, 6, 5, padding=2), (4, 3, 20)),
        (nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=1), (2, 4, 9, 9)),
        (nn.Conv2d(2, 5, 3, padding=1, padding_mode="reflect"), (2, 2, 6, 6)),
    ],
)
def test_at_full_rank_a_factorised_layer_reproduces_the_original(layer, x_shape):
    torch.manual_seed(0)
    full = min(layer.weight.shape[0], layer.weight[0].numel())
    pair = factorise_layer(layer, full)
    assert isinstance(pair, LowRank)
    x = torch.randn(x_shape)
    with torch.no_grad():
        torch.testing.assert_close(pair(x), layer(x), rtol=1e-4, atol=1e-5)


def test_below_full_rank_the_error_is_the_dropped_singular_values():
    # Eckart-Young: the best rank-r approximation leaves exactly the tail singular values.
    torch.manual_seed(0)
    layer = nn.Linear(20, 10)
    s = torch.linalg.svdvals(layer.weight.detach().double())
    pair = factorise_layer(layer, 4)
    product = (pair.up.weight @ pair.down.weight).double()
    error = torch.linalg.matrix_norm(product - layer.weight.double())
    assert error.item() == pytest.approx(s[4:].square().sum().sqrt().item(), rel=1e-5)
    assert pair.down.weight.shape == (4, 20) and pair.up.weight.shape == (10, 4)
    torch.testing.assert_close(pair.up.bias, layer.bias)


def test_only_layers_where_it_saves_weights_are_factorised():
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    # 64x64 at rank 13 (0.2 of 64): 13 * 128 < 4096, factorised. 64x2 at rank 1: 66 < 128, too.
    assert factorise(model, 0.2) == ["0", "2"]
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    # At 0.5 the 64x64 layer keeps rank 32: 32 * 128 = 4096 weights, no saving; the 64x2 one
    # keeps rank 1: 66 < 128.
    assert factorise(model, 0.5) == ["2"]
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    assert factorise(model, 0.8) == []  # ranks 52 and 2: both cost more than they save
    assert isinstance(model[0], nn.Linear)


def test_rank_ratio_one_changes_nothing_and_grouped_convs_are_left_alone():
    model = nn.Sequential(nn.Conv2d(8, 8, 3, groups=8), nn.Conv2d(8, 16, 1))
    before = [type(m) for m in model]
    assert factorise(model, 1.0) == []
    assert [type(m) for m in model] == before
    assert factorise(model, 0.25) == ["1"]  # the depthwise conv is not one matrix
    assert isinstance(model[0], nn.Conv2d) and isinstance(model[1], LowRank)


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (autonn.MLP(hidden=(48, 32)), (13,)),
        (autonn.CNN(channels=(8, 16)), (1, 8, 8)),
        (autonn.DSCNN(width=0.5, depth=3, expansion=2), (1, 8, 8)),
    ],
)
@pytest.mark.parametrize("prune", [0.0, 0.5])
def test_factorised_weights_rebuild_the_factorised_model(config, shape, prune):
    """Export and rebuild go through config.build + fit_to_state_dict, as for pruning."""
    torch.manual_seed(0)
    model = config.build(shape, 3).eval()
    x = torch.randn(4, *shape)
    if prune:
        autonn.compress.prune_structured(model, prune, x[:2])
    assert factorise(model, 0.3)
    rebuilt = fit_to_state_dict(config.build(shape, 3), model.state_dict()).eval()
    assert [type(m) for m in rebuilt.modules()] == [type(m) for m in model.modules()]
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))
