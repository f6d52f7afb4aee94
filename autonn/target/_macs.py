"""Multiply-accumulates of one inference, counted layer by layer with forward hooks.

What is counted: every layer that multiplies its input by weights, as many MACs as products it
forms, per sample:
    Linear                 out elements x in_features
    Conv1d/2d/3d           out elements x (in_channels / groups) x kernel elements
                           (so a depthwise conv costs one kernel per output element)
    ConvTranspose1d/2d/3d  in elements x (out_channels / groups) x kernel elements
    LayerNorm              one per element with an affine scale (it cannot fold into a neighbour)
Low-rank factorised layers (autonn.compress.LowRank) are counted through the two layers they
hold. Not counted: BatchNorm (every exporter folds it into the convolution or Linear before it),
activations, pooling, residual adds and bias additions, which are elementwise.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def macs(model: torch.nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one inference of `model` on one sample of `input_shape`.

    Runs one forward pass (eval mode, no gradients) on zeros on the model's device; the model is
    left in the mode it came in.
    """
    import torch

    counts: list[int] = []
    hooks = [
        layer.register_forward_hook(lambda m, i, o: counts.append(_layer_macs(m, i[0], o)))
        for layer in model.modules()
        if _counted(layer)
    ]
    device = next(iter(model.parameters()), torch.empty(0)).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), dtype=torch.float32, device=device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return int(sum(counts))


def _counted(layer) -> bool:
    from torch import nn

    convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
    transposed = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    return isinstance(layer, (nn.Linear, nn.LayerNorm, *convs, *transposed))


def _layer_macs(layer, x, y) -> int:
    from torch import nn

    if isinstance(layer, nn.Linear):
        return y.numel() * layer.in_features
    if isinstance(layer, nn.LayerNorm):
        return y.numel() if layer.elementwise_affine else 0
    kernel = math.prod(layer.kernel_size)
    if layer.transposed:  # each input element scatters into a kernel's worth of outputs
        return x.numel() * (layer.out_channels // layer.groups) * kernel
    return y.numel() * (layer.in_channels // layer.groups) * kernel
