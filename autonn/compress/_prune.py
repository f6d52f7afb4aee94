"""Structured pruning: whole neurons and channels leave the network, so layers really shrink.

torch-pruning's dependency graph finds what must shrink together: a Conv's output channels with its
BatchNorm and the next Conv's input channels, or the features of a Linear fed through Flatten. Every
prunable layer loses the same fraction of its outputs (local pruning, L2 magnitude importance); the
classifier's outputs are never touched.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from autonn.errors import TrialFailed

log = logging.getLogger("autonn.compress")

_PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prune_structured(model: nn.Module, ratio: float, example_input: torch.Tensor) -> nn.Module:
    """Remove the fraction `ratio` of the output channels/neurons of every layer but the last.

    Prunes `model` in place and returns it (same object), in the train/eval mode it came in;
    fine-tune it afterwards. `example_input` is a batch the model accepts (one sample is enough).
    A layer of width w keeps int(w * (1 - ratio)) channels (torch-pruning's rounding); a layer of
    width 1 cannot shrink and is left alone. Raises TrialFailed when `ratio` would empty a layer or
    the pruner fails; the model may then be half pruned and must not be used.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"`0 <= ratio < 1` must hold, but got {ratio=}.")
    if ratio == 0.0:
        return model
    layers = [m for m in model.modules() if isinstance(m, _PRUNABLE)]
    if not layers or not isinstance(layers[-1], nn.Linear):
        raise TrialFailed(
            f"pruning needs a model ending in a Linear classifier; got {type(model).__name__}"
        )
    classifier = layers[-1]
    _check_no_layer_empties(model, layers[:-1], ratio)

    import torch_pruning as tp

    device = next(model.parameters()).device
    example_input = example_input.to(device)
    was_training = model.training
    # Eval mode while the graph is traced: a forward pass in train mode would move BatchNorm's
    # running statistics towards the example batch.
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch-pruning warns about unwrapped params etc.
            pruner = tp.pruner.MetaPruner(
                model,
                example_input,
                importance=tp.importance.MagnitudeImportance(p=2),
                pruning_ratio=ratio,
                ignored_layers=[classifier],
            )
            pruner.step()
        with torch.no_grad():
            out = model(example_input)
    except Exception as exc:
        raise TrialFailed(f"pruning failed: {type(exc).__name__}: {exc}") from exc
    finally:
        model.train(was_training)
    empty = [name for name, m in model.named_modules() if isinstance(m, _PRUNABLE) and _empty(m)]
    if empty:  # the pre-check should make this impossible; never hand on a broken model
        raise TrialFailed(f"pruning {ratio:g} left layers {empty} with no channels")
    if out.shape[-1] != classifier.out_features:
        raise TrialFailed(
            f"pruning changed the number of outputs to {out.shape[-1]} "
            f"(expected {classifier.out_features})"
        )
    log.debug("pruned %.2f: %s", ratio, _widths(model))
    return model


def _check_no_layer_empties(model: nn.Module, layers: list[nn.Module], ratio: float) -> None:
    # torch-pruning silently skips a layer that would lose every channel, so a large ratio would
    # prune some layers and not others; the trial should rather fail, saying which layer.
    names = {m: name for name, m in model.named_modules()}
    for layer in layers:
        width = _out_width(layer)
        if width > 1 and int(width * (1 - ratio)) == 0:
            raise TrialFailed(
                f"pruning ratio {ratio:g} would remove all {width} output channels of layer "
                f"{names[layer]!r} ({type(layer).__name__}); it keeps int(width * (1 - ratio)) "
                "channels, which must be at least 1"
            )


def _out_width(layer: nn.Module) -> int:
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


def _empty(layer: nn.Module) -> bool:
    if isinstance(layer, nn.Linear):
        return layer.in_features == 0 or layer.out_features == 0
    return layer.in_channels == 0 or layer.out_channels == 0


def _widths(model: nn.Module) -> list[int]:
    return [_out_width(m) for m in model.modules() if isinstance(m, _PRUNABLE)]


def fit_to_state_dict(model: nn.Module, state_dict: dict[str, torch.Tensor]) -> nn.Module:
    """Resize `model`'s layers to the shapes in `state_dict`, then load it.

    A pruned model is its config's model with narrower layers, so the config plus the pruned
    weights rebuild it exactly, with no pickled module. Works for the Linear, Conv and BatchNorm
    layers autonn's families are built from.
    """
    for name, module in list(model.named_modules()):
        weight = state_dict.get(f"{name}.weight")
        if weight is None or module.weight.shape == weight.shape:
            continue
        _replace(model, name, _resized(module, weight.shape))
    model.load_state_dict(state_dict)
    return model


def _resized(module: nn.Module, shape: torch.Size) -> nn.Module:
    if isinstance(module, nn.Linear):
        return nn.Linear(shape[1], shape[0], bias=module.bias is not None)
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        return type(module)(
            shape[1],
            shape[0],
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            bias=module.bias is not None,
        )
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return type(module)(shape[0], eps=module.eps, momentum=module.momentum)
    raise ValueError(f"cannot resize a {type(module).__name__} to {tuple(shape)}")


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, new)
