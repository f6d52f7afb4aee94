"""What every target is: an exporter, the number formats it offers, and the runtime that scores
its artifact. A new target is one more subclass, the way a new family is one more ModelConfig."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from autonn.errors import TrialFailed

if TYPE_CHECKING:
    import numpy as np
    import torch


class Target(abc.ABC):
    """The runtime a trial's model ships to.

    name: "onnx" | "litert" | "tflm"; artifact: the file name export writes; runtime: the
    interpreter's name, for messages and the model card; formats: the number formats offered
    (a subset of autonn.space.QUANTIZATIONS).
    """

    name: ClassVar[str]
    artifact: ClassVar[str]
    runtime: ClassVar[str]
    formats: ClassVar[tuple[str, ...]]

    @abc.abstractmethod
    def export(
        self,
        model: torch.nn.Module,
        input_shape: tuple[int, ...],
        quantize: str,
        path: Path,
        *,
        calibration: np.ndarray | None = None,
    ) -> Path:
        """Write `model` in number format `quantize` to `path` and check that this target's
        runtime runs it; returns `path`. `calibration`: standardised training inputs, batch
        first, for int8-static. The model is exported in eval mode and left as it came.

        Raises TrialFailed for a format this target does not offer, and for a layer the
        converter or the runtime cannot handle (the message names the operator)."""

    @abc.abstractmethod
    def logits(self, path: Path, x: np.ndarray) -> np.ndarray:
        """float32 outputs of the artifact for inputs `x` (float32, batch first), computed in
        this target's runtime; int8 inputs and outputs are quantized and dequantized here."""

    @abc.abstractmethod
    def latency_ms(self, path: Path, input_shape: tuple[int, ...]) -> float:
        """Median wall time of one single-sample inference in this runtime, on this host."""

    @abc.abstractmethod
    def ram_bytes(self, path: Path, input_shape: tuple[int, ...]) -> int:
        """Bytes of working memory the artifact needs to run (see each target for how)."""

    def flash_bytes(self, path: Path) -> int:
        """Bytes of the artifact as stored on the device: the file, read in place."""
        return Path(path).stat().st_size

    def check_format(self, quantize: str) -> None:
        """Raise TrialFailed, in one line, unless this target offers number format `quantize`."""
        if quantize not in self.formats:
            raise TrialFailed(
                f"target {self.name} offers {', '.join(self.formats)}, not {quantize}"
            )

    def __repr__(self) -> str:
        return f"<target {self.name}: {self.runtime}, {', '.join(self.formats)}>"
