"""A trial's deployed size, known before it trains.

The artifact's bytes depend on the architecture, the kept channel counts, the ranks and the number
format, not on the weights' values: ONNX stores every initializer as raw bytes of a fixed width. So
an untrained model, pruned by the config's ratio (structured pruning keeps int(width * (1 - ratio))
channels per layer whatever the weights), factorised to the config's rank and exported in the
config's format, gives the size the trained trial will ship. A multi-objective scheduler can then
rank a trial on its real size from its first rung report on.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from autonn.space import ModelConfig

# Calibration only sets int8-static's activation ranges; their values do not change the layout.
_CALIBRATION_SAMPLES = 16


def final_size_bytes(
    config: ModelConfig,
    input_shape: tuple[int, ...],
    n_outputs: int,
    *,
    calibration: np.ndarray | None = None,
) -> int:
    """Bytes of the ONNX artifact a trial of `config` will ship, worked out without training.

    calibration: inputs for int8-static calibration (standardised, batch first); standard normal
        noise of `input_shape` by default. Either way the size can differ from the trained
        trial's by a few bytes: see tests/measure/test_size.py for what was measured.
    Raises TrialFailed where the trial itself would fail for the same reason (a pruning ratio
    that empties a layer, a model the exporter or quantizer cannot handle). The global torch and
    numpy random states are left as they were, so calling this before training changes nothing.
    """
    costs = costs_before_training(
        config, input_shape, n_outputs, calibration=calibration, ram=False
    )
    return int(costs["size_bytes"])


def costs_before_training(
    config: ModelConfig,
    input_shape: tuple[int, ...],
    n_outputs: int,
    *,
    target: str = "onnx",
    calibration: np.ndarray | None = None,
    ram: bool = True,
) -> dict[str, float]:
    """What a trial of `config` will cost on `target` (size_bytes, flash_bytes, ram_bytes, macs),
    from its untrained model exported as the trained one will be (see final_size_bytes).

    The artifact's layout, its arena and its MACs follow from the architecture and the number
    format, so a trial that breaks a limit is known before it trains. ram: False skips the RAM
    measurement (TFLite Micro's arena is found by bisection, a few hundred ms).
    """
    from autonn.errors import TargetCannotRun, TrialFailed
    from autonn.measure._runtime import file_bytes
    from autonn.target import get_target, macs

    shape = tuple(input_shape)
    chosen = get_target(target)
    model = _untrained(config, shape, n_outputs)
    if config.compress.quantize == "int8-static" and calibration is None:
        calibration = np.random.default_rng(0).standard_normal(
            (_CALIBRATION_SAMPLES, *shape), dtype=np.float32
        )
    with tempfile.TemporaryDirectory(prefix="autonn-size-") as tmp:
        try:
            artifact = chosen.export(
                model, shape, config.compress.quantize, Path(tmp) / chosen.artifact,
                calibration=calibration,
            )  # fmt: skip
        except TrialFailed as exc:  # the converter or the runtime refused this architecture
            raise TargetCannotRun(str(exc)) from exc
        costs = {
            "size_bytes": float(file_bytes(artifact)),
            "flash_bytes": float(chosen.flash_bytes(artifact)),
            "macs": float(macs(model, shape)),
        }
        if ram:
            costs["ram_bytes"] = float(chosen.ram_bytes(artifact, shape))
    return costs


def _untrained(config: ModelConfig, shape: tuple[int, ...], n_outputs: int):
    """The model a trial of `config` ships, before training: pruned and factorised as it says."""
    import torch

    from autonn.compress import factorise, prune_structured

    c = config.compress
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = config.build(shape, n_outputs).eval()
        _like_trained(model)
        if c.prune > 0:
            model = prune_structured(model, c.prune, torch.zeros((2, *shape)))
        if c.rank_ratio < 1.0:  # which layers, and their ranks, follow from the shapes alone
            factorise(model, c.rank_ratio)
    return model


def _like_trained(model) -> None:
    """Give every bias, norm scale and running statistic distinct values, as training does.

    A freshly built model's BatchNorms are all alike (mean 0, variance 1, scale 1, shift 0), so
    the exporter folds them into convolutions with identical zero biases, stores those once and
    feeds the others through Identity nodes: a smaller file than the trained model's, and one
    int8-static quantization fails on (a DSCNN's, seen with torch 2.13 / onnxruntime 1.32).
    """
    import torch

    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            if tensor.is_floating_point() and tensor.dim() == 1:
                tensor.uniform_(0.5, 1.5)  # positive: running variances must stay so
