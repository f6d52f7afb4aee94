"""The Optuna study behind a search: create it, or reopen it to resume an interrupted search."""

from __future__ import annotations

from datetime import datetime

import optuna
from optuna.trial import TrialState

from autonn.data import Dataset
from autonn.errors import UsageError
from autonn.space import SearchSpace
from autonn.store import (
    CONFIG_ATTR,
    OBJECTIVES,
    artifact_root,
    display_url,
    open_storage,
    upgrade_attrs,
)
from autonn.tune._config import RunConfig, SearchConfig
from autonn.tune._lease import Lease, take

# The fail_reason of a trial that was running when its search stopped. Such a trial does not
# count against the budget of a resumed search.
INTERRUPTED = "the search stopped before this trial finished"

# What must be the same for the trials of a resumed search to belong with those already stored.
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_MUST_MATCH = ("space", "data", "label", "task", "objectives", "sampler", "seed", "max_epochs",
               "early_stop", "scheduler", "dataset", "artifacts", "teacher",
               "init_from", "target", "limits_applied", "floor", "folds",
               "split_hash", "precision")  # fmt: skip
# What a search stored before a setting existed meant.
_BEFORE = {"task": "classification", "teacher": None, "init_from": None, "target": "onnx",
           "limits_applied": [], "floor": None, "folds": 0,
           "precision": "auto"}  # fmt: skip


def create_study(
    name: str, config: SearchConfig, run: RunConfig, space, data
) -> tuple[optuna.Study, Lease]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=open_storage(run.storage, create=True),
            study_name=name,
            directions=[OBJECTIVES[o] for o in config.objectives],
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise UsageError(
            f"a search named {name!r} already exists in {display_url(run.storage)}; "
            "choose another --name, or add --resume to continue it"
        ) from None
    study.set_user_attr(CONFIG_ATTR, _stored_config(name, config, run, space, data))
    # A new search: a lease row left by a deleted search of the same name means nothing.
    lease = take(open_storage(run.storage), name, force=True)
    for params in config.enqueue:  # stored as WAITING trials, so a resume still runs them
        study.enqueue_trial(params)
    return study, lease


def resume_study(
    name: str,
    config: SearchConfig,
    run: RunConfig,
    space: SearchSpace,
    data: Dataset,
    *,
    force: bool = False,
) -> tuple[optuna.Study, Lease, int]:
    """Reopen a stored search and return it, held, with the number of trials that count as done.

    Trials left RUNNING by a driver that died without closing them (killed, node lost) are
    closed as FAIL with the INTERRUPTED reason; they, and trials closed that way before, are
    run again rather than counted. A search another driver still runs is refused (see _lease).
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=name, storage=open_storage(run.storage))
    except KeyError:
        raise UsageError(
            f"there is no search named {name!r} to resume in {display_url(run.storage)}; "
            "drop --resume to start it"
        ) from None
    stored = study.user_attrs.get(CONFIG_ATTR, {})
    wanted = _stored_config(name, config, run, space, data)
    # Before --scheduler, early stopping was accuracy-only ASHA; before 0.3 no split hash was
    # stored, so such a search resumes on its counts and shapes (`dataset`) alone.
    before = {**_BEFORE, "scheduler": "asha" if stored.get("early_stop", True) else "fifo",
              "split_hash": wanted["split_hash"]}  # fmt: skip
    stored = {**before, **stored}
    differ = [k for k in _MUST_MATCH if _comparable(stored.get(k)) != _comparable(wanted[k])]
    if differ:
        shown = ", ".join(f"{k} (stored {stored.get(k)!r}, given {wanted[k]!r})" for k in differ)
        raise UsageError(
            f"cannot resume {name!r} with different settings: {shown}; "
            "give the settings it was started with, or start a new search"
        )
    storage = open_storage(run.storage)
    lease = take(storage, name, force=force)  # before its RUNNING trials are taken as a dead one's
    study_id = storage.get_study_id_from_name(name)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        storage.set_trial_user_attr(trial_id, "fail_reason", INTERRUPTED)
        study.tell(trial.number, state=TrialState.FAIL)
    finished = study.get_trials(deepcopy=False, states=_FINISHED)  # not WAITING: enqueued
    done = sum(1 for t in finished if not _interrupted(t))
    history = [*stored.get("resumed", []), datetime.now().isoformat(timespec="seconds")]
    study.set_user_attr(CONFIG_ATTR, {**stored, "trials": config.trials, "resumed": history})
    return study, lease, done


def stored_rungs(
    study: optuna.Study, objectives: dict[str, str], rungs: tuple[int, ...]
) -> dict[int, list[dict[str, float]]]:
    """What the stored trials reported at each rung they reached, for the scheduler to compare
    new trials with: the metric from their learning curve, and the size they ship."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    metric = next(iter(objectives))
    found: dict[int, list[dict[str, float]]] = {r: [] for r in rungs}
    for t in trials:
        attrs = upgrade_attrs(t.user_attrs)
        curve = attrs.get("curve") or []
        size = attrs.get("size_bytes")
        for rung in rungs:
            if len(curve) >= rung:
                values = {metric: curve[rung - 1]}
                if "size_bytes" in objectives and size is not None:
                    values["size_bytes"] = float(size)
                found[rung].append(values)
    return found


def sampler(name: str, seed: int, study: optuna.Study) -> optuna.samplers.BaseSampler:
    """TPE and NSGA-II read each trial's constraints (Trial.set_constraint, set by the searcher)
    and rank infeasible trials below feasible ones."""
    # A resumed search must not replay the draws it made before: a seeded sampler restarts its
    # random stream, so the seed moves on by the trials already stored (0 for a new search).
    seed += len(study.get_trials(deepcopy=False))
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constant_liar: trials running in parallel are not sampled on top of each other.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def _stored_config(name: str, config: SearchConfig, run: RunConfig, space, data) -> dict:
    import autonn

    return {
        **config.as_dict(),
        "name": name,
        "space": space.spec,
        "dataset": data.summary(),
        "split_hash": data.split_hash,  # export refuses data whose splits hash otherwise
        "trivial": trivial_of(config, data),
        "artifacts": artifact_root(run.artifacts),
        "autonn_version": autonn.__version__,
        "created": datetime.now().isoformat(timespec="seconds"),
    }


def best_feasible(study: optuna.Study, metric: str) -> float | None:
    """The best validation metric of a stored complete trial that keeps every limit (resume)."""
    index = list(study.user_attrs.get(CONFIG_ATTR, {}).get("objectives", [metric])).index(metric)
    scores = [
        t.values[index]
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.values and not upgrade_attrs(t.user_attrs).get("broken_limits")
    ]
    if not scores:
        return None
    return max(scores) if OBJECTIVES[metric] == "maximize" else min(scores)


def trivial_of(config: SearchConfig, data) -> float:
    """The search's metric on the validation split for the predictor that ignores its inputs."""
    from autonn.limits import trivial_score

    return trivial_score(config.metric, config.task, data.y_train, data.y_val)


def _comparable(value):
    """Stored settings went through JSON, so tuples came back as lists."""
    return list(value) if isinstance(value, tuple) else value


def _interrupted(trial: optuna.trial.FrozenTrial) -> bool:
    reason = upgrade_attrs(trial.user_attrs).get("fail_reason")
    return trial.state == TrialState.FAIL and reason == INTERRUPTED
