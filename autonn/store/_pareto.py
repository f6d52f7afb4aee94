"""Pareto fronts over stored trials (pure functions: no database, no Optuna). The maths is
autonn.pareto's; this module knows trials: which count, and which way each objective goes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autonn import pareto
from autonn.limits import floor_value
from autonn.store._records import OBJECTIVES, TrialRecord


def minimised(trials: Sequence[TrialRecord], objectives: Sequence[str]) -> np.ndarray:
    """The trials' objective values, one row each, turned so that lower is better."""
    signs = np.array([-1.0 if OBJECTIVES[o] == "maximize" else 1.0 for o in objectives])
    values = np.array([[t.values[o] for o in objectives] for t in trials], dtype=float)
    return values.reshape(len(trials), len(objectives)) * signs


def dominates(a: TrialRecord, b: TrialRecord, objectives: Sequence[str]) -> bool:
    """a is at least as good as b on every objective and better on one."""
    va, vb = minimised([a, b], objectives)
    return pareto.dominates(va, vb)


def pareto_front(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    floor: tuple[float, float] | None = None,
) -> list[TrialRecord]:
    """The non-dominated deployable trials, sorted by the second objective (size, usually).

    Only fully trained trials count: a PRUNED trial's values are those of a half-trained model.
    Nor do trials that break a limit (`broken_limits`), or, given floor = (trivial, share), those
    below the floor (see `deployable`).
    """
    done = deployable(trials, objectives, floor)
    on = pareto.nondominated_mask(minimised(done, objectives))
    front = [t for t, keep in zip(done, on, strict=True) if keep]
    return sorted(front, key=lambda t: tuple(t.values[o] for o in reversed(objectives)))


def deployable(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    floor: tuple[float, float] | None = None,
) -> list[TrialRecord]:
    """COMPLETE trials with every objective, keeping every limit, and, given floor = (trivial,
    share), closing at least `share` of the gap from the trivial predictor's score to the best
    such trial's (see autonn.limits._floor)."""
    done = [
        t
        for t in trials
        if t.state == "COMPLETE" and all(o in t.values for o in objectives) and not t.broken_limits
    ]
    if floor is None or not done:
        return done
    metric = done[0].metric
    if metric not in OBJECTIVES or metric not in objectives:
        return done
    maximize = OBJECTIVES[metric] == "maximize"
    scores = [t.values[metric] for t in done]
    best = max(scores) if maximize else min(scores)
    trivial, share = floor
    bound = floor_value(trivial, best, share)
    # Never above the trivial predictor: a model no better than it is useless at any share.
    keep = (
        (lambda v: v >= bound and v > trivial)
        if maximize
        else (lambda v: v <= bound and v < trivial)
    )
    return [t for t in done if keep(t.values[metric])]
