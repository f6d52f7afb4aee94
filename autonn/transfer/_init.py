"""Starting a trial's weights from an earlier model, wherever the architecture matches."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn


def load_matching(model: nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Copy into `model` every tensor of `state` whose name and shape match one of the model's
    own; the rest keep their fresh initialisation (a new task's classifier, a wider layer, ...).

    Returns (tensors copied, tensors in the model). Buffers such as BatchNorm's running
    statistics count as tensors: they belong to the weights they normalise.
    """
    import torch

    own = model.state_dict()
    matched = {
        name: tensor
        for name, tensor in state.items()
        if name in own and tuple(own[name].shape) == tuple(tensor.shape)
    }
    with torch.no_grad():
        for name, tensor in matched.items():
            own[name].copy_(tensor.to(own[name].dtype))
    return len(matched), len(own)
