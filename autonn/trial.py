"""What one trial does, start to finish, without Ray: build, train, compress, export, measure.

The objective values come from the artifact this writes for the search's target (`model.onnx`,
or `model.tflite` for litert and tflm), measured in that target's own runtime, so what is
measured is exactly what `autonn export` later hands over.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autonn.data import Dataset
from autonn.space import CNN, DSCNN, MLP, ModelConfig

if TYPE_CHECKING:
    import torch

ARTIFACT = "model.onnx"  # the deployable file of the onnx target (see Target.artifact)
WEIGHTS = "weights.pt"  # state dict of the fp32 (possibly pruned) model, before quantization
PROGRAM = "model.pt2"  # the torch program `autonn export` makes from WEIGHTS
# Families autonn ships, whose rebuild and torch program are tested; a user's own model is checked
# in every trial.
_BUILTIN_FAMILIES = (MLP, CNN, DSCNN)


@dataclass(frozen=True)
class TrialOutcome:
    values: dict[str, float]  # the metric (by name), size_bytes, latency_ms of the artifact
    attrs: dict[str, Any]  # everything else worth keeping, stored as trial user attributes


def run_trial(
    config: ModelConfig,
    data: Dataset,
    *,
    seed: int,
    max_epochs: int,
    out_dir: Path,
    device: str = "cpu",
    report: Callable[[int, float], None] | None = None,
    metric: str | None = None,
    teacher: torch.Tensor | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    target: str = "onnx",
) -> TrialOutcome:
    """Train, compress and measure one config; writes ARTIFACT and WEIGHTS into `out_dir`.

    metric: the validation metric the search optimises (default: the data's task's first); the
    values and attributes are named after it (`rmse`, `test_rmse`, `rmse_trained`, ...).
    teacher: a teacher's outputs on `data.x_train`; training and fine-tuning distil from them
        when the config's `distill_alpha` > 0 (ignored otherwise).
    init_state: weights to start from where names and shapes match (see load_matching).
    target: the runtime the artifact ships to and is measured in (see autonn.target).
    """
    import torch

    from autonn.compress import factorise
    from autonn.space._models import count_parameters
    from autonn.train import Distillation, best_epoch, seed_everything, train
    from autonn.transfer import load_matching

    metric = data.problem.metric(metric).name
    started = time.perf_counter()
    seed_everything(seed)
    model = config.build(data.input_shape, data.n_outputs)
    init = load_matching(model, init_state) if init_state is not None else None
    c = config.compress
    epochs = min(config.train.epochs or max_epochs, max_epochs)
    split = (data.x_train, data.y_train, data.x_val, data.y_val)
    fit = {"task": data.problem, "metric": metric, "scaling": data.target, "device": device}
    # A user's config may bring its own loss(output, target); the task's loss otherwise.
    fit["loss"] = getattr(config, "loss", None)
    fit["augment"] = config.augment  # training batches only; the shipped model is unchanged
    if teacher is not None and c.distill_alpha > 0:
        fit["distill"] = Distillation(teacher, c.distill_alpha, c.distill_temperature, data.task)
    curve = train(model, config.train, *split, epochs=epochs, seed=seed, report=report, **fit)
    train_seconds = time.perf_counter() - started
    n_params_trained = count_parameters(model)
    kept = best_epoch(curve, metric)  # train() ended on these weights

    score_channel_pruned = score_factorised = None
    factorised: list[str] = []
    if c.prune > 0:
        from autonn.compress import prune_structured

        example = torch.from_numpy(data.x_train[:2]).to(device)
        # `fresh`: the pruned weights must rebuild the model the way export rebuilds it.
        model = prune_structured(
            model,
            c.prune,
            example,
            fresh=lambda: config.build(data.input_shape, data.n_outputs),
        )
        score_channel_pruned = _score(model, data, metric)
    if c.rank_ratio < 1.0:
        factorised = factorise(model, c.rank_ratio)
        score_factorised = _score(model, data, metric) if factorised else None
    if (c.prune > 0 or factorised) and c.finetune_epochs:
        curve += train(model, config.train, *split, epochs=c.finetune_epochs, seed=seed + 1, **fit)
    model = model.cpu().eval()
    outcome = _measure(model, data, out_dir, c.quantize, metric, target)
    if type(config) not in _BUILTIN_FAMILIES:
        _check_export(config, data, out_dir)
    attrs = {
        **outcome.attrs,
        "family": config.family,
        "n_params": count_parameters(model),
        "n_params_trained": n_params_trained,
        "epochs": epochs,
        "curve": curve,
        f"{metric}_trained": curve[kept - 1],
        "best_epoch": kept,
        f"{metric}_channel_pruned": score_channel_pruned,
        "compression": c.as_dict(),
        "train_seconds": round(train_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    if c.rank_ratio < 1.0:
        attrs.update({"factorised_layers": factorised, f"{metric}_factorised": score_factorised})
    if "distill" in fit:
        attrs["distilled"] = True
    if init is not None:
        attrs["init_tensors"] = f"{init[0]} of {init[1]}"
    return TrialOutcome(values=outcome.values, attrs=attrs)


def _score(model, data: Dataset, metric: str) -> float:
    from autonn.train import predict_logits

    outputs = predict_logits(model, data.x_val).cpu().numpy()
    return data.problem.score(metric, data.y_val, outputs, data.target)


def _measure(
    model, data: Dataset, out_dir: Path, quantize: str, metric: str, target_name: str
) -> TrialOutcome:
    import torch

    from autonn.measure import export_onnx, file_bytes
    from autonn.target import get_target, macs

    target = get_target(target_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Weights only: a torch program costs ~0.1 s a trial (2 s the first time in a process) and
    # is needed only for the few trials that get exported; export builds it from these.
    torch.save(model.state_dict(), out_dir / WEIGHTS)
    artifact = target.export(
        model, data.input_shape, quantize, out_dir / target.artifact,
        calibration=calibration_sample(data),
    )  # fmt: skip

    def score(x, y) -> float:
        return data.problem.score(metric, y, target.logits(artifact, x), data.target)

    size = file_bytes(artifact)
    values = {
        metric: score(data.x_val, data.y_val),
        "size_bytes": float(size),
        "flash_bytes": float(target.flash_bytes(artifact)),
        "ram_bytes": float(target.ram_bytes(artifact, data.input_shape)),
        "macs": float(macs(model, data.input_shape)),
        "latency_ms": target.latency_ms(artifact, data.input_shape),
    }
    attrs = {
        f"test_{metric}": score(data.x_test, data.y_test),
        **{k: int(v) for k, v in values.items() if k.endswith("_bytes") or k == "macs"},
        "latency_ms": values["latency_ms"],
        "target": target.name,
    }
    if target.name == "onnx":  # the fp32 file is a cheap by-product there; kept for the card
        with tempfile.TemporaryDirectory(prefix="autonn-fp32-") as tmp:
            attrs["fp32_bytes"] = file_bytes(
                export_onnx(model, data.input_shape, Path(tmp) / "f.onnx")
            )
    return TrialOutcome(values=values, attrs=attrs)


def _check_export(config: ModelConfig, data: Dataset, out_dir: Path) -> None:
    """Do now what `autonn export` will do with this trial: rebuild the model from its config and
    saved weights, and make it a torch program. The built-in families are known to pass; a user's
    own model might not (data-dependent control flow, a layer torch.export cannot trace), and
    should fail its trial with the reason rather than its export later."""
    from autonn.errors import TrialFailed

    try:
        model = rebuild_model(config, data, out_dir / WEIGHTS)
        with tempfile.TemporaryDirectory() as tmp:
            torch_program(model, data, Path(tmp) / PROGRAM)
    except TrialFailed:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
        raise TrialFailed(
            f"the model cannot be exported: rebuilding it from its config and weights and "
            f"saving it as a torch program failed: {type(exc).__name__}: {first}"
        ) from exc


def calibration_sample(data: Dataset) -> np.ndarray:
    """The training inputs int8-static calibrates on: the same for every trial of a search."""
    from autonn.measure import MAX_CALIBRATION_SAMPLES

    rng = np.random.default_rng(0)
    n = min(MAX_CALIBRATION_SAMPLES, len(data.x_train))
    pick = rng.choice(len(data.x_train), n, replace=False)
    return data.x_train[pick]


def rebuild_model(config: ModelConfig, data: Dataset, weights: Path):
    """The trial's fp32 model (pruned where it was) from its config and saved weights."""
    import torch

    from autonn.compress import fit_to_state_dict

    state = torch.load(weights, map_location="cpu", weights_only=True)
    model = config.build(data.input_shape, data.n_outputs)
    return fit_to_state_dict(model, state).eval()


def torch_program(model, data: Dataset, path: Path) -> Path:
    """Save `model` as a torch.export program with a free batch dimension."""
    import torch

    # Two samples and a named batch dim: a size-1 example would fix the batch size at 1.
    example = torch.from_numpy(data.x_train[:2])
    batch = ({0: torch.export.Dim("batch")},)
    torch.export.save(torch.export.export(model, (example,), dynamic_shapes=batch), path)
    return path
