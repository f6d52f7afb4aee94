"""A family for time-series classification in the style of FCN and ResNet (Wang et al. 2017):
blocks of 1-D convolutions with batch norm, optional residual connections, and a global average
pool before the classifier, so the weights do not grow with the series' length.

Plain data, like the other configs; the torch modules live in autonn.space._series_net.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from autonn.space._configs import ModelConfig

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True, kw_only=True)
class SeriesCNN(ModelConfig):
    """Series shaped (channels, length): one channel for a univariate series, several for a
    multivariate one (samples (n, channels, length)).

    channels: the width of each block; one block each.
    kernel_sizes: the convolutions of every block, in order (odd, 'same' padding): FCN is
        channels (128, 256, 128) with one convolution each of 8, 5 and 3 taps; ResNet three
        residual blocks of (8, 5, 3).
    residual: add each block's input to its output (through a 1x1 convolution and batch norm
        where the widths differ), then ReLU.
    dropout: before the classifier.
    """

    family: ClassVar[str] = "series_cnn"
    channels: tuple[int, ...] = (32, 64, 32)
    kernel_sizes: tuple[int, ...] = (7, 5, 3)
    residual: bool = False
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # Optuna and JSON hand back lists; tuples keep the config hashable and comparable.
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "kernel_sizes", tuple(self.kernel_sizes))
        if not self.channels or min(self.channels) < 1:
            raise ValueError(f"`channels` must be counts >= 1, but got channels={self.channels}.")
        if not self.kernel_sizes or any(k < 1 or k % 2 == 0 for k in self.kernel_sizes):
            raise ValueError(
                f"`kernel_sizes` must be odd and >= 1, but got kernel_sizes={self.kernel_sizes}."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`0 <= dropout < 1` must hold, but got dropout={self.dropout}.")

    def build(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        from autonn.space._series_net import SeriesNet

        return SeriesNet(self, input_shape, n_classes)
