"""Running a search: check the inputs, create the study, start Ray Tune, read the result back."""

from __future__ import annotations

import logging
import math
import os
import re
import time
from datetime import datetime
from pathlib import Path

import optuna

from autonn.data import Dataset, load_dataset
from autonn.errors import UsageError
from autonn.search._config import RunConfig, SearchConfig
from autonn.space import SearchSpace, load_space
from autonn.store import (
    CONFIG_ATTR,
    OBJECTIVES,
    Search,
    artifact_root,
    display_url,
    load_search,
    open_storage,
)

logger = logging.getLogger("autonn.search")


def search(config: SearchConfig, run: RunConfig | None = None) -> Search:
    """Run a multi-objective search and return it as stored (its `pareto` property is the front)."""
    run = run or RunConfig()
    space = load_space(config.space)
    data = load_dataset(config.data, seed=config.seed, label=config.label)
    _check_space(space, data, config.seed)
    name = config.name or default_name(config)
    study = _create_study(name, config, run, space, data)
    logger.info(
        "search %s: %d trials of %s on %s (%s) into %s",
        name,
        config.trials,
        space.spec,
        data.name,
        "x".join(map(str, data.input_shape)),
        display_url(run.storage),
    )
    started = time.perf_counter()
    _tune(name, config, run, space, data, study)
    logger.info("search %s finished in %.1fs", name, time.perf_counter() - started)
    return load_search(name, run.storage)


def default_name(config: SearchConfig) -> str:
    """e.g. digits-mlp-20261125-221502, or mydata-myspace-... for files."""

    def short(spec: str) -> str:
        target = spec.split(":")[0]
        is_file = "/" in target or target.endswith((".py", ".npz", ".csv"))
        stem = Path(target).stem if is_file else target.rsplit(".", 1)[-1]  # pkg.mod -> mod
        return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "search"

    return f"{short(config.data)}-{short(config.space)}-{datetime.now():%Y%m%d-%H%M%S}"


def _check_space(space: SearchSpace, data: Dataset, seed: int) -> None:
    """Sample the space and build one model before Ray starts, so mistakes surface in seconds."""
    space.check(seed=seed).build(data.input_shape, data.n_classes)


def _create_study(name, config: SearchConfig, run: RunConfig, space, data) -> optuna.Study:
    storage = open_storage(run.storage, create=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=name,
            directions=[OBJECTIVES[o] for o in config.objectives],
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise UsageError(
            f"a search named {name!r} already exists in {display_url(run.storage)}; "
            "choose another --name"
        ) from None
    import autonn

    study.set_user_attr(
        CONFIG_ATTR,
        {
            **config.as_dict(),
            "name": name,
            "space": space.spec,
            "dataset": data.summary(),
            "artifacts": artifact_root(run.artifacts),
            "autonn_version": autonn.__version__,
            "created": datetime.now().isoformat(timespec="seconds"),
        },
    )
    return study


def _sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constant_liar: trials running in parallel are not sampled on top of each other.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def _tune(name, config: SearchConfig, run: RunConfig, space, data, study) -> None:
    # Read by Tune on the driver: autonn checks its own reports, and writes no per-trial logs.
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    from ray import tune

    from autonn.search._scheduler import make_scheduler, rung_epochs
    from autonn.search._searcher import AutonnSearcher
    from autonn.search._trainable import TrialPlan, trainable
    from autonn.store import search_location

    _init_ray(run)
    scheduler = make_scheduler(config.max_epochs, config.early_stop)
    plan = TrialPlan(
        search=name,
        space=space.spec,
        seed=config.seed,
        max_epochs=config.max_epochs,
        artifacts=artifact_root(run.artifacts),
        threads=max(1, math.floor(run.cpus_per_trial)),
        use_gpu=run.gpus_per_trial > 0,
        report_epochs=rung_epochs(scheduler),
    )
    searcher = AutonnSearcher(
        space,
        objectives=config.objectives,
        sampler=_sampler(config.sampler, config.seed),
        storage=study._storage,
        study_name=name,
        total=config.trials,
    )
    resources = {"cpu": run.cpus_per_trial, "gpu": run.gpus_per_trial}
    tuner = tune.Tuner(
        tune.with_resources(tune.with_parameters(trainable, data=data, plan=plan), resources),
        tune_config=tune.TuneConfig(
            search_alg=searcher,
            scheduler=scheduler,
            num_samples=config.trials,
            max_concurrent_trials=run.max_concurrent,
            reuse_actors=run.reuse_actors,
            trial_dirname_creator=lambda trial: trial.trial_id,
        ),
        run_config=tune.RunConfig(
            name="ray",
            # Tune's own state lives beside the trials' files: <artifacts>/<search>/ray
            storage_path=search_location(run.artifacts, name),
            verbose=0,
        ),
    )
    try:
        tuner.fit()
    finally:
        searcher.fail_unfinished("the search stopped before this trial finished")


def _init_ray(run: RunConfig) -> None:
    import ray

    if ray.is_initialized():
        return
    logger.info("starting Ray" if run.address is None else f"joining Ray at {run.address}")
    quiet = not run.debug
    if quiet:
        # Tune warns that it found no per-trial result files: autonn turned those off on purpose.
        logging.getLogger("ray.tune").setLevel(logging.ERROR)
    ray.init(
        address=run.address,
        include_dashboard=False,
        log_to_driver=not quiet,
        logging_level=logging.ERROR if quiet else logging.INFO,
        configure_logging=True,
    )
