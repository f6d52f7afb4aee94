"""MACs counted layer by layer: by hand for small models, and against torch's own FLOP counter
for the built-in families (milliseconds)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from autonn.compress import factorise, prune_structured
from autonn.space import CNN, DSCNN, MLP
from autonn.target import macs


def test_two_linear_layers():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    assert macs(model, (64,)) == 64 * 32 + 32 * 10


def test_a_convolution_a_depthwise_one_and_a_strided_1d_one():
    # 3 -> 8 channels, 3x3, padding 1 on 8x8: 8*8*8 outputs, each 3*3*3 products.
    assert macs(nn.Conv2d(3, 8, 3, padding=1), (3, 8, 8)) == (8 * 8 * 8) * (3 * 3 * 3)
    # Depthwise: each output sees one input channel's 3x3 window.
    assert macs(nn.Conv2d(8, 8, 3, padding=1, groups=8), (8, 8, 8)) == (8 * 8 * 8) * 9
    # Conv1d 2 -> 4, kernel 5, stride 2, no padding, length 21: (21 - 5) // 2 + 1 = 9 positions.
    assert macs(nn.Conv1d(2, 4, 5, stride=2), (2, 21)) == (4 * 9) * (2 * 5)


def test_a_factorised_model_counts_its_two_thinner_layers():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    assert factorise(model, 0.25) == ["0", "2"]  # ranks ceil(0.25 * 32) = 8, ceil(0.25 * 10) = 3
    assert macs(model, (64,)) == 8 * (64 + 32) + 3 * (32 + 10)


def test_layer_norm_counts_its_affine_scale_per_element():
    model = nn.Sequential(nn.Linear(16, 8), nn.LayerNorm(8))
    assert macs(model, (16,)) == 16 * 8 + 8


@pytest.mark.parametrize(
    "config, shape",
    [
        (MLP(hidden=(48, 24)), (64,)),
        (CNN(channels=(8, 16)), (1, 8, 8)),
        (CNN(channels=(8, 16), kernel_size=5), (3, 128)),
        (DSCNN(width=0.5, depth=3, expansion=2), (1, 8, 8)),
        (DSCNN(width=0.5, depth=3, kernel_size=5), (1, 128)),
    ],
)
def test_the_families_agree_with_torchs_flop_counter(config, shape):
    """torch counts 2 FLOPs per multiply-accumulate of matrix products and convolutions, groups
    included, and nothing for BatchNorm, pools and activations: the same definition."""
    torch.manual_seed(0)
    model = config.build(shape, 10).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros((1, *shape)))
    assert macs(model, shape) == counter.get_total_flops() // 2 > 0


def test_pruning_shrinks_the_count_and_the_model_keeps_its_mode():
    torch.manual_seed(0)
    model = CNN(channels=(16, 32)).build((1, 8, 8), 10)
    before = macs(model, (1, 8, 8))
    assert model.training  # macs ran it in eval mode and gave it back as it came
    prune_structured(model, 0.5, torch.zeros((2, 1, 8, 8)))
    assert macs(model, (1, 8, 8)) < 0.5 * before
