"""Early stopping: which scheduler a search uses, where its rungs sit, and what it ranks on.

moasha (the default) ranks the trials at a rung on the validation metric and the size the trial
will ship, so a small model that is behind at epoch 5 but belongs on the final front goes on.
asha ranks on the metric alone, fifo stops nothing. Both rankers are autonn's MOASHA, on Ray
Tune's public scheduler interface; asha is MOASHA with one objective.
"""

from __future__ import annotations

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from autonn.store import COSTS_BEFORE_TRAINING
from autonn.tune._moasha import MIN_PEERS, MOASHA


def ranked_objectives(kind: str, metric: str, direction: str, objectives) -> dict[str, str]:
    """What the scheduler compares at a rung. Latency is measured on the finished artifact
    only, so it cannot rank a half-trained trial; size, flash, RAM and MACs are known from the
    trial's start."""
    ranked = {metric: "max" if direction == "maximize" else "min"}
    if kind == "moasha":
        ranked.update({o: "min" for o in objectives if o in COSTS_BEFORE_TRAINING})
    return ranked


def make_scheduler(
    kind: str,
    max_epochs: int,
    metric: str,
    direction: str,
    objectives=(),
    *,
    limits=(),
    floor: tuple[float, float] | None = None,
) -> TrialScheduler:
    """Rungs at a quarter and a half of the epoch budget; the better half goes on at each.

    The rungs stay below the last epoch, so a trial that trains to the end is never stopped
    just before its final, measured report. limits on the metric and the floor (trivial, share)
    rank a trial that breaks them below the feasible ones at each rung (limits on costs are
    checked before training, so they never reach a rung).
    """
    if kind == "fifo" or max_epochs < 3:
        return FIFOScheduler()
    grace = max(1, max_epochs // 4)
    return MOASHA(
        objectives=ranked_objectives(kind, metric, direction, objectives),
        rungs=(grace, 2 * grace),
        reduction_factor=2,
        min_peers=MIN_PEERS,
        limits=tuple(limit for limit in limits if limit.name == metric),
        floor=floor,
        horizon=max_epochs,
    )


def rung_epochs(scheduler: TrialScheduler) -> tuple[int, ...]:
    """The epochs at which the scheduler decides; trials report only then.

    Every report is a round trip through the driver, which shares the CPUs with the trials: on
    a 2-core machine, reporting all 15 epochs of each trial cost more than the decisions need.
    """
    return scheduler.rungs if isinstance(scheduler, MOASHA) else ()


def ranked_costs(scheduler: TrialScheduler) -> tuple[str, ...]:
    """The costs known before training that trials must send with each rung report."""
    if not isinstance(scheduler, MOASHA):
        return ()
    return tuple(o for o in scheduler.objectives if o in COSTS_BEFORE_TRAINING)
