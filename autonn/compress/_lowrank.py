"""Low-rank factorisation: a layer's weight matrix becomes the product of two thinner ones.

A Linear (out x in) or a Conv (out x in*k) of rank r becomes two layers: `down` (r outputs, the
original kernel, stride and padding, no bias) then `up` (a Linear, or a 1x1 Conv, r -> out, with
the original bias). Truncated SVD gives the best rank-r approximation of the weight (Eckart-Young);
the square root of the singular values goes to each side so both start at a similar scale for
fine-tuning. A layer is factorised only where that pays: r * (in*k + out) < out * in*k weights.
Grouped and depthwise convolutions are left alone (their weight is not one matrix).

A factorised model is still its config's model with some layers swapped for `LowRank`, so the
config plus the saved weights rebuild it: `restore_factorised` swaps the same layers back in from
the shapes in the state dict (see `fit_to_state_dict`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autonn.compress._modules import replace_module

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


class LowRank(nn.Module):
    """`up(down(x))`: one factorised layer."""

    def __init__(self, down: nn.Module, up: nn.Module) -> None:
        super().__init__()
        self.down = down
        self.up = up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.down(x))


def factorise(model: nn.Module, rank_ratio: float) -> list[str]:
    """Factorise, in place, every Linear and ungrouped Conv of `model` where it pays, keeping
    `ceil(rank_ratio * full rank)` singular values. Returns the names of the layers factorised
    (rank_ratio 1.0 factorises nothing)."""
    if not 0.0 < rank_ratio <= 1.0:
        raise ValueError(f"`0 < rank_ratio <= 1` must hold, but got {rank_ratio=}.")
    if rank_ratio == 1.0:
        return []
    done = []
    for name, layer in list(model.named_modules()):
        if not name or not _factorisable(layer):  # the model itself: nothing to put it in
            continue
        out, fan_in = _matrix_shape(layer)
        rank = max(1, math.ceil(rank_ratio * min(out, fan_in)))
        if rank * (fan_in + out) < out * fan_in:
            replace_module(model, name, factorise_layer(layer, rank))
            done.append(name)
    return done


@torch.no_grad()
def factorise_layer(layer: nn.Module, rank: int) -> LowRank:
    """`layer` as two layers through `rank` channels, from the truncated SVD of its weight."""
    out, fan_in = _matrix_shape(layer)
    if not 1 <= rank <= min(out, fan_in):
        raise ValueError(f"`1 <= rank <= {min(out, fan_in)}` must hold, but got {rank=}.")
    weight = layer.weight.detach()
    u, s, vh = torch.linalg.svd(weight.reshape(out, fan_in).double(), full_matrices=False)
    root = s[:rank].sqrt()
    down_w = (root[:, None] * vh[:rank]).to(weight.dtype)
    up_w = (u[:, :rank] * root[None, :]).to(weight.dtype)
    down, up = _pair(layer, rank)
    down.weight.copy_(down_w.reshape(down.weight.shape))
    up.weight.copy_(up_w.reshape(up.weight.shape))
    if layer.bias is not None:
        up.bias.copy_(layer.bias.detach())
    pair = LowRank(down, up).to(weight.device)
    return pair.train(layer.training)


def restore_factorised(model: nn.Module, state_dict: dict[str, torch.Tensor]) -> None:
    """Swap in a LowRank wherever `state_dict` holds a factorised layer (`<name>.down.weight`)
    and `model` has that layer whole, shaped from the state dict's weights."""
    for name, layer in list(model.named_modules()):
        down, up = state_dict.get(f"{name}.down.weight"), state_dict.get(f"{name}.up.weight")
        if down is None or up is None or not name or not _factorisable(layer):
            continue
        # Shapes from the weights, not the layer: the factorised layer may have been pruned too.
        pair = _pair(layer, down.shape[0], in_channels=down.shape[1], out=up.shape[0])
        replace_module(model, name, LowRank(*pair))


def _pair(
    layer: nn.Module, rank: int, *, in_channels: int | None = None, out: int | None = None
) -> tuple[nn.Module, nn.Module]:
    bias = layer.bias is not None
    if isinstance(layer, nn.Linear):
        in_f = in_channels or layer.in_features
        return nn.Linear(in_f, rank, bias=False), nn.Linear(rank, out or layer.out_features, bias)
    conv = type(layer)
    down = conv(
        in_channels or layer.in_channels,
        rank,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        dilation=layer.dilation,
        bias=False,
        padding_mode=layer.padding_mode,
    )
    return down, conv(rank, out or layer.out_channels, 1, bias=bias)


def _factorisable(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Linear) or (isinstance(layer, _CONVS) and layer.groups == 1)


def _matrix_shape(layer: nn.Module) -> tuple[int, int]:
    """(outputs, inputs) of the layer's weight as a matrix; a conv's inputs include its kernel."""
    weight = layer.weight
    return weight.shape[0], math.prod(weight.shape[1:])
