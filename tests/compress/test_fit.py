"""A pruned model comes back from its config and its weights alone (no pickled module)."""

import pytest
import torch
from torch import nn

import autonn
from autonn.compress import fit_to_state_dict, prune_structured


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (autonn.MLP(hidden=(32, 16)), (13,)),
        (autonn.CNN(channels=(8, 16)), (1, 8, 8)),
        (autonn.DSCNN(width=0.5, depth=4, expansion=2), (1, 8, 8)),
        (autonn.DSCNN(width=0.5, depth=3, kernel_size=5), (3, 32)),
    ],
)
def test_pruned_weights_rebuild_the_pruned_model(config, shape):
    torch.manual_seed(0)
    model = config.build(shape, 3).eval()
    x = torch.randn(4, *shape)
    prune_structured(model, 0.5, x[:2])
    rebuilt = fit_to_state_dict(config.build(shape, 3), model.state_dict()).eval()
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(
        p.numel() for p in model.parameters()
    )
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))


class _Grouped(nn.Module):
    """A grouped conv (4 groups) with GroupNorm, then a dilated depthwise conv."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1, groups=4)
        self.gn = nn.GroupNorm(4, 16)
        self.dw = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16, bias=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.dw(self.gn(self.c2(self.c1(x)))).mean((2, 3)))


class _ResidualLayerNorm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(13, 32)
        self.block = nn.Sequential(
            nn.LayerNorm(32), nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32)
        )
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        h = self.inp(x)
        return self.head(self.norm(h + self.block(h)))


@pytest.mark.parametrize(("make", "shape"), [(_Grouped, (1, 8, 8)), (_ResidualLayerNorm, (13,))])
def test_grouped_convs_group_norm_and_layer_norm_rebuild(make, shape):
    torch.manual_seed(0)
    model = make().eval()
    x = torch.randn(4, *shape)
    before = sum(p.numel() for p in model.parameters())
    prune_structured(model, 0.5, x[:2])
    assert sum(p.numel() for p in model.parameters()) < before
    rebuilt = fit_to_state_dict(make(), model.state_dict()).eval()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))


def test_a_layer_it_cannot_resize_is_named():
    model = nn.Sequential(nn.Linear(4, 8), nn.MultiheadAttention(8, 2), nn.Linear(8, 3))
    state = model.state_dict()
    state["1.in_proj_weight"] = torch.zeros(12, 4)
    state["1.in_proj_bias"] = torch.zeros(12)
    with pytest.raises(ValueError, match=r"cannot resize layer '1' \(MultiheadAttention\)"):
        fit_to_state_dict(model, state)


def test_a_depthwise_conv_with_a_channel_multiplier_fails_named():
    from autonn.errors import TrialFailed

    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.Conv2d(8, 16, 3, groups=8), nn.Flatten(), nn.Linear(64, 3)
    )
    with pytest.raises(TrialFailed, match=r"cannot prune layer '1' \(Conv2d\): a depthwise"):
        prune_structured(model, 0.5, torch.randn(2, 1, 8, 8))
