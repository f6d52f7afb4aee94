"""Structured pruning: whole neurons and channels leave the network, so layers really shrink.

torch-pruning's dependency graph finds what must shrink together: a Conv's output channels with its
BatchNorm and the next Conv's input channels, the features of a Linear fed through Flatten, a
depthwise conv's channels with those feeding it, and both sides of a residual add (tested on
torch-pruning 1.6: tests/compress). Every
prunable layer loses the same fraction of its outputs (local pruning, L2 magnitude importance); the
classifier's outputs are never touched.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

from autonn.compress._lowrank import restore_factorised
from autonn.compress._modules import replace_module
from autonn.errors import TrialFailed

log = logging.getLogger("autonn.compress")

_PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prune_structured(
    model: nn.Module,
    ratio: float,
    example_input: torch.Tensor,
    *,
    fresh: Callable[[], nn.Module] | None = None,
) -> nn.Module:
    """Remove the fraction `ratio` of the output channels/neurons of every layer but the last.

    Prunes `model` in place and returns it (same object), in the train/eval mode it came in;
    fine-tune it afterwards. `example_input` is a batch the model accepts (one sample is enough).
    A layer of width w keeps int(w * (1 - ratio)) channels (torch-pruning's rounding); a layer of
    width 1 cannot shrink and is left alone.

    The pruned weights must rebuild the model later (export does `config.build` then
    `fit_to_state_dict`), so that is tried here: `fresh()` builds an unpruned model of the same
    architecture (default: a copy of `model` taken before pruning), the pruned weights are fitted
    into it and it must compute what the pruned model computes. A layer that cannot be resized
    (attention, a bare parameter, ...) fails the trial now, named, instead of its export later.

    Raises TrialFailed when `ratio` would empty a layer, the pruner fails or the pruned weights do
    not rebuild the model; the model may then be half pruned and must not be used.
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
    _check_supported(model)
    _check_no_layer_empties(model, layers[:-1], ratio)
    if fresh is None:
        template = copy.deepcopy(model)

        def fresh() -> nn.Module:
            return template

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
    # Building and resizing layers draws initial weights; the trial's random stream (fine-tuning
    # next) must not depend on this check, or checking would change every pruned trial's result.
    with torch.random.fork_rng(devices=[]):
        _check_rebuilds(model, fresh, example_input)
    log.debug("pruned %.2f: %s", ratio, _widths(model))
    return model


def _check_rebuilds(
    model: nn.Module, fresh: Callable[[], nn.Module], example_input: torch.Tensor
) -> None:
    was_training = model.training
    rebuilt = fresh()
    try:
        fit_to_state_dict(rebuilt, model.state_dict())
    except (ValueError, RuntimeError) as exc:
        raise TrialFailed(
            f"the pruned model cannot be rebuilt from its config and weights, so it could not be "
            f"exported: {exc}; search this model without pruning (prune=0)"
        ) from exc
    rebuilt = rebuilt.to(example_input.device).eval()
    model.eval()
    try:
        with torch.no_grad():
            expected, got = model(example_input), rebuilt(example_input)
    finally:
        model.train(was_training)
    if expected.shape != got.shape or not torch.allclose(expected, got, rtol=1e-4, atol=1e-5):
        raise TrialFailed(
            "the pruned model rebuilt from its config and weights computes something else than "
            "the pruned model (a layer keeps a size outside its weights); search this model "
            "without pruning (prune=0)"
        )


def _check_supported(model: nn.Module) -> None:
    # torch-pruning 1.6 crashes inside its importance scores on a depthwise conv with more than
    # one output per input channel (IndexError, no layer named); say which layer instead.
    for name, m in model.named_modules():
        if (
            isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d)
            and m.groups > 1
            and m.groups == m.in_channels
            and m.out_channels != m.in_channels
        ):
            raise TrialFailed(
                f"cannot prune layer {name!r} ({type(m).__name__}): a depthwise convolution with "
                f"{m.out_channels // m.in_channels} output channels per input channel is not "
                "supported by torch-pruning; use one output per channel, or prune=0"
            )


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
    weights rebuild it exactly, with no pickled module. Resizes Linear, Conv (grouped and
    depthwise included), BatchNorm, LayerNorm, GroupNorm and Embedding layers, and swaps in the
    two layers of each low-rank factorised one (`<name>.down`, `<name>.up`); raises ValueError
    naming the layer for any other layer whose weights changed shape.
    """
    restore_factorised(model, state_dict)
    for name, module in list(model.named_modules()):
        weight = state_dict.get(f"{name}.weight")
        current = getattr(module, "weight", None)
        if weight is None or not isinstance(current, torch.Tensor) or current.shape == weight.shape:
            continue
        try:
            new = _resized(module, weight.shape)
        except ValueError as exc:
            raise ValueError(f"layer {name!r}: {exc}") from None
        replace_module(model, name, new)
    own = model.state_dict()
    mismatched = [
        k for k, v in state_dict.items() if k in own and tuple(own[k].shape) != tuple(v.shape)
    ]
    if mismatched:
        layers = {k.rpartition(".")[0] for k in mismatched}
        described = ", ".join(
            f"{n or '(the model itself)'!r} ({type(model.get_submodule(n)).__name__})"
            for n in sorted(layers)
        )
        raise ValueError(
            f"cannot resize layer {described} to the pruned weights "
            f"{', '.join(f'{k} {tuple(state_dict[k].shape)}' for k in mismatched)}"
        )
    model.load_state_dict(state_dict)
    return model


def _resized(module: nn.Module, shape: torch.Size) -> nn.Module:
    if isinstance(module, nn.Linear):
        return nn.Linear(shape[1], shape[0], bias=module.bias is not None)
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        groups, in_channels = module.groups, shape[1] * module.groups
        if module.groups > 1 and module.groups == module.in_channels:
            # Depthwise (each input channel its own group, `multiplier` outputs per group):
            # pruning removes whole groups, so the group count follows the channels.
            multiplier = module.out_channels // module.in_channels
            if shape[0] % multiplier:
                raise ValueError(
                    f"a depthwise {type(module).__name__} with {multiplier} outputs per channel "
                    f"cannot have {shape[0]} output channels"
                )
            groups = in_channels = shape[0] // multiplier
        elif shape[0] % groups:
            raise ValueError(
                f"a {type(module).__name__} with groups={groups} cannot have {shape[0]} outputs"
            )
        return type(module)(
            in_channels,
            shape[0],
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            dilation=module.dilation,
            groups=groups,
            bias=module.bias is not None,
            padding_mode=module.padding_mode,
        )
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)):
        return type(module)(
            shape[0],
            eps=module.eps,
            momentum=module.momentum,
            affine=module.affine,
            track_running_stats=module.track_running_stats,
        )
    if isinstance(module, nn.LayerNorm) and len(module.normalized_shape) == len(shape):
        return nn.LayerNorm(tuple(shape), eps=module.eps, bias=module.bias is not None)
    if isinstance(module, nn.GroupNorm):
        if shape[0] % module.num_groups:
            raise ValueError(
                f"a GroupNorm of {module.num_groups} groups cannot have {shape[0]} channels"
            )
        return nn.GroupNorm(module.num_groups, shape[0], eps=module.eps, affine=module.affine)
    if isinstance(module, nn.Embedding):
        return nn.Embedding(
            shape[0],
            shape[1],
            padding_idx=module.padding_idx,
            max_norm=module.max_norm,
            norm_type=module.norm_type,
            scale_grad_by_freq=module.scale_grad_by_freq,
            sparse=module.sparse,
        )
    raise ValueError(
        f"autonn cannot resize a {type(module).__name__} to weights shaped {tuple(shape)}"
    )
