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
    precision: str = "fp32",  # training's number format: "auto", "fp32", "bf16" or "fp16"
    report: Callable[[int, float], None] | None = None,
    metric: str | None = None,
    teacher: torch.Tensor | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    target: str = "onnx",
    folds: int = 0,
    fold_seed: int | None = None,
) -> TrialOutcome:
    """Train, compress and measure one config; writes ARTIFACT and WEIGHTS into `out_dir`.

    metric: the validation metric the search optimises (default: the data's task's first); the
    values and attributes are named after it (`rmse`, `test_rmse`, `rmse_trained`, ...).
    teacher: a teacher's outputs on `data.x_train` (on `pooled(data).x_train` with folds);
        training and fine-tuning distil from them when the config's `distill_alpha` > 0.
    init_state: weights to start from where names and shapes match (see load_matching).
    target: the runtime the artifact ships to and is measured in (see autonn.target).
    folds: k > 1 scores the config by k-fold cross-validation (see autonn.data._folds): the
        metric is the mean of k models' scores, each compressed and run in the target's runtime
        on the fold it did not see; the shipped model then trains on every training row.
    fold_seed: seeds the folds' rows (default `seed`). A search passes its own seed, so that all
        its trials are scored on the same folds and differ by their configs, not by the luck of
        their rows (as scikit-learn's searches do; measured in docs/benchmarks.md, small data).
    """
    from autonn.data._folds import fold_rows
    from autonn.space._models import count_parameters
    from autonn.train import Distillation, seed_everything

    metric = data.problem.metric(metric).name
    started = time.perf_counter()
    seed_everything(seed)
    epochs = min(config.train.epochs or max_epochs, max_epochs)
    fit = {"task": data.problem, "metric": metric, "scaling": data.target, "device": device}
    fit["precision"] = precision  # autocast in training (autonn.train._precision)
    # A user's config may bring its own loss(output, target); the task's loss otherwise.
    fit["loss"] = getattr(config, "loss", None)
    fit["augment"] = config.augment  # training batches only; the shipped model is unchanged
    c = config.compress
    distill = teacher is not None and c.distill_alpha > 0
    if distill:
        fit["distill"] = Distillation(teacher, c.distill_alpha, c.distill_temperature, data.task)
    if folds > 1:
        rows = fold_rows(data, folds, seed if fold_seed is None else fold_seed)
        model, found = _ship_after_folds(config, data, rows, epochs, seed, fit, report, init_state)
        found["cv"] = _score_folds(config, data, found, fit, target, metric, seed)
    else:
        model, found = _ship(config, data, epochs, seed, fit, report, init_state)
    model = model.cpu().eval()
    shipped = found.pop("data")
    outcome = _measure(model, shipped, out_dir, c.quantize, metric, target)
    if type(config) not in _BUILTIN_FAMILIES:
        _check_export(config, data, out_dir)
    curve = found["curve"]
    attrs = {
        **outcome.attrs,
        "family": config.family,
        "n_params": count_parameters(model),
        "n_params_trained": found["n_params_trained"],
        "epochs": epochs,
        "curve": curve,
        f"{metric}_trained": curve[found["best_epoch"] - 1],
        "best_epoch": found["best_epoch"],
        f"{metric}_channel_pruned": found["channel_pruned"],
        "compression": c.as_dict(),
        "train_seconds": round(found["train_seconds"], 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    if c.rank_ratio < 1.0:
        attrs["factorised_layers"] = found["factorised"]
        attrs[f"{metric}_factorised"] = found["factorised_score"]
    if distill:
        attrs["distilled"] = True
    if found["init"] is not None:
        attrs["init_tensors"] = f"{found['init'][0]} of {found['init'][1]}"
    values = outcome.values
    if "cv" in found:  # the objective is the folds' mean; the shipped model has no unseen rows
        values, cv_attrs = _with_cv(values, found["cv"], metric)
        attrs.update(cv_attrs)
    return TrialOutcome(values=values, attrs=attrs)


def _ship(config, data: Dataset, epochs, seed, fit, report, init_state) -> tuple[Any, dict]:
    """Train on the training split, keeping the best validation epoch; then compress."""
    from autonn.space._models import count_parameters
    from autonn.train import best_epoch, train

    model, init = _build(config, data, init_state)
    started = time.perf_counter()
    split = (data.x_train, data.y_train, data.x_val, data.y_val)
    curve = train(model, config.train, *split, epochs=epochs, seed=seed, report=report, **fit)
    found = {"init": init, "n_params_trained": count_parameters(model), "data": data}
    found["train_seconds"] = time.perf_counter() - started
    found["best_epoch"] = best_epoch(curve, fit["metric"])  # train() ended on these weights
    model, compressed = _compress(model, config, data, seed, fit, keep_last=False)
    found["curve"] = curve + compressed.pop("finetune_curve")
    return model, {**found, **compressed}


def _ship_after_folds(config, data, rows, epochs, seed, fit, report, init_state):
    """Train k fold models in lockstep, reporting their mean each epoch; the epoch where the mean
    was best is the chosen one. The shipped model then trains on every training row (`pooled`)
    for that many epochs and keeps its last weights: no rows are left to pick an epoch by."""
    from autonn.data._folds import fold, pooled
    from autonn.space._models import count_parameters
    from autonn.train import best_epoch

    whole = pooled(data)
    # Each fold's rows are gathered once: training reads them, then scoring (_score_folds).
    splits = [(fold(whole, tr, va), tr) for tr, va in rows]
    started = time.perf_counter()
    fold_models, curve = _train_folds(config, whole, splits, epochs, seed, fit, report, init_state)
    chosen = best_epoch(curve, fit["metric"])
    model, init = _build(config, whole, init_state)
    _train_last(model, config, whole, chosen, seed, fit)  # a teacher covers every pooled row
    found = {"init": init, "n_params_trained": count_parameters(model), "data": whole}
    found.update(train_seconds=time.perf_counter() - started, best_epoch=chosen)
    model, compressed = _compress(model, config, whole, seed, fit, keep_last=True)
    found["curve"] = curve + compressed.pop("finetune_curve")
    found["folds"] = [(m, one, tr) for m, (one, tr) in zip(fold_models, splits, strict=True)]
    return model, {**found, **compressed}


def _train_folds(config, whole, splits, epochs, seed, fit, report, init_state):
    """The fold models, each with its weights at the epoch where the folds' mean was best, and
    that mean after each epoch. splits: (the fold's Dataset, its training rows of `whole`)."""
    import copy

    from autonn.task import get_metric
    from autonn.train import epochs_of

    m = get_metric(fit["metric"])
    models = [_build(config, whole, init_state)[0] for _ in splits]
    runs = [
        epochs_of(model, config.train, *_split(one), epochs=epochs, seed=seed,
                  **_fold_fit(fit, tr))
        for model, (one, tr) in zip(models, splits, strict=True)
    ]  # fmt: skip
    curve: list[float] = []
    best: list[dict] = []
    for epoch in range(1, epochs + 1):
        curve.append(float(np.mean([next(run) for run in runs])))
        if report is not None:
            report(epoch, curve[-1])
        if not best or m.better(curve[-1], max(curve[:-1], key=m.signed)):
            best = [copy.deepcopy(model.state_dict()) for model in models]
    for model, run, state in zip(models, runs, best, strict=True):
        run.close()  # closed before its end, a run keeps its last weights: the mean's best wins
        model.load_state_dict(state)
    return models, curve


def _score_folds(config, data, found, fit, target, metric, seed) -> list[float]:
    """Each fold model, compressed as the config says, run in the target's runtime on the rows
    it never saw."""
    scores = []
    for model, one, train_rows in found.pop("folds"):
        model, _ = _compress(model, config, one, seed, _fold_fit(fit, train_rows), keep_last=True)
        scores.append(_runtime_score(model.cpu().eval(), one, config.compress.quantize, metric,
                                     target))  # fmt: skip
    return scores


def _with_cv(values: dict, scores: list[float], metric: str) -> tuple[dict, dict]:
    mean, spread = float(np.mean(scores)), float(np.std(scores))
    attrs = {f"{metric}_folds": scores, f"{metric}_std": spread, "folds": len(scores)}
    # What the shipped model scores on the validation rows it trained on: kept, but not as the
    # metric, which would flatter it.
    attrs[f"{metric}_seen"] = values[metric]
    return {**values, metric: mean}, attrs


def _build(config, data: Dataset, init_state):
    from autonn.transfer import load_matching

    model = config.build(data.input_shape, data.n_outputs)
    return model, (load_matching(model, init_state) if init_state is not None else None)


def _split(data: Dataset) -> tuple:
    return (data.x_train, data.y_train, data.x_val, data.y_val)


def _fold_fit(fit: dict, train_rows) -> dict:
    """`fit` for a fold: a teacher's outputs (given for every pooled row) cut to its rows."""
    if "distill" not in fit:
        return fit
    import dataclasses

    distill = fit["distill"]
    rows = dataclasses.replace(distill, teacher_outputs=distill.teacher_outputs[train_rows])
    return {**fit, "distill": rows}


def _train_last(model, config, data: Dataset, epochs: int, seed: int, fit: dict) -> list[float]:
    """Train for `epochs` and keep the last weights (a run closed at its end does not restore its
    best epoch, which only a validation split it did not train on could choose)."""
    from autonn.train import epochs_of

    run = epochs_of(model, config.train, *_split(data), epochs=epochs, seed=seed, **fit)
    curve = [next(run) for _ in range(epochs)]
    run.close()
    return curve


def _compress(model, config, data: Dataset, seed: int, fit: dict, keep_last: bool):
    """Prune, factorise and fine-tune `model` as the config says. keep_last: fine-tuning keeps its
    last weights (folds and the model trained on every row), not its best validation epoch."""
    import torch

    from autonn.compress import factorise
    from autonn.train import train

    c, metric = config.compress, fit["metric"]
    found: dict[str, Any] = {"channel_pruned": None, "factorised": [], "factorised_score": None}
    if c.prune > 0:
        from autonn.compress import prune_structured

        example = torch.from_numpy(data.x_train[:2]).to(fit["device"])
        # `fresh`: the pruned weights must rebuild the model the way export rebuilds it.
        model = prune_structured(
            model, c.prune, example, fresh=lambda: config.build(data.input_shape, data.n_outputs)
        )
        found["channel_pruned"] = _score(model, data, metric)
    if c.rank_ratio < 1.0:
        found["factorised"] = factorise(model, c.rank_ratio)
        found["factorised_score"] = _score(model, data, metric) if found["factorised"] else None
    found["finetune_curve"] = []
    if (c.prune > 0 or found["factorised"]) and c.finetune_epochs:
        if keep_last:
            tuned = _train_last(model, config, data, c.finetune_epochs, seed + 1, fit)
        else:
            tuned = train(model, config.train, *_split(data), epochs=c.finetune_epochs,
                          seed=seed + 1, **fit)  # fmt: skip
        found["finetune_curve"] = tuned
    return model, found


def _runtime_score(model, data: Dataset, quantize: str, metric: str, target_name: str) -> float:
    """`model` exported for its target and scored there on `data`'s validation split."""
    from autonn.target import get_target

    target = get_target(target_name)
    with tempfile.TemporaryDirectory(prefix="autonn-fold-") as tmp:
        artifact = target.export(
            model, data.input_shape, quantize, Path(tmp) / target.artifact,
            calibration=calibration_sample(data),
        )  # fmt: skip
        outputs = target.logits(artifact, data.x_val)
    return data.problem.score(metric, data.y_val, outputs, data.target)


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
