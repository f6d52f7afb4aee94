"""Your own PyTorch model: a residual MLP with LayerNorm, for tabular or vector data.

A model of your own is a frozen, keyword-only dataclass that subclasses `autonn.ModelConfig` and
builds the `nn.Module` in `build(input_shape, n_classes)`; the space function returns it, as it
would return `autonn.MLP`. autonn then trains, prunes, quantizes, exports and measures it like a
built-in family. The config holds plain values only: a stored trial's params must rebuild it.

This one is pre-norm residual blocks (x + Linear(act(Linear(LayerNorm(x))))), the feed-forward half
of a transformer. Pruning shrinks the residual stream, every LayerNorm with it, and each block's
hidden layer; the pruned weights refit into a fresh build, so the trial exports.

    autonn search autonn.spaces.residual_mlp:space --data wine
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import optuna
import torch
from torch import nn

import autonn


@dataclass(frozen=True, kw_only=True)
class ResidualMLP(autonn.ModelConfig):
    family: ClassVar[str] = "residual_mlp"
    width: int = 64  # the residual stream
    blocks: int = 2
    expansion: int = 2  # each block's hidden layer is expansion * width wide
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # Checked here, with the rule and the value: a bad config fails when the space is checked.
        if self.width < 1 or self.blocks < 1 or self.expansion < 1:
            raise ValueError(
                "`width`, `blocks` and `expansion` must be >= 1, but got "
                f"width={self.width}, blocks={self.blocks}, expansion={self.expansion}."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`0 <= dropout < 1` must hold, but got dropout={self.dropout}.")

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        return ResidualMLPNet(self, math.prod(input_shape), n_classes)


class Block(nn.Module):
    def __init__(self, width: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.down = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(self.drop(self.act(self.up(self.norm(x)))))


class ResidualMLPNet(nn.Module):
    def __init__(self, cfg: ResidualMLP, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.inp = nn.Linear(n_inputs, cfg.width)
        self.blocks = nn.Sequential(
            *(Block(cfg.width, cfg.width * cfg.expansion, cfg.dropout) for _ in range(cfg.blocks))
        )
        self.norm = nn.LayerNorm(cfg.width)
        # The last Linear is the classifier: pruning keeps its outputs, one per class.
        self.head = nn.Linear(cfg.width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.blocks(self.inp(x.flatten(1)))))


def architecture(trial: optuna.Trial) -> dict[str, Any]:
    """The searched fields of ResidualMLP (a separate function, so other spaces can reuse it)."""
    return {
        "width": trial.suggest_int("width", 16, 128, log=True),
        "blocks": trial.suggest_int("blocks", 1, 3),
        "expansion": trial.suggest_categorical("expansion", [1, 2, 4]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.3),
    }


def space(trial: optuna.Trial) -> ResidualMLP:
    return ResidualMLP(
        **architecture(trial),
        train=autonn.suggest_training(trial),
        compress=autonn.suggest_compression(trial),
    )
