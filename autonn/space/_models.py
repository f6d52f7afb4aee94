"""The torch modules behind each config family. Only imported once a model is built."""

from __future__ import annotations

import math

from torch import nn

from autonn.errors import UsageError
from autonn.space._configs import CNN, MLP

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
# Feature maps are reduced to at most this many positions per spatial dim before the head, so a
# long signal does not make a huge first Linear layer.
_MAX_HEAD_POSITIONS = 4


def build_mlp(cfg: MLP, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(input_shape)
    for hidden in cfg.hidden:
        layers += [nn.Linear(width, hidden), _ACTIVATIONS[cfg.activation]()]
        if cfg.dropout > 0:
            layers.append(nn.Dropout(cfg.dropout))
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def build_cnn(cfg: CNN, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    if len(input_shape) not in (2, 3):
        raise UsageError(
            f"the cnn family needs samples shaped (C, L) or (C, H, W), but this data's samples are "
            f"shaped {tuple(input_shape)}; use the mlp family, or reshape the data"
        )
    conv, bn, maxpool, avgpool = (
        (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AvgPool1d)
        if len(input_shape) == 2
        else (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d)
    )
    pool = maxpool if cfg.pool == "max" else avgpool
    c_in, spatial = input_shape[0], list(input_shape[1:])
    layers: list[nn.Module] = []
    for c_out in cfg.channels:
        layers += [
            conv(c_in, c_out, cfg.kernel_size, padding=cfg.kernel_size // 2),
            bn(c_out),
            _ACTIVATIONS[cfg.activation](),
        ]
        if min(spatial) >= 2:  # pool while there is something left to halve
            layers.append(pool(2))
            spatial = [s // 2 for s in spatial]
        c_in = c_out
    kernel = [s // _largest_divisor_at_most(s, _MAX_HEAD_POSITIONS) for s in spatial]
    if max(kernel) > 1:
        layers.append(avgpool(tuple(kernel)))
        spatial = [s // k for s, k in zip(spatial, kernel, strict=True)]
    layers += [
        nn.Flatten(),
        nn.Linear(c_in * math.prod(spatial), cfg.head_width),
        _ACTIVATIONS[cfg.activation](),
    ]
    if cfg.dropout > 0:
        layers.append(nn.Dropout(cfg.dropout))
    layers.append(nn.Linear(cfg.head_width, n_classes))
    return nn.Sequential(*layers)


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
