"""The torch modules behind each config family. Only imported once a model is built."""

from __future__ import annotations

import math

from torch import nn

from autonn.errors import UsageError
from autonn.space._configs import CNN, DSCNN, MLP

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


class DepthwiseSeparable(nn.Module):
    """[1x1 expand] -> depthwise kxk -> 1x1 project, plus the input where the shapes match."""

    def __init__(
        self, dims: int, c_in: int, c_out: int, kernel: int, stride: int, expansion: int, act
    ) -> None:
        super().__init__()
        conv, bn = (nn.Conv1d, nn.BatchNorm1d) if dims == 1 else (nn.Conv2d, nn.BatchNorm2d)
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion > 1:
            layers += [conv(c_in, hidden, 1, bias=False), bn(hidden), act()]
        layers += [
            conv(hidden, hidden, kernel, stride, padding=kernel // 2, groups=hidden, bias=False),
            bn(hidden),
            act(),
            # Linear bottleneck (MobileNetV2): no activation after the projection.
            conv(hidden, c_out, 1, bias=False),
            bn(c_out),
        ]
        self.body = nn.Sequential(*layers)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.body(x)
        return x + y if self.skip else y


def build_dscnn(cfg: DSCNN, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    if len(input_shape) not in (2, 3):
        raise UsageError(
            f"the dscnn family needs samples shaped (C, L) or (C, H, W), but this data's samples "
            f"are shaped {tuple(input_shape)}; use the mlp family, or reshape the data"
        )
    dims = len(input_shape) - 1
    conv, bn, pool = (
        (nn.Conv1d, nn.BatchNorm1d, nn.AdaptiveAvgPool1d)
        if dims == 1
        else (nn.Conv2d, nn.BatchNorm2d, nn.AdaptiveAvgPool2d)
    )
    act = _ACTIVATIONS[cfg.activation]
    stem, *widths = cfg.channels()
    layers: list[nn.Module] = [
        conv(input_shape[0], stem, 3, padding=1, bias=False),
        bn(stem),
        act(),
    ]
    c_in, spatial = stem, min(input_shape[1:])
    for c_out in widths:
        # Halve the resolution where the channels double, while at least 2 positions remain.
        stride = 2 if c_out != c_in and spatial >= 4 else 1
        layers.append(
            DepthwiseSeparable(dims, c_in, c_out, cfg.kernel_size, stride, cfg.expansion, act)
        )
        spatial = (spatial + 1) // 2 if stride == 2 else spatial
        c_in = c_out
    layers += [pool(1), nn.Flatten()]
    if cfg.dropout > 0:
        layers.append(nn.Dropout(cfg.dropout))
    layers.append(nn.Linear(c_in, n_classes))
    return nn.Sequential(*layers)


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
