"""Choosing the trial to export (pure functions: no database, no files).

Picks choose among the COMPLETE trials on the search's Pareto front, by validation accuracy (the
search objective); test accuracy is only reported, never used to choose, so it stays an honest
estimate.

    best-accuracy        highest validation accuracy; ties go to the smaller model
    smallest             fewest deployed bytes; ties go to the more accurate model
    fastest              lowest latency_ms; ties go to the more accurate model
    knee                 the balanced point, defined below
    size_bytes<=N        the most accurate trial whose artifact has at most N bytes
    latency_ms<=X        the most accurate trial with a latency of at most X ms
    accuracy>=X          the cheapest trial (size_bytes, else latency_ms) with accuracy >= X

Knee: put every front trial on the plane (a, c) where a is validation accuracy and c the log of the
cost (size_bytes if it is an objective, else latency_ms), each scaled to [0, 1] by the front's
minimum and maximum. On a two-objective front the least and the most accurate trials sit at (0, 0)
and (1, 1); the knee is the trial farthest above the line between them, i.e. with the largest
a - c: the most accuracy gained for the size it costs. With fewer than three trials on the front,
or none above the line, it is the most accurate trial.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from autonn.errors import UsageError
from autonn.store import TrialRecord, pareto_front

NAMED_PICKS = ("best-accuracy", "smallest", "fastest", "knee")
# metric -> the comparison a constraint on it must use (costs have upper bounds, accuracy a lower)
CONSTRAINTS = {"size_bytes": "<=", "latency_ms": "<=", "accuracy": ">="}
_CONSTRAINT = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|<|>|=)\s*([0-9eE+._-]+)\s*$")
_SYNTAX = (
    "best-accuracy, smallest, fastest, knee, or a constraint such as size_bytes<=50000, "
    "accuracy>=0.95, latency_ms<=0.05"
)


@dataclass(frozen=True)
class Pick:
    """A parsed pick: a named one (`metric` None) or a constraint `metric op bound`."""

    name: str
    metric: str | None = None
    bound: float | None = None

    def __str__(self) -> str:
        if self.metric is None:
            return self.name
        return f"{self.metric}{CONSTRAINTS[self.metric]}{self.bound:g}"


def parse_pick(text: str) -> Pick:
    """`text` as a Pick; a UsageError naming the accepted forms when it is none of them."""
    spec = text.strip().lower()
    if spec in NAMED_PICKS:
        return Pick(spec)
    match = _CONSTRAINT.match(spec)
    if match is None:
        raise UsageError(f"unknown pick {text!r}; use {_SYNTAX}")
    metric, op, raw = match.groups()
    if metric not in CONSTRAINTS:
        raise UsageError(
            f"unknown metric {metric!r} in pick {text!r}; constraints use {', '.join(CONSTRAINTS)}"
        )
    if op != CONSTRAINTS[metric]:
        raise UsageError(
            f"pick {text!r}: {metric} takes a bound with {CONSTRAINTS[metric]!r} "
            f"(e.g. {metric}{CONSTRAINTS[metric]}{'0.95' if metric == 'accuracy' else '50000'})"
        )
    try:
        bound = float(raw.replace("_", ""))
    except ValueError:
        raise UsageError(f"pick {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(bound) or bound < 0:
        raise UsageError(f"pick {text!r}: the bound must be a finite number >= 0, but got {raw}")
    if metric == "accuracy" and bound > 1:
        raise UsageError(
            f"pick {text!r}: accuracy is a fraction between 0 and 1, e.g. accuracy>={bound / 100:g}"
        )
    return Pick("constraint", metric, bound)


def metric(trial: TrialRecord, name: str) -> float | None:
    """A trial's figure: an objective value, else the measurement kept in its attributes."""
    value = trial.values.get(name, trial.attrs.get(name))
    return None if value is None else float(value)


def choose(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    pick: str | Pick = "best-accuracy",
    *,
    trial: int | None = None,
    search: str = "the search",
) -> tuple[TrialRecord, str]:
    """The trial to export and one line on why it was chosen.

    `trial` (a number) overrides `pick`: that trial whatever its rank, as long as it is COMPLETE.
    Raises UsageError when nothing can be chosen, saying why.
    """
    if trial is not None:
        return _numbered(trials, trial, search), f"trial {trial} as asked"
    pick = parse_pick(pick) if isinstance(pick, str) else pick
    front = pareto_front(trials, objectives)
    if not front:
        states = sorted({t.state for t in trials})
        held = f"its {len(trials)} trials are {', '.join(states)}" if trials else "it has no trial"
        raise UsageError(
            f"{search} has no COMPLETE trial to export ({held}); only fully trained trials "
            "have a measured artifact"
        )
    if "accuracy" not in objectives:
        raise UsageError(
            f"{search} has objectives {tuple(objectives)}, not accuracy: it was not made by autonn"
        )
    cost = _cost(objectives)
    needs = {"smallest": ["size_bytes"], "fastest": ["latency_ms"], "knee": [cost]}.get(
        pick.name, [pick.metric, cost] if pick.metric == "accuracy" else [pick.metric]
    )
    for name in needs:
        if name is not None:
            _require(front, name, pick)
    if pick.name == "best-accuracy":
        best = max(front, key=lambda t: (_acc(t), -_or_inf(t, "size_bytes"), -t.number))
        return best, f"highest validation accuracy on the Pareto front ({_acc(best):.4f})"
    if pick.name == "smallest":
        best = min(front, key=lambda t: (metric(t, "size_bytes"), -_acc(t), t.number))
        return (
            best,
            f"smallest artifact on the Pareto front ({metric(best, 'size_bytes'):.0f} bytes)",
        )
    if pick.name == "fastest":
        best = min(front, key=lambda t: (metric(t, "latency_ms"), -_acc(t), t.number))
        return best, f"lowest latency on the Pareto front ({metric(best, 'latency_ms'):.4g} ms)"
    if pick.name == "knee":
        return _knee(front, cost)
    return _constrained(front, pick, cost)


def knee_scores(front: Sequence[TrialRecord], cost: str) -> dict[int, float]:
    """Trial number -> normalised accuracy minus normalised log-cost (see the module docstring)."""
    acc = [_acc(t) for t in front]
    logc = [math.log(max(metric(t, cost), 1e-12)) for t in front]

    def scaled(values: list[float]) -> list[float]:
        low, high = min(values), max(values)
        return [0.0 if high == low else (v - low) / (high - low) for v in values]

    return {t.number: a - c for t, a, c in zip(front, scaled(acc), scaled(logc), strict=True)}


def _knee(front: list[TrialRecord], cost: str) -> tuple[TrialRecord, str]:
    scores = knee_scores(front, cost)
    best = max(front, key=lambda t: (scores[t.number], _acc(t), -t.number))
    if len(front) < 3 or scores[best.number] <= 0:
        best = max(front, key=lambda t: (_acc(t), -metric(t, cost), -t.number))
        return best, (
            f"knee: the front has no point above the line between its extremes, so its most "
            f"accurate trial ({_acc(best):.4f})"
        )
    return best, (
        f"knee of the Pareto front: accuracy {_acc(best):.4f} for {metric(best, cost):.4g} "
        f"{cost}, the farthest point above the line between the extremes (score "
        f"{scores[best.number]:.3f})"
    )


def _constrained(front: list[TrialRecord], pick: Pick, cost: str) -> tuple[TrialRecord, str]:
    name, bound = pick.metric, pick.bound
    if name == "accuracy":
        meets = [t for t in front if _acc(t) >= bound]
        best_of = lambda ts: min(ts, key=lambda t: (metric(t, cost), -_acc(t), t.number))  # noqa: E731
        closest = max(front, key=lambda t: (_acc(t), -t.number))
        goal = f"the smallest {cost}"
    else:
        meets = [t for t in front if metric(t, name) <= bound]
        best_of = lambda ts: max(ts, key=lambda t: (_acc(t), -metric(t, name), -t.number))  # noqa: E731
        closest = min(front, key=lambda t: (metric(t, name), t.number))
        goal = "the highest validation accuracy"
    if not meets:
        raise UsageError(
            f"no COMPLETE trial on the Pareto front meets {pick}; the closest is trial "
            f"{closest.number} with {name}={_fmt(metric(closest, name))}"
        )
    best = best_of(meets)
    return best, (
        f"{goal} among the {len(meets)} front trial(s) with {pick} "
        f"({name}={_fmt(metric(best, name))})"
    )


def _numbered(trials: Sequence[TrialRecord], number: int, search: str) -> TrialRecord:
    found = [t for t in trials if t.number == number]
    if not found:
        numbers = sorted(t.number for t in trials)
        have = f"trials {numbers[0]}..{numbers[-1]}" if numbers else "no trial"
        raise UsageError(f"{search} has no trial {number} (it has {have})")
    chosen = found[0]
    if chosen.state != "COMPLETE":
        complete = [t.number for t in trials if t.state == "COMPLETE"]
        raise UsageError(
            f"trial {number} of {search} is {chosen.state}, not COMPLETE: only fully trained "
            f"trials have a measured artifact (COMPLETE trials: {complete or 'none'})"
        )
    return chosen


def _require(front: Sequence[TrialRecord], name: str, pick: Pick) -> None:
    missing = [t.number for t in front if metric(t, name) is None]
    if missing:
        raise UsageError(f"pick {pick}: trials {missing} have no {name} recorded")


def _cost(objectives: Sequence[str]) -> str:
    if "size_bytes" in objectives or "latency_ms" not in objectives:
        return "size_bytes"
    return "latency_ms"


def _acc(t: TrialRecord) -> float:
    return float(t.values["accuracy"])


def _or_inf(t: TrialRecord, name: str) -> float:
    value = metric(t, name)
    return math.inf if value is None else value


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 and value == int(value) else f"{value:.4g}"
