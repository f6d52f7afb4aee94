"""The driver-side searcher: Optuna chooses trials, and this is the only writer of trial records."""

from __future__ import annotations

import json
import logging
from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search import Searcher

from autonn.limits import Limit, broken
from autonn.space import SearchSpace
from autonn.store import COSTS_BEFORE_TRAINING, OBJECTIVES, pack_attrs, quality_metric
from autonn.task import METRICS
from autonn.transfer import ModelSource
from autonn.transfer._source import best_trial_source
from autonn.tune._failures import RetryLog
from autonn.tune._outage import gave_up, held_on_outage
from autonn.tune._protocol import (
    ATTRS,
    CURVE,
    EPOCH,
    FAILED,
    FINAL,
    INFEASIBLE,
    TEACHER_KEY,
    TRIAL_EVENT,
    TRIAL_KEY,
)

logger = logging.getLogger("autonn.tune")


class AutonnSearcher(Searcher):
    """Ray Tune's public Searcher over Optuna's public ask/tell: Optuna chooses each trial, and
    this stores what the trial really was.

    A trial is COMPLETE only when its worker sent the final, measured report; one the scheduler
    stopped is PRUNED (with the epoch it reached), never COMPLETE with half-trained values that
    would put an unfinished model on the front and mislead the sampler; a failed one is FAIL
    (with the reason).
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        objectives: tuple[str, ...],
        sampler: optuna.samplers.BaseSampler,
        storage: optuna.storages.BaseStorage,
        study_name: str,
        total: int,
        done: int = 0,
        retries: RetryLog | None = None,
        teacher: ModelSource | None = None,
        feasibility: Feasibility | None = None,
    ) -> None:
        super().__init__()
        self._space = space
        self._name = study_name
        self._teacher = teacher  # the one --teacher names; None: the best trial so far
        self._objectives = objectives
        self._total = total
        self._done_before = done  # trials a resumed search already holds, for the progress count
        self._retries = retries or RetryLog(max_failures=0)
        self._feasibility = feasibility or Feasibility(quality_metric(objectives))
        self.finished: dict[str, int] = {}  # state name -> count, for progress and the summary
        self.study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
        self._open: dict[str, optuna.Trial] = {}  # Ray trial id -> its Optuna trial, until told

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # the objectives and their directions are the study's own

    @held_on_outage  # the database gave up: no new trial, and the search stops
    def suggest(self, trial_id: str) -> dict[str, Any]:
        trial = self.study.ask()  # enqueued params first, then the sampler's
        config = self._space.sample(trial)  # checks the space; rebuilt on the worker
        self._open[trial_id] = trial
        suggested = {**trial.params, TRIAL_KEY: trial.number}
        if config.compress.distill_alpha > 0:
            # Chosen when the trial starts, from what has completed by then; a trial that starts
            # before any has trains on its labels alone (stored with teacher None).
            teacher = self._teacher or best_trial_source(
                self.study, self._name, self._objectives, self._space.spec
            )
            if teacher is not None:
                suggested[TEACHER_KEY] = teacher.to_json()
        return suggested

    @held_on_outage  # the database gave up: the trial stays open (closed as interrupted)
    def on_trial_complete(
        self, trial_id: str, result: dict | None = None, error: bool = False
    ) -> None:
        trial = self._open.get(trial_id)  # taken out once stored (held_on_outage)
        if trial is None:  # told already, or never asked here
            return
        try:
            self._store(trial_id, trial, result or {}, error)
        except Exception as exc:
            if gave_up(exc):
                raise  # held_on_outage's: the trial stays open
            self._fail_unstored(trial_id, trial, exc)

    def _store(self, trial_id: str, trial: optuna.Trial, result: dict, error: bool) -> None:
        """Store the trial as what its last report says it was, then log its one line."""
        attrs = json.loads(result.get(ATTRS, "{}"))
        attrs.update(ray_trial_id=trial_id, node=result.get("hostname"))
        retries = self._retries.retries.get(trial_id, 0)
        if retries:
            attrs["retries"] = retries
        values = None
        if INFEASIBLE in result:
            state = TrialState.PRUNED  # stopped before its first epoch; never trained
            attrs.update(broken_limits=json.loads(result[INFEASIBLE]), epochs=0)
            attrs.update({c: int(result[c]) for c in COSTS_BEFORE_TRAINING if c in result})
        elif error or FAILED in result:
            state = TrialState.FAIL
            # Without a FAILED report the last try errored: its worker died, or it ran out of a
            # resource (RetryLog kept which, and says so; see autonn.tune._failures).
            failed = {"fail_reason": result[FAILED]} if FAILED in result else None
            attrs.update(failed or self._retries.failure(trial_id))
        elif result.get(FINAL):
            state = TrialState.COMPLETE
            values = [float(result[o]) for o in self._objectives]
        else:
            state = TrialState.PRUNED
            # The scheduler stopped it on its last rung report, which holds the curve so far.
            curve = json.loads(result.get(CURVE, "[]"))
            attrs.update(
                curve=curve, epochs=result.get(EPOCH, 0), stopped_at_epoch=result.get(EPOCH, 0)
            )
            # Known from its start: where it sat on the cost axes.
            attrs.update({c: int(result[c]) for c in COSTS_BEFORE_TRAINING if c in result})
        named = dict(zip(self._objectives, values, strict=True)) if values else None
        if state == TrialState.COMPLETE:
            attrs["broken_limits"] = self._feasibility.broken({**attrs, **named})
        constraints = self._feasibility.constraints(state.name, attrs, named)
        for key, value in pack_attrs(attrs).items():  # a commit each: a few, not one per attr
            trial.set_user_attr(key, value)
        if constraints:  # Optuna's own record: TPE and NSGA-II rank infeasible trials last
            for key, value in constraints.items():
                trial.set_constraint(key, value)
        self.study.tell(trial, values, state=state)
        del self._open[trial_id]
        self.finished[state.name] = self.finished.get(state.name, 0) + 1
        self._log(trial.number, state, values, attrs)

    def _fail_unstored(self, trial_id: str, trial: optuna.Trial, exc: Exception) -> None:
        """A finished trial whose result autonn failed to store, by a bug and not an outage,
        ends as FAIL with the reason. Raised into Tune, the error would have Tune train the
        trial again (up to --max-failures times) only to meet the same error each time."""
        if trial_id not in self._open:  # the error came after the trial was stored, which stands
            logger.error("trial %d: stored, then autonn failed", trial.number, exc_info=exc)
            return
        logger.error("trial %d: its result could not be stored", trial.number, exc_info=exc)
        reason = (
            f"autonn could not store its result ({type(exc).__name__}: {exc}); this is a bug "
            "in autonn: please report it with the traceback logged before this line"
        )
        trial.set_user_attr("fail_reason", reason)
        self.study.tell(trial, state=TrialState.FAIL)
        del self._open[trial_id]
        self.finished["FAIL"] = self.finished.get("FAIL", 0) + 1
        self._log(trial.number, TrialState.FAIL, None, {"fail_reason": reason})

    @held_on_outage  # the database is still away: --resume closes the rest
    def fail_unfinished(self, reason: str) -> None:
        """Close trials left RUNNING (the search was interrupted) so none stays open forever."""
        for trial_id in list(self._open):
            trial = self._open[trial_id]  # kept until closed: the database may be away
            trial.set_user_attr("fail_reason", reason)
            self.study.tell(trial, state=TrialState.FAIL)
            del self._open[trial_id]

    # Tune checkpoints the searcher for its own resume; autonn's state is the database already,
    # and pickling a live storage every few seconds would be pure cost.
    def save_to_dir(self, *args: Any, **kwargs: Any) -> None:
        return None

    def restore_from_dir(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _log(self, number: int, state: TrialState, values, attrs: dict) -> None:
        done = self._done_before + sum(self.finished.values())
        shown = None
        if state == TrialState.COMPLETE:
            shown = " ".join(
                f"{o}={_fmt(o, v)}" for o, v in zip(self._objectives, values, strict=True)
            )
            test = f"test_{quality_metric(self._objectives)}"
            what = f"{shown} {test}={_fmt(test[5:], attrs.get(test, float('nan')))}"
        elif state == TrialState.PRUNED and attrs.get("unsupported"):
            what = f"not trained: {attrs['unsupported']}"
        elif state == TrialState.PRUNED and attrs.get("broken_limits"):
            broke = ", ".join(f"{k} (+{v:.0%})" for k, v in attrs["broken_limits"].items())
            what = f"not trained: breaks {broke}"
        elif state == TrialState.PRUNED:
            what = f"stopped early at epoch {attrs['stopped_at_epoch']}"
        else:
            what = attrs["fail_reason"]
        # The same facts as fields, for whoever shows progress (the CLI's live display) and need
        # not parse the message: autonn itself never prints.
        event = {
            "number": number,
            "state": state.name,
            "done": done,
            "total": self._total,
            "done_before": self._done_before,
            "values": dict(zip(self._objectives, values, strict=True)) if values else None,
            "values_text": shown,  # the objectives as the message shows them
            "directions": {o: OBJECTIVES[o] for o in self._objectives},
            "what": what,
        }
        logger.info(
            "[%d/%d] trial %d %s: %s",
            done,
            self._total,
            number,
            state.name,
            what,
            extra={TRIAL_EVENT: event},
        )


def _fmt(objective: str, value: float) -> str:
    if objective in METRICS:
        return METRICS[objective].format(value)
    if objective == "size_bytes":
        return f"{int(value)}B"
    return f"{value:.3f}ms"


class Feasibility:
    """What a search's limits and floor say of a finished trial, on the driver.

    `broken`: the limits a trained trial breaks (stored as `broken_limits`, which keeps it off
    the front). `constraints`: Optuna's form (> 0 where broken; one per limit, by its text, and
    one for the floor), set with `Trial.set_constraint`, so TPE and NSGA-II rank infeasible
    trials below feasible ones and suggest fewer of them as the search goes on.
    """

    def __init__(
        self,
        metric: str,
        limits: tuple[Limit, ...] = (),
        *,
        trivial: float | None = None,
        floor: float = 0.0,
        best: float | None = None,
    ) -> None:
        self.metric = metric
        self.limits = tuple(limits)
        self.trivial = trivial
        self.floor = floor
        self.maximize = OBJECTIVES[metric] == "maximize"
        self.best = best  # the best validation metric of a feasible complete trial so far

    def broken(self, measured: dict) -> dict[str, float]:
        return broken(self.limits, measured)

    def constraints(self, state: str, attrs: dict, values: dict | None) -> dict[str, float]:
        """The trial's constraints by name; empty where nothing is known of them (a trial
        stopped early, or failed), which Optuna counts as feasible."""
        if state == "PRUNED" and attrs.get("broken_limits"):  # refused before training
            known = {k: attrs[k] for k in COSTS_BEFORE_TRAINING if k in attrs}
            out = {limit.text: limit.excess(known.get(limit.name)) or 0.0 for limit in self.limits}
            return {**out, **attrs["broken_limits"]}  # with "tflm runs it" when it cannot
        if state != "COMPLETE" or not values:
            return {}
        measured = {**attrs, **values}
        out = {limit.text: limit.excess(measured.get(limit.name)) or 0.0 for limit in self.limits}
        score = values[self.metric]
        out["floor"] = self._below_floor(score)
        if not attrs.get("broken_limits") and self._better(score):
            self.best = score
        return out

    def _better(self, score: float) -> bool:
        if self.best is None:
            return True
        return score > self.best if self.maximize else score < self.best

    def _below_floor(self, score: float) -> float:
        """How far below the floor `score` is, relative to the gap it had to close; 0 above."""
        if self.trivial is None or self.best is None:
            return 0.0
        from autonn.limits import floor_value

        floor = floor_value(
            self.trivial,
            max(self.best, score) if self.maximize else min(self.best, score),
            self.floor,
        )
        gap = abs(floor - self.trivial) or 1.0
        short = floor - score if self.maximize else score - floor
        return max(0.0, short / gap)
