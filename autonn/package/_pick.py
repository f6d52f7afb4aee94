"""Choosing the trial to export (pure functions: no database, no files).

Picks choose among the COMPLETE trials on the search's Pareto front, by the search's validation
metric (its quality objective: accuracy, rmse, ... with its own direction); the test metric is
only reported, never used to choose, so it stays an honest estimate.

    best                 the best validation metric; ties go to the smaller model
                         (`best-accuracy` is the same pick, under its 0.1 name)
    smallest             fewest deployed bytes; ties go to the better metric
    fastest              lowest latency_ms; ties go to the better metric
    knee                 the balanced point, defined below
    size_bytes<=N        the best-scoring trial whose artifact has at most N bytes
    latency_ms<=X        the best-scoring trial with a latency of at most X ms
    METRIC>=X, METRIC<=X the cheapest trial (size_bytes, else latency_ms) that reaches X, with
                         the comparison of the metric's direction: accuracy>=0.95, rmse<=40

Knee: put every front trial on the plane (q, c) where q is the validation metric (negated when
lower is better) and c the log of the cost (size_bytes if it is an objective, else latency_ms),
each scaled to [0, 1] by the front's minimum and maximum. On a two-objective front the worst and
the best trials sit at (0, 0) and (1, 1); the knee is the trial farthest above the line between
them, i.e. with the largest q - c: the most quality gained for the size it costs. With fewer than
three trials on the front, or none above the line, it is the best-scoring trial.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from autonn.errors import UsageError
from autonn.limits import parse_bytes
from autonn.store import COSTS, TrialRecord, pareto_front
from autonn.task import METRICS, Metric

NAMED_PICKS = ("best", "smallest", "fastest", "knee")
_ALIASES = {"best-accuracy": "best"}  # 0.1's name for `best`
# metric -> the comparison a constraint on it must use (costs have upper bounds; a metric the
# bound on the side its direction improves towards)
CONSTRAINTS = {
    **{m.name: ">=" if m.greater_is_better else "<=" for m in METRICS.values()},
    **{c: "<=" for c in COSTS},
}
# A bound may carry a byte unit, as --limit does: ram_bytes<=64KB.
_CONSTRAINT = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|<|>|=)\s*([0-9eE+._-]+\s*[a-z]*)\s*$")
_SYNTAX = (
    "best, smallest, fastest, knee, or a constraint such as size_bytes<=50000, "
    "accuracy>=0.95, rmse<=40, latency_ms<=0.05"
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
    spec = _ALIASES.get(spec, spec)
    if spec in NAMED_PICKS:
        return Pick(spec)
    match = _CONSTRAINT.match(spec)
    if match is None:
        raise UsageError(f"unknown pick {text!r}; use {_SYNTAX}")
    name, op, raw = match.groups()
    if name not in CONSTRAINTS:
        raise UsageError(
            f"unknown metric {name!r} in pick {text!r}; constraints use {', '.join(CONSTRAINTS)}"
        )
    if op != CONSTRAINTS[name]:
        example = "0.95" if name in METRICS and METRICS[name].fraction else "50000"
        raise UsageError(
            f"pick {text!r}: {name} takes a bound with {CONSTRAINTS[name]!r} "
            f"(e.g. {name}{CONSTRAINTS[name]}{example})"
        )
    try:
        raw = raw.replace("_", "")
        bound = parse_bytes(raw) if name.endswith("_bytes") else float(raw)
    except ValueError:
        raise UsageError(f"pick {text!r}: {raw!r} is not a number") from None
    _check_bound(text, name, bound, raw)
    return Pick("constraint", name, bound)


def _check_bound(text: str, name: str, bound: float, raw: str) -> None:
    negative_ok = name == "r2"  # r2 below 0 is a real (if poor) value
    if not math.isfinite(bound) or (bound < 0 and not negative_ok):
        raise UsageError(f"pick {text!r}: the bound must be a finite number >= 0, but got {raw}")
    if name in METRICS and METRICS[name].fraction and bound > 1:
        raise UsageError(
            f"pick {text!r}: {name} is a fraction between 0 and 1, e.g. {name}>={bound / 100:g}"
        )


def metric(trial: TrialRecord, name: str) -> float | None:
    """A trial's figure: an objective value, else the measurement kept in its attributes."""
    value = trial.values.get(name, trial.attrs.get(name))
    return None if value is None else float(value)


def choose(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    pick: str | Pick = "best",
    *,
    trial: int | None = None,
    search: str = "the search",
    floor: tuple[float, float] | None = None,
) -> tuple[TrialRecord, str]:
    """The trial to export and one line on why it was chosen, from the deployable front (trials
    that keep the search's limits and clear its floor).

    `trial` (a number) overrides `pick`: that trial whatever its rank, as long as it is COMPLETE.
    Raises UsageError when nothing can be chosen, saying why.
    """
    if trial is not None:
        return _numbered(trials, trial, search), f"trial {trial} as asked"
    pick = parse_pick(pick) if isinstance(pick, str) else pick
    front = pareto_front(trials, objectives, floor)
    if not front and any(t.state == "COMPLETE" for t in trials):
        raise UsageError(
            f"{search} has no complete trial that keeps its limits and clears its floor; see "
            "them with `autonn show NAME --all`, or export one by --trial N"
        )
    if not front:
        states = sorted({t.state for t in trials})
        held = f"its {len(trials)} trials are {', '.join(states)}" if trials else "it has no trial"
        raise UsageError(
            f"{search} has no COMPLETE trial to export ({held}); only fully trained trials "
            "have a measured artifact"
        )
    quality = [o for o in objectives if o in METRICS]
    if not quality:
        raise UsageError(
            f"{search} has objectives {tuple(objectives)}, no metric of autonn's: it was not made "
            "by autonn"
        )
    m = METRICS[quality[0]]
    if pick.metric in METRICS and pick.metric != m.name:
        raise UsageError(
            f"pick {pick}: {search} was searched on {m.name}, so a constraint can bound "
            f"{m.name}, size_bytes or latency_ms"
        )
    return _Chooser(front, m, _cost(objectives)).choose(pick)


@dataclass
class _Chooser:
    front: list[TrialRecord]
    m: Metric
    cost: str

    def q(self, t: TrialRecord) -> float:
        """The trial's metric with higher always better."""
        return self.m.signed(float(t.values[self.m.name]))

    def shown(self, t: TrialRecord) -> str:
        return f"{self.m.name} {self.m.format(t.values[self.m.name])}"

    def choose(self, pick: Pick) -> tuple[TrialRecord, str]:
        needs = {"smallest": ["size_bytes"], "fastest": ["latency_ms"], "knee": [self.cost]}.get(
            pick.name, [pick.metric, self.cost] if pick.metric == self.m.name else [pick.metric]
        )
        for name in needs:
            if name is not None:
                _require(self.front, name, pick)
        if pick.name == "best":
            best = max(self.front, key=lambda t: (self.q(t), -_or_inf(t, "size_bytes"), -t.number))
            return best, f"best validation {self.shown(best)} on the Pareto front"
        if pick.name in ("smallest", "fastest"):
            cost = "size_bytes" if pick.name == "smallest" else "latency_ms"
            best = min(self.front, key=lambda t: (metric(t, cost), -self.q(t), t.number))
            if pick.name == "smallest":
                return (
                    best,
                    f"smallest artifact on the Pareto front ({metric(best, cost):.0f} bytes)",
                )
            return best, f"lowest latency on the Pareto front ({metric(best, cost):.4g} ms)"
        if pick.name == "knee":
            return self.knee()
        return self.constrained(pick)

    def knee(self) -> tuple[TrialRecord, str]:
        scores = knee_scores(self.front, self.cost, self.m.name)
        best = max(self.front, key=lambda t: (scores[t.number], self.q(t), -t.number))
        if len(self.front) < 3 or scores[best.number] <= 0:
            best = max(self.front, key=lambda t: (self.q(t), -metric(t, self.cost), -t.number))
            return best, (
                "knee: the front has no point above the line between its extremes, so its "
                f"best-scoring trial ({self.shown(best)})"
            )
        return best, (
            f"knee of the Pareto front: {self.shown(best)} for {metric(best, self.cost):.4g} "
            f"{self.cost}, the farthest point above the line between the extremes (score "
            f"{scores[best.number]:.3f})"
        )

    def constrained(self, pick: Pick) -> tuple[TrialRecord, str]:
        name, bound, cost = pick.metric, pick.bound, self.cost
        if name == self.m.name:
            meets = [t for t in self.front if self.q(t) >= self.m.signed(bound)]
            best_of = lambda ts: min(ts, key=lambda t: (metric(t, cost), -self.q(t), t.number))  # noqa: E731
            closest = max(self.front, key=lambda t: (self.q(t), -t.number))
            goal = f"the smallest {cost}"
        else:
            meets = [t for t in self.front if metric(t, name) <= bound]
            best_of = lambda ts: max(ts, key=lambda t: (self.q(t), -metric(t, name), -t.number))  # noqa: E731
            closest = min(self.front, key=lambda t: (metric(t, name), t.number))
            goal = f"the best validation {self.m.name}"
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


def knee_scores(
    front: Sequence[TrialRecord], cost: str, quality: str = "accuracy"
) -> dict[int, float]:
    """Trial number -> normalised metric minus normalised log-cost (see the module docstring)."""
    q = [METRICS[quality].signed(float(t.values[quality])) for t in front]
    logc = [math.log(max(metric(t, cost), 1e-12)) for t in front]

    def scaled(values: list[float]) -> list[float]:
        low, high = min(values), max(values)
        return [0.0 if high == low else (v - low) / (high - low) for v in values]

    return {t.number: a - c for t, a, c in zip(front, scaled(q), scaled(logc), strict=True)}


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


def _or_inf(t: TrialRecord, name: str) -> float:
    value = metric(t, name)
    return math.inf if value is None else value


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 and value == int(value) else f"{value:.4g}"
