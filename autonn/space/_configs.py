"""Typed, frozen configs that a search space returns: what to build, how to train, how to compress.

A config is plain data (no torch import here), so a driver can validate a space cheaply and a stored
trial's params rebuild the same config on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import nn

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine", "onecycle")
ACTIVATIONS = ("relu", "gelu", "silu", "tanh")
POOLS = ("max", "avg")
QUANTIZATIONS = ("fp32", "fp16", "int8-dynamic", "int8-static")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, but got {value!r}.")


@dataclass(frozen=True, kw_only=True)
class Training:
    """How one trial trains. `epochs=None` means: the search's epoch budget (`--max-epochs`).

    schedule: the learning rate over the run, per step: "constant"; "cosine" (decays to 0 by the
        last step); "onecycle" (rises to `lr` over the warm-up, 30% of the run unless
        `warmup_epochs` says otherwise, then decays like cosine).
    warmup_epochs: epochs of linear warm-up from 0 to `lr` before the schedule (any schedule).
    label_smoothing: cross-entropy label smoothing (classification; regression ignores it).
    grad_clip: the largest gradient norm; larger gradients are scaled down to it. None: no clip.
    The defaults are 0.1's recipe: a constant rate, no smoothing, no clipping.
    """

    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    optimizer: str = "adam"
    epochs: int | None = None
    schedule: str = "constant"
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    grad_clip: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"`lr > 0` must hold, but got lr={self.lr}.")
        if self.batch_size < 1:
            raise ValueError(f"`batch_size >= 1` must hold, but got batch_size={self.batch_size}.")
        if not self.weight_decay >= 0:
            raise ValueError(f"`weight_decay >= 0` must hold, but got {self.weight_decay}.")
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"`epochs >= 1` must hold, but got epochs={self.epochs}.")
        _check_choice("schedule", self.schedule, SCHEDULES)
        if self.warmup_epochs < 0:
            raise ValueError(f"`warmup_epochs >= 0` must hold, but got {self.warmup_epochs}.")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(
                f"`0 <= label_smoothing < 0.5` must hold, but got {self.label_smoothing}."
            )
        if self.grad_clip is not None and not (
            math.isfinite(self.grad_clip) and self.grad_clip > 0
        ):
            raise ValueError(f"`grad_clip > 0` must hold, but got grad_clip={self.grad_clip}.")


@dataclass(frozen=True, kw_only=True)
class Compression:
    """What happens to a trained model before it ships, in this order: prune, factorise, fine-tune
    (distilled when `distill_alpha` > 0), quantize.

    prune: fraction of channels/neurons removed from every prunable layer (structured), 0 to 0.9.
    rank_ratio: low-rank factorisation: each Linear and ungrouped Conv keeps this fraction of its
        full rank, as two thinner layers (truncated SVD), where that saves weights. 1.0: off.
    finetune_epochs: epochs of training after pruning or factorising, to recover accuracy.
    quantize: the deployed number format (see QUANTIZATIONS).
    distill_alpha: knowledge distillation: the weight of the teacher's outputs in the loss of
        training and fine-tuning, 0 (off) to 1; the labels get the rest.
    distill_temperature: softens both sides' class probabilities before they are compared
        (classification); regression matches the teacher's outputs and ignores it.
    """

    prune: float = 0.0
    finetune_epochs: int = 0
    quantize: str = "fp32"
    rank_ratio: float = 1.0
    distill_alpha: float = 0.0
    distill_temperature: float = 4.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.prune <= 0.9:
            raise ValueError(f"`0 <= prune <= 0.9` must hold, but got prune={self.prune}.")
        if self.finetune_epochs < 0:
            raise ValueError(f"`finetune_epochs >= 0` must hold, but got {self.finetune_epochs}.")
        _check_choice("quantize", self.quantize, QUANTIZATIONS)
        if not 0.0 < self.rank_ratio <= 1.0:
            raise ValueError(f"`0 < rank_ratio <= 1` must hold, but got {self.rank_ratio}.")
        if not 0.0 <= self.distill_alpha <= 1.0:
            raise ValueError(f"`0 <= distill_alpha <= 1` must hold, but got {self.distill_alpha}.")
        if not (math.isfinite(self.distill_temperature) and self.distill_temperature > 0):
            raise ValueError(
                f"`distill_temperature > 0` must hold, but got {self.distill_temperature}."
            )

    def as_dict(self) -> dict[str, float | int | str]:
        """What a trial stores as its `compression` attribute (the toolkit's fields only when
        used, so a trial without them reads as before)."""
        out: dict[str, float | int | str] = {
            "prune": self.prune,
            "finetune_epochs": self.finetune_epochs,
            "quantize": self.quantize,
        }
        if self.rank_ratio < 1.0:
            out["rank_ratio"] = self.rank_ratio
        if self.distill_alpha > 0:
            out.update(
                distill_alpha=self.distill_alpha, distill_temperature=self.distill_temperature
            )
        return out


@dataclass(frozen=True, kw_only=True)
class Augmentation:
    """Random changes to each training batch (training only: the exported model, its inputs and
    validation are untouched). Every strength 0 (the default) is the identity; see
    autonn.train._augment for how each is drawn.

    shift: translate each sample by up to this fraction of each spatial size (edge values
        repeated), 0 to 0.5: random crops of a padded image, a shifted series.
    flip: mirror the last axis of a random half of the batch. Off unless the data allows it
        (never for digits or text: a mirrored 2 is no 2).
    cutout: erase a random square (images) or segment (series) of this fraction of each side.
    scale: multiply each sample's channels by 1 + N(0, scale) (amplitude scaling), 0 to 1.
    jitter: add N(0, jitter) noise; inputs are standardised, so it is in standard deviations.
    window: window slicing: keep a random window of (1 - window) of each spatial size and stretch
        it back (linear interpolation), 0 to 0.5.
    mixup: alpha of mixup's Beta(alpha, alpha): blend pairs of samples and their losses, 0 off.
    """

    shift: float = 0.0
    flip: bool = False
    cutout: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0
    window: float = 0.0
    mixup: float = 0.0

    def __post_init__(self) -> None:
        bounds = {"shift": 0.5, "cutout": 1.0, "scale": 1.0, "jitter": 1.0, "window": 0.5}
        for name, high in bounds.items():
            value = getattr(self, name)
            if not 0.0 <= value <= high:
                raise ValueError(f"`0 <= {name} <= {high}` must hold, but got {name}={value}.")
        if not (math.isfinite(self.mixup) and self.mixup >= 0):
            raise ValueError(f"`mixup >= 0` must hold, but got mixup={self.mixup}.")

    @property
    def spatial(self) -> bool:
        """Whether a transform needs samples with a length or height and width."""
        return bool(self.shift or self.flip or self.cutout or self.window)

    @property
    def active(self) -> bool:
        return self.spatial or bool(self.scale or self.jitter or self.mixup)


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Base of every model family: a config in, an `nn.Module` out (see `build`).

    augment: what training does to each batch (see Augmentation); none by default.
    """

    family: ClassVar[str] = "model"
    train: Training = field(default_factory=Training)
    compress: Compression = field(default_factory=Compression)
    augment: Augmentation = field(default_factory=Augmentation)

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class MLP(ModelConfig):
    """Fully connected network for vectors (any input is flattened first)."""

    family: ClassVar[str] = "mlp"
    hidden: tuple[int, ...] = (64,)
    activation: str = "relu"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"`hidden` must be widths >= 1, but got hidden={self.hidden}.")
        _check_choice("activation", self.activation, ACTIVATIONS)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`0 <= dropout < 1` must hold, but got dropout={self.dropout}.")

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        from autonn.space._models import build_mlp

        return build_mlp(self, input_shape, n_classes)


@dataclass(frozen=True, kw_only=True)
class CNN(ModelConfig):
    """Convolutional network for 1-D signals (C, L) and images (C, H, W); picks Conv1d or Conv2d."""

    family: ClassVar[str] = "cnn"
    channels: tuple[int, ...] = (16, 32)
    kernel_size: int = 3
    pool: str = "max"
    head_width: int = 64
    activation: str = "relu"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        if not self.channels or min(self.channels) < 1:
            raise ValueError(f"`channels` must be counts >= 1, but got channels={self.channels}.")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd and >= 1, but got {self.kernel_size}.")
        _check_choice("pool", self.pool, POOLS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        if self.head_width < 1:
            raise ValueError(f"`head_width >= 1` must hold, but got {self.head_width}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`0 <= dropout < 1` must hold, but got dropout={self.dropout}.")

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        from autonn.space._models import build_cnn

        return build_cnn(self, input_shape, n_classes)


@dataclass(frozen=True, kw_only=True)
class DSCNN(ModelConfig):
    """Depthwise-separable convolutions (MobileNet style) for signals (C, L) and images (C, H, W).

    A stem convolution of `round(16 * width)` channels, then `depth` blocks. Each block is an
    optional 1x1 expansion to `expansion` times its input channels, a depthwise `kernel_size`
    convolution and a 1x1 projection (linear bottleneck), with a skip connection where input and
    output shapes match. Every second block halves the resolution (while there is something left to
    halve) and doubles the channels. A global average pool feeds the Linear classifier.
    """

    family: ClassVar[str] = "dscnn"
    width: float = 1.0
    depth: int = 3
    kernel_size: int = 3
    expansion: int = 1
    activation: str = "relu"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.width) and 0.0 < self.width <= 4.0):
            raise ValueError(f"`0 < width <= 4` must hold, but got width={self.width}.")
        if not 1 <= self.depth <= 8:
            raise ValueError(f"`1 <= depth <= 8` must hold, but got depth={self.depth}.")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd and >= 1, but got {self.kernel_size}.")
        if not 1 <= self.expansion <= 8:
            raise ValueError(f"`1 <= expansion <= 8` must hold, but got {self.expansion}.")
        _check_choice("activation", self.activation, ACTIVATIONS)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`0 <= dropout < 1` must hold, but got dropout={self.dropout}.")

    def channels(self) -> tuple[int, ...]:
        """Output channels of the stem, then of each block."""
        base = max(4, round(16 * self.width))
        return (base, *(base * 2 ** ((i + 1) // 2) for i in range(self.depth)))

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        from autonn.space._models import build_dscnn

        return build_dscnn(self, input_shape, n_classes)
