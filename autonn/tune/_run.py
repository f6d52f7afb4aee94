"""Running a search: check the inputs, create or resume the study, start Ray Tune, read it back."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from autonn._environ import environ_defaults
from autonn.data import Dataset, load_dataset
from autonn.data._folds import default_folds
from autonn.errors import SearchInterrupted, UsageError
from autonn.space import SearchSpace, load_space
from autonn.store import (
    Search,
    artifact_root,
    check_storage,
    display_url,
    list_searches,
    load_search,
    open_storage,
    search_location,
)
from autonn.store._artifacts import check_writable
from autonn.target import get_target
from autonn.transfer import ModelSource, front_params, load_matching, resolve_source, source_state
from autonn.transfer._source import check_teacher
from autonn.tune._config import RunConfig, SearchConfig
from autonn.tune._ray import connect, sigterm_stops_search, sigterms
from autonn.tune._study import (
    INTERRUPTED,
    create_study,
    resume_study,
    sampler,
    stored_rungs,
)

logger = logging.getLogger("autonn.tune")

# Read by Tune on the driver while it runs: autonn checks its own reports, writes no per-trial
# logs, keeps Tune's plain output, and turns Tune's periodic experiment snapshot off (_memory.py).
TUNE_ENVIRONMENT = {
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "RAY_AIR_NEW_OUTPUT": "0",
    "TUNE_GLOBAL_CHECKPOINT_S": str(10**9),  # seconds between snapshots: never, until the end
}


def search(
    config: SearchConfig,
    run: RunConfig | None = None,
    *,
    resume: bool = False,
    force: bool = False,
) -> Search:
    """Run a multi-objective search and return it as stored (its `pareto` property is the front).

    resume: continue the stored search named `config.name` (stopped, killed, or to be extended)
    until it holds `config.trials` trials; its other settings must be the ones it started with.
    force: resume even though another driver seems to run the search (its heartbeat is fresh).
    """
    run = run or RunConfig()
    # checked before the data loads and Ray starts: a typo costs a second, not twelve
    stored = _check_resumable(config.name, run.storage) if resume else None
    space = load_space(config.space).for_formats(get_target(config.target).formats)
    data = load_dataset(config.data, seed=config.seed, label=config.label, task=config.task)
    check_storage(run.storage)  # a bad URL or a database that is down: say so before Ray starts
    check_writable(run.artifacts)  # a full disk or a folder not ours: one line, not N failed trials
    if config.warm_start and not resume:  # a resumed search holds its warm start already
        front = front_params(config.warm_start, config.from_storage or run.storage)
        logger.info(
            "warm start: the %d trials of %s's front run first", len(front), config.warm_start
        )
        config = dataclasses.replace(config, enqueue=(*front, *config.enqueue))
    model = _check_space(space, data, config)
    if config.folds is None:  # decided by the data's size when the search starts; then stored
        folds = stored.get("folds", 0) if stored is not None else default_folds(data)
        config = dataclasses.replace(config, folds=folds)
    name = config.name or default_name(config)
    sources = _sources(config, run, name, data, model)
    connect(run)  # before anything is written: a wrong address or token leaves no empty search
    with sigterm_stops_search():
        data, sources["shipped"] = _ship(data)
        if resume:
            study, lease, done = resume_study(name, config, run, space, data, force=force)
        else:
            (study, lease), done = create_study(name, config, run, space, data), 0
        try:
            _run_held(name, config, run, space, data, study, done=done, resume=resume, **sources)
        finally:
            _release(lease)
    return load_search(name, run.storage)


def _ship(data: Dataset):
    """Put the splits (not raw_test) in Ray's object store once, for every trial; the driver then
    reads them from there too, so it never holds a second copy (bench/big_data.py)."""
    import ray

    shipped = ray.put(data.for_workers())
    return dataclasses.replace(ray.get(shipped), raw_test=data.raw_test), shipped


def _check_resumable(name: str | None, storage: str) -> dict:
    """The stored config of the search to resume; UsageError when there is none by that name."""
    if name is None:
        raise UsageError("resuming needs the name of the search to continue; give --name")
    searches = {s.name: s for s in list_searches(storage)}
    known = list(searches)
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(
            f"there is no search named {name!r} to resume in {display_url(storage)}{hint}; "
            "drop --resume to start it"
        )
    return searches[name].config


def _run_held(name, config, run, space, data, study, *, done: int, resume: bool, **sources) -> None:
    todo = config.trials - done
    if todo <= 0:
        logger.info("search %s already has %d trials; raise --trials to run more", name, done)
        return
    logger.info(
        "search %s: %d %strials of %s on %s (%s) into %s",
        name,
        todo,
        f"more (of {config.trials}) " if resume else "",
        space.spec,
        data.name,
        "x".join(map(str, data.input_shape)),
        display_url(run.storage),
    )
    started = time.perf_counter()
    with tune_environment(quiet=not run.debug):
        _tune(name, config, run, space, data, study, todo=todo, done=done, **sources)
    logger.info("search %s finished in %.1fs", name, time.perf_counter() - started)


def default_name(config: SearchConfig) -> str:
    """e.g. digits-mlp-20261125-221502, or mydata-myspace-... for files."""

    def short(spec: str) -> str:
        target = spec.split(":")[0]
        is_file = "/" in target or target.endswith((".py", ".npz", ".csv", ".parquet"))
        stem = Path(target).stem if is_file else target.rsplit(".", 1)[-1]  # pkg.mod -> mod
        return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "search"

    return f"{short(config.data)}-{short(config.space)}-{datetime.now():%Y%m%d-%H%M%S}"


def _check_space(space: SearchSpace, data: Dataset, config: SearchConfig):
    """Sample the space and build one model before Ray starts, so mistakes surface in seconds."""
    return space.check(seed=config.seed, enqueued=config.enqueue).build(
        data.input_shape, data.n_outputs
    )


def _sources(config: SearchConfig, run: RunConfig, name: str, data: Dataset, model) -> dict:
    """The teacher and the starting weights the config names, checked and made reachable by
    every worker before Ray starts."""
    storage = config.from_storage or run.storage
    copy_to = search_location(run.artifacts, name)
    found: dict[str, ModelSource | None] = {"teacher": None, "init_from": None}
    if config.teacher:
        found["teacher"] = resolve_source(
            config.teacher, storage=storage, copy_to=copy_to, role="teacher"
        )
        check_teacher(found["teacher"], data)
    if config.init_from:
        source = resolve_source(
            config.init_from, storage=storage, copy_to=copy_to, role="init-from"
        )
        copied, total = load_matching(model, source_state(source))
        log = logger.warning if copied == 0 else logger.info
        log(
            "init-from %s: a sampled trial's model takes %d of its %d tensors from it (the rest "
            "start fresh)",
            source.label,
            copied,
            total,
        )
        found["init_from"] = source
    return found


def _tune(
    name,
    config: SearchConfig,
    run: RunConfig,
    space,
    data,
    study,
    *,
    todo,
    done,
    teacher: ModelSource | None = None,
    init_from: ModelSource | None = None,
    shipped=None,  # the ObjectRef of data.for_workers() (_ship)
) -> None:
    from ray import tune
    from ray.tune.stopper import CombinedStopper

    from autonn.store import OBJECTIVES
    from autonn.store._retry import retrying
    from autonn.tune._failures import RetryLog
    from autonn.tune._memory import DropStatistics
    from autonn.tune._outage import DatabaseOutage
    from autonn.tune._scheduler import make_scheduler, ranked_costs, rung_epochs
    from autonn.tune._searcher import AutonnSearcher, Feasibility
    from autonn.tune._study import best_feasible, trivial_of
    from autonn.tune._trainable import TrialPlan, trainable
    from autonn.tune._uploads import UploadFailures
    from autonn.tune._watchdog import Watchdog

    direction = OBJECTIVES[config.metric]
    trivial = trivial_of(config, data)
    scheduler = make_scheduler(
        config.scheduler,
        config.max_epochs,
        config.metric,
        direction,
        config.objectives,
        limits=config.all_limits,
        floor=(trivial, config.floor),
    )
    if done and rung_epochs(scheduler):
        scheduler.remember(stored_rungs(study, scheduler.objectives, rung_epochs(scheduler)))
    plan = TrialPlan(
        search=name,
        space=space.spec,
        seed=config.seed,
        max_epochs=config.max_epochs,
        artifacts=artifact_root(run.artifacts),
        threads=max(1, math.floor(run.cpus_per_trial)),
        use_gpu=run.gpus_per_trial > 0,
        report_epochs=rung_epochs(scheduler),
        metric=config.metric,
        report_costs=ranked_costs(scheduler),
        init_from=init_from.to_json() if init_from else None,
        target=config.target,
        limits=tuple(limit.text for limit in config.all_limits),
        precision=config.precision,
        folds=config.folds,
    )
    feasibility = Feasibility(
        config.metric,
        config.all_limits,
        trivial=trivial,
        floor=config.floor,
        best=best_feasible(study, config.metric),
    )
    retries = RetryLog(run.max_failures)
    # The searcher's storage waits out a database that goes away, up to --db-timeout; past it
    # `outage` stops the search as Ctrl-C does.
    storage = retrying(
        open_storage(run.storage), timeout=run.db_timeout_s, label=display_url(run.storage)
    )
    outage = DatabaseOutage(storage)
    searcher = AutonnSearcher(
        space,
        objectives=config.objectives,
        sampler=sampler(config.sampler, config.seed, study),
        storage=storage,
        study_name=name,
        total=config.trials,
        done=done,
        retries=retries,
        teacher=teacher,
        feasibility=feasibility,
    )
    watchdog = Watchdog.for_run(run, searcher)  # None without --trial-timeout
    if watchdog is not None:  # each trial tells the watchdog's book which process runs it
        plan = dataclasses.replace(plan, workers=watchdog.book)
    uploads = UploadFailures()
    resources = {"cpu": run.cpus_per_trial, "gpu": run.gpus_per_trial}
    tuner = tune.Tuner(
        # The data is in Ray's object store once (_ship); every trial maps it from there.
        tune.with_resources(
            tune.with_parameters(
                trainable, data=data.for_workers() if shipped is None else shipped, plan=plan
            ),
            resources,
        ),
        tune_config=tune.TuneConfig(
            search_alg=searcher,
            scheduler=scheduler,
            num_samples=todo,
            max_concurrent_trials=run.max_concurrent,
            reuse_actors=run.reuse_actors,
            trial_dirname_creator=lambda trial: trial.trial_id,
        ),
        run_config=tune.RunConfig(
            name="ray",
            # Tune's own state lives beside the trials' files: <artifacts>/<search>/ray
            storage_path=search_location(run.artifacts, name),
            verbose=0,
            failure_config=tune.FailureConfig(max_failures=run.max_failures),
            callbacks=[retries, DropStatistics(), *([watchdog] if watchdog else [])],
            # STOP_AFTER trials in a row that could not store their files; a database away
            stop=CombinedStopper(uploads, outage),
        ),
    )
    terminated = sigterms()
    try:
        tuner.fit()
    finally:
        searcher.fail_unfinished(INTERRUPTED)
    finished = sum(searcher.finished.values())  # trials closed by fail_unfinished are not in it
    if finished < todo:  # Tune handles Ctrl-C (and SIGTERM, see _ray.py) itself: it stops the
        # trials and returns
        if outage.tripped:
            raise outage.error(name, done + finished, config.trials)
        raise _stopped(name, done + finished, config.trials, uploads, sigterms() > terminated)


@contextlib.contextmanager
def tune_environment(quiet: bool = True) -> Iterator[None]:
    """Tune's settings for autonn's run (`TUNE_ENVIRONMENT`, where the user has not set them) and,
    when quiet, Tune's logger silenced, for the run only: a Python caller's process is as it was
    afterwards. Quiet because Tune logs a traceback for each lost worker and warns of the
    per-trial result files autonn turned off; autonn logs one line of its own for each, and
    --debug shows Tune's."""
    tune_log = logging.getLogger("ray.tune")
    level = tune_log.level
    if quiet:
        tune_log.setLevel(logging.CRITICAL)
    try:
        with environ_defaults(TUNE_ENVIRONMENT):
            yield
    finally:
        tune_log.setLevel(level)


def _release(lease) -> None:
    """Give the search up; when the database is still away (the search stopped for it), the
    lease lapses by itself a minute after its last heartbeat (autonn.tune._lease.STALE)."""
    from autonn.store._retry import is_transient

    try:
        lease.close()
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("could not release search %s: the database is unreachable", lease.search)


def _stopped(name, stored: int, total: int, uploads, preempted: bool) -> SearchInterrupted:
    """Why a search stopped short, as its last line says it; the exit code tells it apart."""
    if uploads.tripped:
        return SearchInterrupted(uploads.message(name, stored, total), exit_code=2)
    how = "by SIGTERM " if preempted else ""
    return SearchInterrupted(
        f"search {name!r} stopped {how}after {stored} of {total} trials (what finished is "
        f"stored); add --resume --name {name} to the same command to continue it",
        exit_code=143 if preempted else 130,
    )
