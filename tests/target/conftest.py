"""Small models of the built-in families, fixed inputs, and their artifacts per target and
format, exported once per session: litert-torch takes 1-3 s a conversion on this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from autonn.space import CNN, MLP
from autonn.target import Target, get_target

# name -> (config, input shape); 10 classes
MODELS = {
    "mlp": (MLP(hidden=(32,)), (64,)),
    "cnn": (CNN(channels=(8, 16), head_width=32), (1, 8, 8)),
}
# The formats each target offers, written out: the tests check the targets against these.
FORMATS = {
    "onnx": ("fp32", "fp16", "int8-dynamic", "int8-static"),
    "litert": ("fp32", "fp16", "int8-dynamic", "int8-static"),
    "tflm": ("fp32", "int8-static"),
}
# What each device target needs installed; without it, its tests skip (the `edge` extra).
PACKAGES = {
    "onnx": (),
    "litert": ("litert_torch", "ai_edge_litert"),
    "tflm": ("litert_torch", "ai_edge_litert", "tflite_micro"),
}


def target_or_skip(name: str) -> Target:
    for module in PACKAGES[name]:
        pytest.importorskip(module)
    return get_target(name)


def like_trained(model: torch.nn.Module) -> torch.nn.Module:
    """Distinct biases, norm scales and running statistics, as training leaves them: a fresh
    model's BatchNorms are all alike, which gives near-equal logits and a flaky argmax."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            if tensor.is_floating_point() and tensor.dim() == 1:
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
    return model.eval()


@pytest.fixture(scope="session")
def models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {name: like_trained(cfg.build(shape, 10)) for name, (cfg, shape) in MODELS.items()}


@pytest.fixture(scope="session")
def inputs() -> dict[str, np.ndarray]:
    """Random but fixed inputs per model: standardised data looks like this."""
    rng = np.random.default_rng(0)
    return {
        name: rng.standard_normal((200, *shape), dtype=np.float32)
        for name, (_, shape) in MODELS.items()
    }


@pytest.fixture(scope="session")
def exported(models, tmp_path_factory) -> Callable[[str, str, str], Path]:
    """exported(target, format, model) -> the artifact, made on first request."""
    made: dict[tuple[str, str, str], Path] = {}
    rng = np.random.default_rng(1)
    calibration = {
        name: rng.standard_normal((64, *shape), dtype=np.float32)
        for name, (_, shape) in MODELS.items()
    }

    def export(target_name: str, fmt: str, model: str) -> Path:
        key = (target_name, fmt, model)
        if key not in made:
            target = target_or_skip(target_name)
            folder = tmp_path_factory.mktemp(f"{target_name}-{fmt}-{model}")
            made[key] = target.export(
                models[model],
                MODELS[model][1],
                fmt,
                folder / target.artifact,
                calibration=calibration[model],
            )
        return made[key]

    return export
