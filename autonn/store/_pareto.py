"""Pareto fronts over stored trials (pure functions: no database, no Optuna)."""

from __future__ import annotations

from collections.abc import Sequence

from autonn.store._records import OBJECTIVES, TrialRecord


def dominates(a: TrialRecord, b: TrialRecord, objectives: Sequence[str]) -> bool:
    """a is at least as good as b on every objective and better on one."""
    better = False
    for name in objectives:
        sign = 1.0 if OBJECTIVES[name] == "maximize" else -1.0
        va, vb = sign * a.values[name], sign * b.values[name]
        if va < vb:
            return False
        better = better or va > vb
    return better


def pareto_front(trials: Sequence[TrialRecord], objectives: Sequence[str]) -> list[TrialRecord]:
    """The non-dominated COMPLETE trials, sorted by the second objective (size, usually).

    Only fully trained trials count: a PRUNED trial's values are those of a half-trained model.
    """
    done = [t for t in trials if t.state == "COMPLETE" and all(o in t.values for o in objectives)]
    front = [t for t in done if not any(dominates(o, t, objectives) for o in done)]
    return sorted(front, key=lambda t: tuple(t.values[o] for o in reversed(objectives)))
