"""Augmentation of training batches, in torch on the batch's own device.

Each transform takes a whole batch (n, C, *spatial) and draws its randomness from one
`torch.Generator` on that device, so a GPU trial never sends its data back to the CPU and a seed
gives the same batches again. Every transform keeps the batch's shape and is the identity at
strength 0. Only training sees them: validation, the exported model and its inputs do not change.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import torch

from autonn.errors import TrialFailed
from autonn.space import Augmentation

# (outputs, targets, rows of the training split) -> scalar loss; the loop's per-batch loss.
BatchLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
StepLoss = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def augmented_loss(
    loss: BatchLoss, augment: Augmentation | None, x_train: torch.Tensor, seed: int
) -> StepLoss:
    """The loss of one step as `f(model, inputs, targets, rows)`: the inputs transformed by
    `augment` first, and mixup (if on) blending pairs of inputs and the losses of their targets,
    which works for any task and any loss, a distilled one included."""
    if augment is None or not augment.active:
        return lambda model, x, y, rows: loss(model(x), y, rows)
    check_shape(augment, tuple(x_train.shape[1:]))
    generator = torch.Generator(device=x_train.device).manual_seed(seed)
    draw = random.Random(seed)  # mixup's one weight per batch: a scalar, no device work

    def step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, rows: torch.Tensor):
        x = transform(x, augment, generator)
        if augment.mixup <= 0:
            return loss(model(x), y, rows)
        lam = draw.betavariate(augment.mixup, augment.mixup)
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        out = model(lam * x + (1.0 - lam) * x[perm])
        return lam * loss(out, y, rows) + (1.0 - lam) * loss(out, y[perm], rows[perm])

    return step


def check_shape(augment: Augmentation, sample_shape: tuple[int, ...]) -> None:
    if augment.spatial and len(sample_shape) < 2:
        raise TrialFailed(
            f"augmentation shift, flip, cutout and window need samples shaped (C, L) or "
            f"(C, H, W), but this data's samples are shaped {sample_shape}; use "
            "suggest_augmentation(trial, kind='any') for vectors"
        )


def transform(x: torch.Tensor, augment: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """`x` (n, C, *spatial) with every transform of `augment` applied, each drawn per sample."""
    if augment.window:
        x = window_slice(x, augment.window, generator)
    if augment.shift:
        x = shift(x, augment.shift, generator)
    if augment.flip:
        x = flip(x, generator)
    if augment.scale:
        x = scale(x, augment.scale, generator)
    if augment.jitter:
        x = x + augment.jitter * _normal(x.shape, x, generator)
    if augment.cutout:
        x = cutout(x, augment.cutout, generator)
    return x


def shift(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Translate each sample by up to `fraction` of each spatial size, repeating the edge values
    (a random crop of an edge-padded image; a series moved in time)."""
    for dim, size in _spatial(x):
        most = round(fraction * size)
        if most == 0:
            continue
        offset = torch.randint(-most, most + 1, (len(x), 1), generator=generator, device=x.device)
        index = (torch.arange(size, device=x.device) - offset).clamp(0, size - 1)
        x = _take(x, dim, index)
    return x


def flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror the last axis (left-right; a series reversed in time) of a random half."""
    chosen = _uniform((len(x),), x, generator) < 0.5
    return torch.where(chosen.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)


def scale(x: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    """Multiply each sample's channels by their own factor 1 + N(0, std)."""
    factor = 1.0 + std * _normal((*x.shape[:2], *[1] * (x.dim() - 2)), x, generator)
    return x * factor


def cutout(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Set a random box of `fraction` of each spatial size to 0 (the mean of standardised data),
    clipped at the edges, in every channel of each sample."""
    keep = torch.ones((len(x), *x.shape[2:]), dtype=torch.bool, device=x.device)
    for dim, size in _spatial(x):
        side = round(fraction * size)
        if side == 0:
            return x
        centre = torch.randint(0, size, (len(x), 1), generator=generator, device=x.device)
        pos = torch.arange(size, device=x.device) - (centre - side // 2)
        inside = (pos >= 0) & (pos < side)  # (n, size)
        shape = [len(x)] + [1] * (x.dim() - 2)
        shape[dim - 1] = size
        keep = keep & ~inside.view(shape)
    return x * keep.unsqueeze(1).to(x.dtype)


def window_slice(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Keep a random window of (1 - fraction) of each spatial size, stretched back to the full
    size by linear interpolation (window slicing for series, a zoomed crop for images)."""
    for dim, size in _spatial(x):
        width = size - round(fraction * size)
        if width == size or size < 2:
            continue
        start = torch.randint(0, size - width + 1, (len(x), 1), generator=generator,
                              device=x.device)  # fmt: skip
        step = (width - 1) / (size - 1)
        pos = start + step * torch.arange(size, device=x.device, dtype=x.dtype)  # (n, size)
        low = pos.floor().long().clamp(0, size - 1)
        high = (low + 1).clamp(max=size - 1)
        frac = (pos - low).to(x.dtype)
        shape = [len(x)] + [1] * (x.dim() - 1)
        shape[dim] = size
        x = _take(x, dim, low) * (1 - frac.view(shape)) + _take(x, dim, high) * frac.view(shape)
    return x


def _spatial(x: torch.Tensor) -> list[tuple[int, int]]:
    return [(dim, x.shape[dim]) for dim in range(2, x.dim())]


def _take(x: torch.Tensor, dim: int, index: torch.Tensor) -> torch.Tensor:
    """x gathered along `dim` with one index row per sample: index (n, size)."""
    shape = [len(x)] + [1] * (x.dim() - 1)
    shape[dim] = index.shape[1]
    return x.gather(dim, index.view(shape).expand(*x.shape[:dim], index.shape[1],
                                                  *x.shape[dim + 1 :]))  # fmt: skip


def _uniform(shape, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)


def _normal(shape, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)
