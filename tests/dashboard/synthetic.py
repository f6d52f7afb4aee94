"""Made-up searches written straight through Optuna, for the dashboard's tests and benchmark.

The trials look like what `autonn search` stores (same params, values and user attributes), but no
model is trained: a 2,000-trial study takes seconds to write, a real one would take hours.

The search's metric is the one among its objectives: accuracy (and the other classification
scores) on digits, or a regression metric (rmse, mae, r2) on diabetes, where rmse runs from
about 50 for the best models to 110 for the worst, as on the real data set.

A search of autonn 0.3 (`costs=True`, or given `limits` or a `floor`) also stores each trial's
flash, RAM and MACs, its target, its limits and the trivial predictor's score: trials that break
a cost limit are refused before training (PRUNED, epochs 0, with their costs), trained ones that
break a limit are COMPLETE with `broken_limits`, and trials stopped early keep the costs known
before training. Without these keywords a search is written exactly as before.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from autonn.space import QUANTIZATIONS

_BYTES_PER_PARAM = {"fp32": 4.0, "fp16": 2.0, "int8-dynamic": 1.1, "int8-static": 1.0}


def write_search(
    storage: str,
    name: str,
    *,
    trials: int,
    seed: int = 0,
    objectives: tuple[str, ...] = ("accuracy", "size_bytes"),
    running: int = 0,
    states: tuple[float, float] = (0.12, 0.03),
    start: datetime | None = None,
    costs: bool = False,
    limits: tuple[str, ...] = (),
    floor: float | None = None,
    target: str = "tflm",
    scheduler: str | None = None,
    data: str | None = None,
) -> None:
    """Write a search of `trials` finished trials (+ `running` RUNNING ones) into `storage`.

    states: the share of PRUNED and FAIL trials; the rest are COMPLETE (less those a limit
    refuses). costs: store flash_bytes, ram_bytes and macs, as autonn 0.3 does; limits: texts
    such as "ram_bytes<=2KB", "accuracy>=0.8"; floor: the share of the gap from the trivial
    predictor to the best trial (the trivial score is the metric of a model with skill 0.1);
    target and scheduler: stored in the config (scheduler only when given, as before 0.3);
    data: the data set's name in the config (digits or diabetes, by the task, unless given).
    """
    import optuna

    from autonn.store import CONFIG_ATTR, OBJECTIVES, open_storage, quality_metric
    from autonn.task import task_of_metric

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # A limit, a floor or a device cost as an objective make a search of autonn 0.3.
    costs = costs or bool(limits) or floor is not None or bool(set(objectives) & set(_DEVICE))
    study = optuna.create_study(
        storage=open_storage(storage, create=True),
        study_name=name,
        directions=[OBJECTIVES[o] for o in objectives],
    )
    start = start or datetime(2026, 1, 1, 12, 0, 0)
    task = task_of_metric(quality_metric(objectives)).name
    data = data or ("digits" if task == "classification" else "diabetes")
    dataset = (
        {"name": data, "n_classes": 10, "input_shape": [64]}
        if task == "classification"
        else {"name": data, "input_shape": [10]}
    )
    study.set_user_attr(
        CONFIG_ATTR,
        {
            "name": name,
            "space": "mlp",
            "data": data,
            "task": task,
            "seed": seed,
            "trials": trials + running,
            "max_epochs": 20,
            "objectives": list(objectives),
            "dataset": dataset,
            "artifacts": f"/tmp/autonn_artifacts/{name}",
            "created": start.isoformat(timespec="seconds"),
            **_device_config(quality_metric(objectives), costs, limits, floor, target),
            **({"scheduler": scheduler} if scheduler else {}),
        },
    )
    rng = random.Random(seed)
    add_trials(
        study,
        trials,
        rng=rng,
        objectives=objectives,
        states=states,
        start=start,
        costs=costs,
        limits=limits,
    )
    for _ in range(running):
        trial = study.ask(_distributions())
        trial.set_user_attr("node", "10.0.0.1")


def _device_config(metric: str, costs: bool, limits, floor, target: str) -> dict:
    """What autonn 0.3 adds to a search's config; nothing for a search written as before."""
    if not costs:
        return {}
    trivial = round(_score(metric, 0.1), 4) if floor is not None else None
    return {"target": target, "limits_applied": list(limits), "floor": floor, "trivial": trivial}


def add_trials(
    study,
    n: int,
    *,
    rng: random.Random,
    objectives: tuple[str, ...],
    states: tuple[float, float] = (0.12, 0.03),
    start: datetime,
    costs: bool = False,
    limits: tuple[str, ...] = (),
) -> None:
    """Append `n` finished trials, each finishing a few seconds after the one before (with the
    costs and limits of `write_search`)."""
    import optuna
    from optuna.trial import TrialState

    from autonn.limits import broken, parse_limits
    from autonn.store import COSTS_BEFORE_TRAINING, quality_metric

    parsed = parse_limits(limits)
    before = [lim for lim in parsed if lim.name in COSTS_BEFORE_TRAINING]
    metric = quality_metric(objectives)
    first = len(study.get_trials(deepcopy=False))
    clock = start + timedelta(seconds=first * 4)
    for number in range(first, first + n):
        params = _params(rng)
        width = sum(params[f"width_{i}"] for i in range(params["depth"]))
        n_params = int(64 * width * (1 - params["prune"]) + 10 * width)
        quantize = params["quantize"]
        size = int(n_params * _BYTES_PER_PARAM[quantize] + 900 + rng.randint(0, 200))
        skill = 1 - math.exp(-width / 60) * 0.5 - abs(math.log10(params["lr"] / 3e-3)) * 0.04
        skill -= params["prune"] * 0.08 + (0.02 if quantize.startswith("int8") else 0.0)
        final = min(0.995, max(0.1, skill + rng.gauss(0, 0.015)))
        curve = [round(_score(metric, final * (1 - math.exp(-(e + 1) / 3))), 4) for e in range(20)]
        seconds = rng.uniform(2, 12)
        started, clock = clock, clock + timedelta(seconds=rng.uniform(1, 6))
        roll = rng.random()
        state = (
            TrialState.PRUNED
            if roll < states[0]
            else TrialState.FAIL
            if roll < states[0] + states[1]
            else TrialState.COMPLETE
        )
        attrs = {"ray_trial_id": f"t{rng.getrandbits(32):08x}", "node": "10.0.0.1"}
        values = None
        device = _device_costs(params, size) if costs else {}
        refused = broken(before, device)
        if refused:  # known before training: never started, stored with what it breaks
            state = TrialState.PRUNED
            attrs.update(broken_limits=refused, epochs=0, size_bytes=size, **device)
        elif state == TrialState.COMPLETE:
            latency = round(0.01 + n_params / 2e6, 4)
            measured = {metric: _score(metric, final), "size_bytes": float(size)}
            measured["latency_ms"] = latency
            measured.update(device)
            values = [measured[o] for o in objectives]
            if costs:
                attrs.update(device, broken_limits=broken(parsed, measured))
            attrs[f"test_{metric}"] = round(_score(metric, final - rng.uniform(-0.01, 0.03)), 4)
            attrs.update(
                size_bytes=size,
                latency_ms=latency,
                fp32_bytes=int(n_params * 4 + 900),
                params=n_params,
                epochs=20,
                curve=curve,
                compression={
                    "prune": params["prune"],
                    "finetune_epochs": params.get("finetune_epochs", 0),
                    "quantize": quantize,
                },
                train_seconds=round(seconds, 3),
                artifacts=f"/tmp/autonn_artifacts/trial_{number:05d}",
                device="cpu",
            )
        elif state == TrialState.PRUNED:
            stop = rng.choice([5, 10])
            attrs.update(curve=curve[:stop], epochs=stop, stopped_at_epoch=stop)
            if costs:  # the costs known from its start
                attrs.update(size_bytes=size, **device)
        else:
            attrs["fail_reason"] = "TrialFailed: the loss became NaN at epoch 3"
        frozen = optuna.trial.create_trial(
            state=state,
            values=values,
            params=params,
            distributions=_distributions(params),
            user_attrs=attrs,
        )
        frozen.datetime_start = started
        frozen.datetime_complete = started + timedelta(seconds=seconds)
        study.add_trial(frozen)


_DEVICE = ("flash_bytes", "ram_bytes", "macs")  # what a search of autonn 0.3 measures besides
# Bytes a stored activation takes: dynamic int8 keeps float activations.
_BYTES_PER_ACTIVATION = {"fp32": 4, "fp16": 2, "int8-dynamic": 4, "int8-static": 1}


def _device_costs(params: dict, size: int) -> dict:
    """Flash (the model file), RAM (the largest pair of adjacent activations, plus 1 KB of
    interpreter) and MACs of a made-up MLP from 64 inputs to 10 classes; no random draw, so a
    search with costs draws the same trials as one without."""
    keep = 1 - params["prune"]
    hidden = [max(1, int(params[f"width_{i}"] * keep)) for i in range(params["depth"])]
    dims = [64, *hidden, 10]
    pairs = list(zip(dims, dims[1:], strict=False))
    per = _BYTES_PER_ACTIVATION[params["quantize"]]
    return {
        "flash_bytes": size,
        "ram_bytes": max(a + b for a, b in pairs) * per + 1024,
        "macs": sum(a * b for a, b in pairs),
    }


def _score(metric: str, skill: float) -> float:
    """A made-up model's metric from its skill in [0, 1] (1 is perfect)."""
    if metric == "rmse":
        return 50 + 60 * (1 - skill)
    if metric == "mae":
        return 40 + 50 * (1 - skill)
    if metric == "r2":
        return skill - 0.45
    return skill


def _params(rng: random.Random) -> dict:
    depth = rng.randint(1, 3)
    params: dict = {"depth": depth}
    for i in range(depth):
        params[f"width_{i}"] = int(round(math.exp(rng.uniform(math.log(16), math.log(256)))))
    params.update(
        activation=rng.choice(["relu", "gelu", "tanh"]),
        dropout=rng.uniform(0, 0.5),
        lr=math.exp(rng.uniform(math.log(1e-4), math.log(3e-2))),
        batch_size=rng.choice([16, 32, 64, 128]),
        weight_decay=math.exp(rng.uniform(math.log(1e-6), math.log(1e-2))),
        optimizer=rng.choice(["adam", "adamw", "sgd"]),
        prune=rng.choice([0.0, 0.0, 0.25, 0.5, 0.75]),
        quantize=rng.choice(QUANTIZATIONS),
    )
    if params["prune"] > 0:
        params["finetune_epochs"] = rng.randint(0, 10)
    return params


def _distributions(params: dict | None = None) -> dict:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    every = {
        "depth": IntDistribution(1, 3),
        **{f"width_{i}": IntDistribution(16, 256, log=True) for i in range(3)},
        "activation": CategoricalDistribution(["relu", "gelu", "tanh"]),
        "dropout": FloatDistribution(0.0, 0.5),
        "lr": FloatDistribution(1e-4, 3e-2, log=True),
        "batch_size": CategoricalDistribution([16, 32, 64, 128]),
        "weight_decay": FloatDistribution(1e-6, 1e-2, log=True),
        "optimizer": CategoricalDistribution(["adam", "adamw", "sgd"]),
        "prune": FloatDistribution(0.0, 0.9, step=0.05),
        "finetune_epochs": IntDistribution(0, 10),
        "quantize": CategoricalDistribution(list(QUANTIZATIONS)),
    }
    if params is None:
        return {k: every[k] for k in ("depth", "activation", "lr", "quantize")}
    return {k: every[k] for k in params}
