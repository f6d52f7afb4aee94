"""The torch modules of the SeriesCNN family. Only imported once a model is built."""

from __future__ import annotations

import torch
from torch import nn

from autonn.errors import UsageError
from autonn.space._series import SeriesCNN


class SeriesBlock(nn.Module):
    """Conv1d-BatchNorm-ReLU for each kernel size; with `residual`, the last ReLU comes after
    the block's input is added (ResNet's basic block, in 1-D)."""

    def __init__(self, c_in: int, c_out: int, kernels: tuple[int, ...], residual: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = c_in
        for i, k in enumerate(kernels):
            layers += [
                nn.Conv1d(width, c_out, k, padding=k // 2, bias=False),
                nn.BatchNorm1d(c_out),
            ]
            if not residual or i < len(kernels) - 1:
                layers.append(nn.ReLU())
            width = c_out
        self.body = nn.Sequential(*layers)
        self.shortcut: nn.Module | None = None
        if residual:
            self.shortcut = (
                nn.Identity()
                if c_in == c_out
                else nn.Sequential(nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out))
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y if self.shortcut is None else torch.relu(y + self.shortcut(x))


class SeriesNet(nn.Module):
    def __init__(self, cfg: SeriesCNN, input_shape: tuple[int, ...], n_classes: int) -> None:
        super().__init__()
        if len(input_shape) != 2:
            raise UsageError(
                f"the series_cnn family needs samples shaped (channels, length), but this data's "
                f"samples are shaped {tuple(input_shape)}; save a univariate series as x of "
                "shape (n, 1, length)"
            )
        c_in = input_shape[0]
        blocks = []
        for c_out in cfg.channels:
            blocks.append(SeriesBlock(c_in, c_out, cfg.kernel_sizes, cfg.residual))
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        # Global average pooling: the classifier sees one value per channel, whatever the length.
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.dropout = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.head = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pool(self.blocks(x)).flatten(1)))
