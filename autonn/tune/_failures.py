"""The failure policy: a trial whose worker process or node dies is run again, up to a limit.

A trial that fails in its own code (NaN loss, a layer pruning cannot handle) reports the reason
and is not retried: running it again would fail the same way. Only the loss of the process or
node, which says nothing about the trial, earns a retry; Tune does the retrying
(`FailureConfig.max_failures`) and this callback counts and reports it.
"""

from __future__ import annotations

import logging

from ray.tune import Callback

from autonn.tune._protocol import TRIAL_KEY

logger = logging.getLogger("autonn.tune")


class RetryLog(Callback):
    """Counts each trial's retries (by Ray trial id) and logs them as they happen."""

    def __init__(self, max_failures: int) -> None:
        self.max_failures = max_failures
        self.retries: dict[str, int] = {}

    def on_trial_recover(self, iteration: int, trials: list, trial, **info) -> None:
        n = self.retries[trial.trial_id] = self.retries.get(trial.trial_id, 0) + 1
        logger.warning(
            "trial %s lost its worker (process or node died); running it again (%d of %d)",
            trial.config.get(TRIAL_KEY, trial.trial_id),
            n,
            self.max_failures,
        )


def worker_lost_reason(retries: int, max_failures: int) -> str:
    tries = retries + 1
    return (
        f"its worker process or node died ({tries} {'try' if tries == 1 else 'tries'}, "
        f"--max-failures {max_failures}); see the Ray logs"
    )
