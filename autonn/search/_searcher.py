"""The driver-side searcher: Optuna chooses trials, and this is the only writer of trial records."""

from __future__ import annotations

import json
import logging
from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search.optuna import OptunaSearch

from autonn.search._failures import RetryLog, worker_lost_reason
from autonn.search._protocol import ATTRS, CURVE, EPOCH, FAILED, FINAL, TRIAL_EVENT, TRIAL_KEY
from autonn.space import SearchSpace
from autonn.store import OBJECTIVES, quality_metric
from autonn.task import METRICS

logger = logging.getLogger("autonn.search")


class AutonnSearcher(OptunaSearch):
    """OptunaSearch that stores what a trial really was.

    Ray's OptunaSearch tells a trial the scheduler stopped as COMPLETE with its half-trained
    values, which would put unfinished models on the Pareto front and mislead the sampler. Here a
    trial is COMPLETE only when its worker sent the final, measured report; a stopped trial is
    PRUNED (with the epoch it reached) and a failed one FAIL (with the reason).
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
    ) -> None:
        self._autonn_space = space
        self._objectives = objectives
        self._total = total
        self._done_before = done  # trials a resumed search already holds, for the progress count
        self._retries = retries or RetryLog(max_failures=0)
        self.finished: dict[str, int] = {}  # state name -> count, for progress and the summary
        super().__init__(
            space=self._define_by_run,
            metric=list(objectives),
            mode=["max" if OBJECTIVES[o] == "maximize" else "min" for o in objectives],
            sampler=sampler,
            storage=storage,
            study_name=study_name,
        )

    def _define_by_run(self, trial: optuna.Trial) -> None:
        self._autonn_space.sample(trial)  # checks the space; its config is rebuilt on the worker

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        params = super().suggest(trial_id)
        if params is None:
            return None
        return {**params, TRIAL_KEY: self._ot_trials[trial_id].number}

    def on_trial_complete(
        self, trial_id: str, result: dict | None = None, error: bool = False
    ) -> None:
        if trial_id in self._completed_trials or trial_id not in self._ot_trials:
            return
        result = result or {}
        trial = self._ot_trials[trial_id]
        attrs = json.loads(result.get(ATTRS, "{}"))
        attrs.update(ray_trial_id=trial_id, node=result.get("hostname"))
        retries = self._retries.retries.get(trial_id, 0)
        if retries:
            attrs["retries"] = retries
        values = None
        if error or FAILED in result:
            state = TrialState.FAIL
            lost = worker_lost_reason(retries, self._retries.max_failures)
            attrs["fail_reason"] = result.get(FAILED, lost)
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
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
        self._ot_study.tell(trial, values, state=state)
        self._completed_trials.add(trial_id)
        self.finished[state.name] = self.finished.get(state.name, 0) + 1
        self._log(trial.number, state, values, attrs)

    def fail_unfinished(self, reason: str) -> None:
        """Close trials left RUNNING (the search was interrupted) so none stays open forever."""
        for trial_id in list(self._ot_trials):
            if trial_id not in self._completed_trials:
                self._ot_trials[trial_id].set_user_attr("fail_reason", reason)
                self._ot_study.tell(self._ot_trials[trial_id], state=TrialState.FAIL)
                self._completed_trials.add(trial_id)

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
