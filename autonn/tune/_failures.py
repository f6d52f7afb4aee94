"""The failure policy: a trial that fails for want of a resource is run again, up to a limit.

A trial that fails in its own code (NaN loss, a layer pruning cannot handle) reports the reason
and is not retried: running it again would fail the same way. Two failures say nothing about the
configuration and earn a retry (Tune does the retrying, `FailureConfig.max_failures`; the
callback below counts and reports it):
- the worker process or its node dies;
- the GPU runs out of memory. A trial packed beside others on one GPU (--gpus-per-trial 0.25)
  can fail because a neighbour took the memory; the worker reports RESOURCE_FAILED with the reason
  and raises, so Tune starts the trial again in a fresh worker. When its tries run out it is
  stored as FAIL with `resource_failure` set. Optuna's samplers learn only from COMPLETE and
  PRUNED trials, and no constraint is set on a FAIL, so the configuration is not counted bad.
"""

from __future__ import annotations

import logging

from ray.tune import Callback

from autonn.tune._protocol import TIMED_OUT_KEY, TRIAL_KEY

logger = logging.getLogger("autonn.tune")

# A worker's report just before it raises for want of a resource: the one-line reason.
RESOURCE_FAILED = "autonn_resource_failed"


class ResourceFailure(RuntimeError):
    """Raised by a worker whose trial ran out of a resource (GPU memory), so Tune retries it."""


class RetryLog(Callback):
    """Counts each trial's retries (by Ray trial id), logs them as they happen, and keeps the
    resource a trial last ran out of, for the reason stored when its tries run out."""

    def __init__(self, max_failures: int) -> None:
        self.max_failures = max_failures
        self.retries: dict[str, int] = {}
        self.resource: dict[str, str] = {}  # Ray trial id -> the reason of its current try

    def on_trial_result(self, iteration: int, trials: list, trial, result: dict, **info) -> None:
        if RESOURCE_FAILED in result:
            self.resource[trial.trial_id] = result[RESOURCE_FAILED]

    def on_trial_recover(self, iteration: int, trials: list, trial, **info) -> None:
        if TIMED_OUT_KEY in trial.config:  # --trial-timeout killed it; the watchdog said so
            return
        n = self.retries[trial.trial_id] = self.retries.get(trial.trial_id, 0) + 1
        what = self.resource.pop(trial.trial_id, None)  # the next try starts with a clean slate
        logger.warning(
            "trial %s %s; running it again (%d of %d)",
            trial.config.get(TRIAL_KEY, trial.trial_id),
            what or "lost its worker (process or node died)",
            n,
            self.max_failures,
        )

    def failure(self, trial_id: str) -> dict:
        """The attributes of a trial whose last try errored (Tune gives no result then)."""
        retries = self.retries.get(trial_id, 0)
        resource = self.resource.pop(trial_id, None)
        if resource is None:
            return {"fail_reason": worker_lost_reason(retries, self.max_failures)}
        return {
            "fail_reason": f"{resource} ({_tries(retries, self.max_failures)}); a resource "
            "failure, not this configuration's: try fewer trials per GPU or a smaller batch",
            "resource_failure": True,
        }


def worker_lost_reason(retries: int, max_failures: int) -> str:
    return f"its worker process or node died ({_tries(retries, max_failures)}); see the Ray logs"


def _tries(retries: int, max_failures: int) -> str:
    tries = retries + 1
    return f"{tries} {'try' if tries == 1 else 'tries'}, --max-failures {max_failures}"
