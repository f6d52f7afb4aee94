"""Early stopping: ASHA on the validation metric (its name and direction from the search), made
patient for small searches."""

from __future__ import annotations

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler

# ASHA compares a trial with those that already reached the same rung. With one or two peers
# that comparison is mostly noise (the first trial sets the bar for all that follow), which in a
# 20-trial search stops nearly everything. So a trial is only stopped once this many trials have
# reported at its rung.
MIN_PEERS = 4


class PatientASHA(ASHAScheduler):
    """ASHA that stops a trial only when its rung holds at least `min_peers` results."""

    def __init__(self, *, min_peers: int = MIN_PEERS, **kwargs) -> None:
        super().__init__(**kwargs)
        self._min_peers = min_peers

    def remember(self, curves: list[list[float]]) -> None:
        """Put stored trials' curves on the rungs, so a resumed search stops trials as before.

        A curve holds the validation metric per epoch, the value a trial reports at a rung.
        """
        for n, curve in enumerate(curves):
            for bracket in self._brackets:
                for milestone, recorded in bracket._rungs:
                    if len(curve) >= milestone:
                        recorded[f"stored-{n}"] = curve[int(milestone) - 1]

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        bracket = self._trial_info.get(trial.trial_id)
        action = super().on_trial_result(tune_controller, trial, result)
        if action == TrialScheduler.STOP and bracket is not None:
            # Rungs are (milestone, {trial_id: reward}) from the highest milestone down.
            reached = [r for m, r in bracket._rungs if result.get(self._time_attr, 0) >= m]
            if reached and len(reached[0]) < self._min_peers:
                self._num_stopped -= 1
                return TrialScheduler.CONTINUE
        return action


def rung_epochs(scheduler: TrialScheduler) -> tuple[int, ...]:
    """The epochs at which the scheduler decides; trials report only then.

    Every report is a round trip through the driver, which shares the CPUs with the trials: on
    a 2-core machine, reporting all 15 epochs of each trial cost more than the decisions need.
    """
    if not isinstance(scheduler, ASHAScheduler):
        return ()
    return tuple(sorted(int(m) for m, _ in scheduler._brackets[0]._rungs))


def make_scheduler(
    max_epochs: int, early_stop: bool, metric: str = "accuracy", direction: str = "maximize"
) -> TrialScheduler:
    """Rungs at a quarter and a half of the epoch budget; the bottom half stops at each."""
    if not early_stop or max_epochs < 3:
        return FIFOScheduler()
    grace = max(1, max_epochs // 4)
    # The rungs stay below the last epoch and stop_last_trials=False, so a trial that trains to
    # the end is never stopped just before its final, measured report.
    return PatientASHA(
        time_attr="epoch",
        metric=metric,
        mode="max" if direction == "maximize" else "min",
        grace_period=grace,
        # Ray puts rungs at grace * 2**k up to max_t: exactly two with max_t = 2 * grace.
        max_t=2 * grace,
        reduction_factor=2,
        stop_last_trials=False,
    )
