"""The worker side of a trial: rebuild its config from params, run it, report to the driver."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

import ray
from ray import tune

from autonn.data import Dataset
from autonn.data._folds import pooled
from autonn.errors import TargetCannotRun, TrialFailed
from autonn.limits import broken, parse_limits
from autonn.space import load_space
from autonn.store import trial_location, upload
from autonn.transfer import ModelSource, source_model, source_state
from autonn.transfer._source import teacher_outputs
from autonn.trial import run_trial
from autonn.tune._failures import RESOURCE_FAILED, ResourceFailure
from autonn.tune._gpu import (
    free_cached_memory,
    is_out_of_memory,
    out_of_memory_reason,
    placement,
    trial_device,
)
from autonn.tune._protocol import (
    ATTRS,
    CURVE,
    EPOCH,
    FAILED,
    FINAL,
    INFEASIBLE,
    TEACHER_KEY,
    TIMED_OUT_KEY,
    TRIAL_KEY,
)
from autonn.tune._scratch import trial_scratch
from autonn.tune._watchdog import announce

logger = logging.getLogger("autonn.tune")


@dataclass(frozen=True)
class TrialPlan:
    """What every trial of one search shares (sent once to the workers, with the data)."""

    search: str
    space: str
    seed: int
    max_epochs: int
    artifacts: str
    threads: int
    use_gpu: bool
    report_epochs: tuple[int, ...]  # the scheduler's rungs; no other epoch is reported
    metric: str = "accuracy"  # the validation metric: reported at rungs, and in the values
    report_costs: tuple[str, ...] = ()  # costs the scheduler ranks on: sent with rung reports
    init_from: str | None = None  # ModelSource JSON: every trial starts from its weights
    target: str = "onnx"  # the runtime each trial ships to (autonn.target)
    limits: tuple[str, ...] = ()  # Limit texts; those on costs known before training are checked
    # before it trains
    workers: Any = None  # with --trial-timeout: the watchdog's WorkerBook (autonn.tune._watchdog)
    folds: int = 0  # k > 1: each trial is scored by k-fold cross-validation (autonn.data._folds)
    precision: str = "auto"  # training's number format (autonn.train._precision)


@functools.lru_cache(maxsize=4)
def _space(spec: str):
    return load_space(spec)  # once per worker process: actors are reused across trials


def trainable(config: dict[str, Any], *, data: Dataset | ray.ObjectRef, plan: TrialPlan) -> None:
    if isinstance(data, ray.ObjectRef):  # put once by the driver; mapped here, not copied
        data = ray.get(data)
    number = config[TRIAL_KEY]
    if TIMED_OUT_KEY in config:  # Tune's rerun of a trial the watchdog ended: it must not train
        tune.report({FAILED: config[TIMED_OUT_KEY]})
        return
    if plan.workers is not None:
        announce(plan.workers, number)
    params = {k: v for k, v in config.items() if k not in (TRIAL_KEY, TEACHER_KEY)}
    teacher = ModelSource.from_json(config[TEACHER_KEY]) if TEACHER_KEY in config else None
    resource = None
    try:
        tune.report(_run(number, params, data, plan, teacher))
    except TrialFailed as exc:
        # The driver stores the reason, and where it ran; the search goes on.
        tune.report({FAILED: str(exc), ATTRS: json.dumps(placement(plan.use_gpu))})
    except Exception as exc:
        if is_out_of_memory(exc):  # the GPU's state, shared with its neighbours: a retry's
            resource = out_of_memory_reason(exc)
        else:
            logger.exception("trial %d failed", number)
            failed = f"{type(exc).__name__}: {exc}"
            tune.report({FAILED: failed, ATTRS: json.dumps(placement(plan.use_gpu))})
    if plan.use_gpu:  # out of the except block: the error's frames no longer hold its tensors
        free_cached_memory()
    if resource is not None:  # Tune runs the trial again in a fresh worker (--max-failures)
        tune.report({RESOURCE_FAILED: resource})
        raise ResourceFailure(resource)


def _costs_before_training(config, data: Dataset, plan: TrialPlan) -> dict[str, float]:
    """What the trial will cost on its target (flash, RAM, size, MACs), from its untrained model
    pruned and quantized as the config says: limits are checked on it before training, and the
    scheduler ranks a trial on its real cost from its first rung on."""
    from autonn.measure._size import costs_before_training
    from autonn.trial import calibration_sample

    limits = _cost_limits(plan)
    wanted = {*plan.report_costs, *(limit.name for limit in limits)}
    # A device target always converts first: a model it cannot run (an operator TFLite Micro
    # lacks) is then refused in seconds, before training, and the sampler learns from it.
    if not wanted and plan.target == "onnx":
        return {}
    costs = costs_before_training(
        config,
        data.input_shape,
        data.n_outputs,
        target=plan.target,
        calibration=calibration_sample(data),
        ram="ram_bytes" in wanted or plan.target != "onnx",
    )
    return costs


def _cost_limits(plan: TrialPlan):
    from autonn.store import COSTS_BEFORE_TRAINING

    return [lim for lim in parse_limits(plan.limits) if lim.name in COSTS_BEFORE_TRAINING]


def _transfer(
    config, data: Dataset, plan: TrialPlan, teacher: ModelSource | None, device: str
) -> dict:
    """What the trial learns from earlier models: its teacher's outputs on the training split
    (computed on the trial's device), the weights it starts from, and the attributes naming
    them."""
    out: dict[str, Any] = {"attrs": {}}
    if config.compress.distill_alpha > 0:
        # None: no trial had completed when this one started, so it learns from labels alone.
        out["attrs"]["teacher"] = teacher.label if teacher else None
        if teacher is not None:
            model = source_model(teacher, data, device)
            # k-fold trials train on the validation rows too (pooled), so the teacher covers them.
            rows = pooled(data) if plan.folds else data
            out["teacher"] = teacher_outputs(model, rows.x_train, device=device)
    if plan.init_from:
        source = ModelSource.from_json(plan.init_from)
        out["init_state"] = source_state(source)
        out["attrs"]["init_from"] = source.label
    return out


def _run(
    number: int,
    params: dict[str, Any],
    data: Dataset,
    plan: TrialPlan,
    teacher: ModelSource | None,
) -> dict[str, Any]:
    import torch

    from autonn.train._precision import resolve_precision

    torch.set_num_threads(plan.threads)
    config = _space(plan.space).rebuild(params)
    # A GPU share on a worker without CUDA fails here, in one line, before any work on the CPU.
    device = trial_device(plan.use_gpu)
    where = {"device": device, **placement(plan.use_gpu)}
    try:
        costs = _costs_before_training(config, data, plan)
    except TargetCannotRun as exc:  # infeasible on this target whatever it would learn
        refused = {f"{plan.target} runs it": 1.0}
        attrs = {**where, "unsupported": str(exc)}
        return {INFEASIBLE: json.dumps(refused), ATTRS: json.dumps(attrs)}
    refused = broken(_cost_limits(plan), costs)
    if refused:  # not trained: the driver stores it with its costs and what it breaks
        return {INFEASIBLE: json.dumps(refused), **costs, ATTRS: json.dumps(where)}
    learn = _transfer(config, data, plan, teacher, device)
    known = costs  # sent with each rung report: a trial stopped early keeps its costs too
    curve: list[float] = []

    def report(epoch: int, score: float) -> None:
        curve.append(score)
        if epoch in plan.report_epochs:
            tune.report({EPOCH: epoch, plan.metric: score, CURVE: json.dumps(curve), **known})

    precision = resolve_precision(plan.precision, device)  # stored: what "auto" came to here
    location = trial_location(plan.artifacts, plan.search, number)
    with trial_scratch() as tmp:
        outcome = run_trial(
            config,
            data,
            seed=plan.seed + number,
            max_epochs=plan.max_epochs,
            out_dir=tmp,
            device=device,
            precision=precision,
            report=report,
            metric=plan.metric,
            teacher=learn.get("teacher"),
            init_state=learn.get("init_state"),
            target=plan.target,
            folds=plan.folds,
            fold_seed=plan.seed,  # the search's: every trial is scored on the same folds
        )
        upload(tmp, location)
    attrs = {**outcome.attrs, "artifacts": location, **where, "precision": precision}
    attrs.update(learn["attrs"])
    return {FINAL: True, **outcome.values, ATTRS: json.dumps(attrs)}
