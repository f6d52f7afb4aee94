"""Multi-objective early stopping: asynchronous successive halving on Pareto ranks (MO-ASHA).

Accuracy-only ASHA stops exactly the small models a search for the accuracy-vs-size front needs:
at the first rung a 500-parameter model is behind a 50,000-parameter one, yet it may end on the
front. MO-ASHA ranks the trials at a rung by non-dominated sorting over every objective, ties
within a front broken by crowding distance, and lets the top 1/reduction_factor go on
(Salinas et al., "A multi-objective perspective on jointly tuning hardware and hyperparameters",
2021; Syne Tune's `MOASHA` sparsifies a front with an epsilon-net instead of crowding distance).

Only Ray Tune's public `TrialScheduler` interface is used: the scheduler keeps its own rungs and
looks at nothing of a trial but its `trial_id` and `status`.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

from ray.tune.experiment import Trial
from ray.tune.schedulers import TrialScheduler

from autonn.limits import floor_value

logger = logging.getLogger("autonn.tune")

DIRECTIONS = ("min", "max")
# A trial is stopped only once its rung holds this many results, its own included: with one or
# two peers the comparison is mostly noise, which in a 20-trial search stops nearly everything.
MIN_PEERS = 4

Vector = tuple[float, ...]  # one trial's objectives, each turned so that lower is better


# ----------------------------------------------------------------------------------------------
# Pure ranking functions. Points are sequences of floats, all objectives to be minimised.


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether `a` is at least as good as `b` in every objective and better in one (minimising)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def nondominated_fronts(points: Sequence[Sequence[float]]) -> list[list[int]]:
    """Indices of `points` split into Pareto fronts, best first (Deb's fast non-dominated sort).

    Front 0 holds the points no other point dominates, front 1 those dominated only by front 0,
    and so on. Equal points share a front. O(n^2 * objectives), plenty for a rung's few dozen.
    """
    n = len(points)
    beaten_by = [0] * n  # how many points dominate i
    beats: list[list[int]] = [[] for _ in range(n)]  # the points i dominates
    for i in range(n):
        for j in range(i + 1, n):
            if dominates(points[i], points[j]):
                beats[i].append(j)
                beaten_by[j] += 1
            elif dominates(points[j], points[i]):
                beats[j].append(i)
                beaten_by[i] += 1
    fronts = []
    front = [i for i in range(n) if beaten_by[i] == 0]
    while front:
        fronts.append(front)
        following = []
        for i in front:
            for j in beats[i]:
                beaten_by[j] -= 1
                if beaten_by[j] == 0:
                    following.append(j)
        front = sorted(following)
    return fronts


def crowding_distances(points: Sequence[Sequence[float]]) -> list[float]:
    """NSGA-II crowding distance of each point within one front: larger is lonelier, so better.

    Per objective, a point adds the gap between its two neighbours, divided by the objective's
    range in the front; the points at either end of a range get infinity, so the extremes of a
    front (the most accurate, the smallest) are always kept. An objective on which all points are
    equal says nothing about spread and adds nothing.
    """
    n = len(points)
    if n == 0:
        return []
    distance = [0.0] * n
    for k in range(len(points[0])):
        order = sorted(range(n), key=lambda i: points[i][k])
        low, high = points[order[0]][k], points[order[-1]][k]
        if high == low:
            continue
        distance[order[0]] = distance[order[-1]] = math.inf
        for before, i, after in zip(order, order[1:], order[2:], strict=False):
            distance[i] += (points[after][k] - points[before][k]) / (high - low)
    return distance


def pareto_order(
    points: Sequence[Sequence[float] | None], violations: Sequence[float] | None = None
) -> list[tuple[float, float, float]]:
    """A sort key per point, lower is better: (violation, front, -crowding distance).

    Constrained domination (Deb): a point that breaks a limit (violation > 0) ranks after every
    feasible one, and infeasible points rank by how far they break them. A point that is None (an
    objective missing or not finite) ranks after every complete one of its kind.
    """
    violations = violations or [0.0] * len(points)
    keys: list[tuple[float, float, float]] = [(v, math.inf, 0.0) for v in violations]
    feasible = [i for i, p in enumerate(points) if p is not None and violations[i] <= 0]
    for rank, front in enumerate(nondominated_fronts([points[i] for i in feasible])):
        members = [feasible[i] for i in front]
        crowding = crowding_distances([points[i] for i in members])
        for i, c in zip(members, crowding, strict=True):
            keys[i] = (0.0, float(rank), -c)
    return keys


def survives(
    points: Sequence[Sequence[float] | None],
    index: int,
    keep: int,
    violations: Sequence[float] | None = None,
) -> bool:
    """Whether point `index` is among the best `keep` of `points` by `pareto_order`.

    Ties go the point's way: it is out only if `keep` or more points rank strictly better (as
    ASHA stops a trial only when it is strictly below the cutoff).
    """
    keys = pareto_order(points, violations)
    return sum(key < keys[index] for key in keys) < keep


# ----------------------------------------------------------------------------------------------


class MOASHA(TrialScheduler):
    """Asynchronous successive halving that ranks trials on all objectives at once.

    objectives: name -> "min" or "max", e.g. {"accuracy": "max", "size_bytes": "min"}; each name
        is a key of the results trials report at the rungs.
    time_attr: the result key that counts progress (autonn reports "epoch").
    rungs: the values of `time_attr` at which trials are compared, each trial at most once per
        rung. Keep them below the last epoch, so that the last report is never judged.
    reduction_factor: at a rung holding n results, the best ceil(n / reduction_factor) go on.
    min_peers: no trial is stopped at a rung holding fewer results than this, its own included.
    limits: autonn.limits.Limit objects on result keys (the metric, costs reported at rungs): a
        result that breaks one ranks below every feasible one at its rung.
    floor: (trivial, share) for the first objective: a result that closes less than `share` of
        the gap from `trivial` to the best feasible result at its rung ranks as infeasible too.
    horizon: the `time_attr` of a fully trained trial. At rung r the floor's share is scaled by
        r / horizon: a model that will clear the floor at the end need not clear it after a
        quarter of its training (a small model is often behind early), but one that has not
        closed even that share of the gap is unlikely to.

    A result is compared at the highest rung it has reached and the trial has no result at yet;
    every such result is recorded there, stopped or not, as ASHA does. A result that lacks an
    objective, or has a NaN or infinite one, ranks last. A result marked `done` is recorded but
    never stopped.
    """

    def __init__(
        self,
        *,
        objectives: Mapping[str, str],
        time_attr: str = "epoch",
        rungs: Iterable[int],
        reduction_factor: float = 2,
        min_peers: int = MIN_PEERS,
        limits: Sequence = (),
        floor: tuple[float, float] | None = None,
        horizon: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(objectives, Mapping) or not objectives:
            raise ValueError(
                f"`objectives` must map at least one result name to 'min' or 'max', "
                f"but got {objectives=}."
            )
        for name, direction in objectives.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"objective names must be non-empty strings, but got {name!r}.")
            if direction not in DIRECTIONS:
                raise ValueError(
                    f"the direction of objective {name!r} must be one of {DIRECTIONS}, "
                    f"but got {direction!r}."
                )
        if not isinstance(time_attr, str) or not time_attr:
            raise ValueError(f"`time_attr` must be a non-empty string, but got {time_attr=}.")
        if time_attr in objectives:
            raise ValueError(f"`time_attr` must not be an objective, but got {time_attr=}.")
        rungs = tuple(rungs)
        if (
            not rungs
            or any(
                isinstance(r, bool) or not isinstance(r, numbers.Integral) or r < 1 for r in rungs
            )
            or len(set(rungs)) != len(rungs)
        ):
            raise ValueError(
                f"`rungs` must be distinct integers >= 1, at least one, but got {rungs=}."
            )
        if isinstance(reduction_factor, bool) or not (
            isinstance(reduction_factor, numbers.Real) and 1 < reduction_factor < math.inf
        ):
            raise ValueError(f"`reduction_factor > 1` must hold, but got {reduction_factor=}.")
        if (
            isinstance(min_peers, bool)
            or not isinstance(min_peers, numbers.Integral)
            or min_peers < 1
        ):
            raise ValueError(f"`min_peers` must be an integer >= 1, but got {min_peers=}.")
        self._objectives = dict(objectives)
        self._sign = {name: (1.0 if d == "min" else -1.0) for name, d in objectives.items()}
        self._time_attr = time_attr
        self._rungs = tuple(sorted(int(r) for r in rungs))
        self._reduction_factor = reduction_factor
        self._min_peers = int(min_peers)
        # rung -> {trial id: vector, or None when an objective was missing or not finite}
        self._recorded: dict[int, dict[str, Vector | None]] = {r: {} for r in self._rungs}
        self._limits = tuple(limits)
        self._floor = floor
        self._horizon = horizon
        # rung -> {trial id: the values its limits and floor are checked on}
        self._checked: dict[int, dict[str, dict]] = {r: {} for r in self._rungs}
        self._num_stopped = 0
        self._num_remembered = 0

    # -- what the search reads ----------------------------------------------------------------

    @property
    def objectives(self) -> dict[str, str]:
        return dict(self._objectives)

    @property
    def rungs(self) -> tuple[int, ...]:
        """The values of `time_attr` at which trials are compared, ascending; trials report
        only then."""
        return self._rungs

    @property
    def num_stopped(self) -> int:
        return self._num_stopped

    def peers(self, rung: int) -> int:
        """How many results rung `rung` holds (stored trials' included)."""
        return len(self._recorded[self._check_rung(rung)])

    def remember(self, vectors_by_rung: Mapping[int, Iterable[Mapping[str, float]]]) -> None:
        """Put stored trials' results on the rungs, so a resumed search stops trials as before.

        vectors_by_rung: rung -> the objective values ({name: value}) each stored trial had when
        it reached that rung. A stored trial that stopped early appears at the rungs it reached.
        """
        for rung, vectors in vectors_by_rung.items():
            recorded = self._recorded[self._check_rung(rung)]
            for values in vectors:
                self._num_remembered += 1
                key = f"stored-{self._num_remembered}"
                recorded[key] = self._vector(values)
                self._checked[rung][key] = self._check_values(values)

    # -- Ray Tune's TrialScheduler interface ----------------------------------------------------

    @property
    def supports_buffered_results(self) -> bool:
        # Each rung report must reach the scheduler on its own, as for Ray's HyperBand: Tune then
        # keeps TUNE_RESULT_BUFFER_LENGTH at 1.
        return False

    def set_search_properties(self, metric: str | None, mode: str | None, **spec) -> bool:
        # The objectives are given to the constructor; a metric and mode from TuneConfig are
        # accepted only if they agree with them, as a scheduler built with its own metric does.
        if metric is None and mode is None:
            return True
        return metric in self._objectives and mode in (None, self._objectives[metric])

    def on_trial_add(self, tune_controller, trial: Trial) -> None:
        pass

    def on_trial_result(self, tune_controller, trial: Trial, result: dict) -> str:
        rung = self._rung_for(trial.trial_id, result)
        if rung is None:
            return TrialScheduler.CONTINUE
        recorded = self._recorded[rung]
        recorded[trial.trial_id] = self._vector(result)
        self._checked[rung][trial.trial_id] = self._check_values(result)
        if result.get("done") or len(recorded) < self._min_peers:
            return TrialScheduler.CONTINUE
        ids = list(recorded)
        keep = math.ceil(len(ids) / self._reduction_factor)
        violations = self._violations(rung, ids)
        if survives([recorded[i] for i in ids], ids.index(trial.trial_id), keep, violations):
            return TrialScheduler.CONTINUE
        self._num_stopped += 1
        logger.debug(
            "MOASHA stops trial %s at %s %s: not in the best %d of %d",
            trial.trial_id,
            self._time_attr,
            rung,
            keep,
            len(ids),
        )
        return TrialScheduler.STOP

    def on_trial_complete(self, tune_controller, trial: Trial, result: dict | None) -> None:
        # A last result at a rung the trial had not reported at still informs later trials.
        rung = self._rung_for(trial.trial_id, result or {})
        if rung is not None:
            self._recorded[rung][trial.trial_id] = self._vector(result)
            self._checked[rung][trial.trial_id] = self._check_values(result)

    def on_trial_error(self, tune_controller, trial: Trial) -> None:
        pass  # what it recorded stays: its results were real

    def on_trial_remove(self, tune_controller, trial: Trial) -> None:
        pass

    def choose_trial_to_run(self, tune_controller) -> Trial | None:
        # As Ray's FIFOScheduler: pending trials in the order they came, then paused ones.
        trials = tune_controller.get_trials()
        for status in (Trial.PENDING, Trial.PAUSED):
            for trial in trials:
                if trial.status == status:
                    return trial
        return None

    def debug_string(self) -> str:
        objectives = ", ".join(f"{n} ({d})" for n, d in self._objectives.items())
        rungs = ", ".join(f"{self._time_attr} {r}: {len(self._recorded[r])}" for r in self._rungs)
        return (
            f"Using MOASHA on {objectives}: num_stopped={self._num_stopped}; "
            f"results per rung: {rungs}"
        )

    def save(self, checkpoint_path: str) -> None:
        state = {str(r): {t: v for t, v in rec.items()} for r, rec in self._recorded.items()}
        with open(checkpoint_path, "w") as f:
            json.dump(
                {
                    "recorded": state,
                    "num_stopped": self._num_stopped,
                    "num_remembered": self._num_remembered,
                    "checked": {str(r): c for r, c in self._checked.items()},
                },
                f,
            )

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path) as f:
            state = json.load(f)
        for rung, recorded in state["recorded"].items():
            self._recorded[self._check_rung(int(rung))] = {
                t: None if v is None else tuple(v) for t, v in recorded.items()
            }
        self._num_stopped = state["num_stopped"]
        self._num_remembered = state["num_remembered"]
        for rung, checked in state.get("checked", {}).items():
            self._checked[self._check_rung(int(rung))] = checked

    # -- helpers ----------------------------------------------------------------------------------

    def _check_rung(self, rung: int) -> int:
        if rung not in self._recorded:
            raise ValueError(f"`rung` must be one of {self._rungs}, but got {rung=}.")
        return rung

    def _rung_for(self, trial_id: str, result: Mapping) -> int | None:
        """The highest rung `result` has reached, if the trial has no result there yet."""
        progress = result.get(self._time_attr)
        if progress is None:
            return None  # a report without progress (the final measurement, a failure)
        reached = [r for r in self._rungs if progress >= r]
        if not reached or trial_id in self._recorded[reached[-1]]:
            return None
        return reached[-1]

    def _check_values(self, values: Mapping) -> dict[str, float]:
        names = {limit.name for limit in self._limits} | {next(iter(self._objectives))}
        out = {}
        for name in names:
            try:
                out[name] = float(values[name])
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def _violations(self, rung: int, ids: list[str]) -> list[float]:
        """How far each result at `rung` breaks the limits and the floor; 0 for feasible ones."""
        if not self._limits and self._floor is None:
            return [0.0] * len(ids)
        checked = [self._checked[rung].get(i, {}) for i in ids]
        out = [
            sum(limit.excess(c.get(limit.name)) or 0.0 for limit in self._limits) for c in checked
        ]
        if self._floor is not None:
            metric = next(iter(self._objectives))
            sign = self._sign[metric]  # 1 to minimise, -1 to maximise
            scores = [c.get(metric) for c, v in zip(checked, out, strict=True) if v == 0]
            scores = [s for s in scores if s is not None and math.isfinite(s)]
            if scores:
                trivial, share = self._floor
                if self._horizon:
                    share *= min(1.0, rung / self._horizon)
                best = min(scores, key=lambda s: sign * s)
                floor = floor_value(trivial, best, share)
                gap = abs(floor - trivial) or 1.0
                for k, c in enumerate(checked):
                    score = c.get(metric)
                    if score is not None and sign * (score - floor) > 0:
                        out[k] += sign * (score - floor) / gap
        return out

    def _vector(self, values: Mapping) -> Vector | None:
        out = []
        for name, sign in self._sign.items():
            value = values.get(name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                return None
            if not math.isfinite(value):  # inf would make crowding distances NaN
                return None
            out.append(sign * value)
        return tuple(out)
