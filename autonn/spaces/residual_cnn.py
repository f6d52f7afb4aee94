"""Your own PyTorch model: a small residual CNN (ResNet-style basic blocks) for images (C, H, W).

Like `residual_mlp.py`, a frozen dataclass subclassing `autonn.ModelConfig` whose `build` returns
the module. Each stage is a basic block (conv-BN-ReLU-conv-BN plus a shortcut); a stage that
changes the channels or halves the resolution gets a 1x1 conv shortcut. Pruning keeps the residual
adds aligned (torch-pruning prunes both sides of an add together), and the pruned weights refit
into a fresh build, so every trial exports.

    autonn search autonn.spaces.residual_cnn:space --data digits
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import optuna
import torch
from torch import nn

import autonn


@dataclass(frozen=True, kw_only=True)
class ResidualCNN(autonn.ModelConfig):
    family: ClassVar[str] = "residual_cnn"
    channels: tuple[int, ...] = (16, 32)  # one basic block per stage
    kernel_size: int = 3

    def __post_init__(self) -> None:
        # Optuna hands back lists; a tuple keeps the config hashable and comparable.
        object.__setattr__(self, "channels", tuple(self.channels))
        if not self.channels or min(self.channels) < 1:
            raise ValueError(f"`channels` must be counts >= 1, but got channels={self.channels}.")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd and >= 1, but got {self.kernel_size}.")

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        if len(input_shape) != 3:
            raise ValueError(f"ResidualCNN needs images (C, H, W), but got {input_shape}")
        return ResidualCNNNet(self, input_shape[0], min(input_shape[1:]), n_classes)


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        pad = kernel // 2
        self.conv1 = nn.Conv2d(c_in, c_out, kernel, stride, pad, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, kernel, 1, pad, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
            if stride != 1 or c_in != c_out
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + self.shortcut(x))


class ResidualCNNNet(nn.Module):
    def __init__(self, cfg: ResidualCNN, c_in: int, size: int, n_classes: int) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        for i, c_out in enumerate(cfg.channels):
            stride = 2 if i > 0 and size >= 4 else 1  # halve after the first stage, while it can
            stages.append(BasicBlock(c_in, c_out, cfg.kernel_size, stride))
            size, c_in = (size + 1) // 2 if stride == 2 else size, c_out
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.stages(x)).flatten(1))


def architecture(trial: optuna.Trial) -> dict[str, Any]:
    """The searched fields of ResidualCNN."""
    stages = trial.suggest_int("stages", 1, 3)
    return {
        "channels": tuple(
            trial.suggest_int(f"channels_{i}", 8, 64, log=True) for i in range(stages)
        ),
        "kernel_size": trial.suggest_categorical("kernel_size", [3, 5]),
    }


def space(trial: optuna.Trial) -> ResidualCNN:
    return ResidualCNN(
        **architecture(trial),
        train=autonn.suggest_training(trial),
        augment=autonn.suggest_augmentation(trial, kind="image"),  # no flips
        compress=autonn.suggest_compression(trial),
    )
