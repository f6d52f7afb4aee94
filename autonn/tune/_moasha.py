"""Multi-objective early stopping: asynchronous successive halving on Pareto ranks (MO-ASHA).

Accuracy-only ASHA stops exactly the small models a search for the accuracy-vs-size front needs:
at the first rung a 500-parameter model is behind a 50,000-parameter one, yet it may end on the
front. MO-ASHA ranks the trials at a rung by non-dominated sorting over every objective, ties
within a front broken by crowding distance, and lets the top 1/reduction_factor go on
(Salinas et al., "A multi-objective perspective on jointly tuning hardware and hyperparameters",
2021; Syne Tune's `MOASHA` sparsifies a front with an epsilon-net instead of crowding distance).

Only Ray Tune's public `TrialScheduler` interface is used: the scheduler keeps its own rungs and
looks at nothing of a trial but its `trial_id` and `status`.

Every rung report is decided on Tune's event loop, and the first rung sees every trial: a rung
keeps its results in numpy arrays and its fronts up to date one result at a time
(`autonn.pareto.insert_rank`), so a decision among 10,000 results is a few vectorised passes
(bench/pareto.py), where sorting them all in Python took about a minute.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from ray.tune.experiment import Trial
from ray.tune.schedulers import TrialScheduler

from autonn import pareto
from autonn.limits import floor_value

logger = logging.getLogger("autonn.tune")

DIRECTIONS = ("min", "max")
# A trial is stopped only once its rung holds this many results, its own included: with one or
# two peers the comparison is mostly noise, which in a 20-trial search stops nearly everything.
MIN_PEERS = 4
# More feasible results than this joining a rung between two decisions (a resumed search's
# stored trials, say) are ranked afresh rather than one at a time.
MAX_INSERTS = 32

Vector = tuple[float, ...]  # one trial's objectives, each turned so that lower is better


class _Rung:
    """The results recorded at one rung, in arrays that grow by doubling, and the Pareto ranks
    of its feasible ones, kept up to date one insertion at a time: a decision at a rung of
    10,000 results is a few vectorised passes, not a sort of them all in Python."""

    def __init__(self, n_objectives: int) -> None:
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.checked: list[dict[str, float]] = []  # for `save`, as recorded
        self.vectors = np.full((16, n_objectives), np.nan)  # NaN: an objective was missing
        self.excess = np.zeros(16)  # how far each breaks the limits, summed
        self.score = np.full(16, np.nan)  # the metric, for the floor
        self.ranks = np.zeros(16, dtype=np.int64)
        self.ranked_in = np.zeros(16, dtype=bool)  # among the rows `ranks` holds for
        self._ranked = 0  # rows below this were there at the last ranking

    def _grow(self) -> None:
        # Doubling: a rung of n results has copied O(n) values in all.
        for name, fill in (("vectors", np.nan), ("excess", 0.0), ("score", np.nan),
                           ("ranks", 0), ("ranked_in", False)):  # fmt: skip
            old = getattr(self, name)
            new = np.full((2 * len(old), *old.shape[1:]), fill, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, trial_id: str) -> bool:
        return trial_id in self.row

    def add(self, trial_id: str, vector: Vector | None, excess: float, score, checked) -> None:
        n = len(self.ids)
        if n == len(self.excess):
            self._grow()
        self.row[trial_id] = n
        self.ids.append(trial_id)
        self.checked.append(checked)
        if vector is not None:
            self.vectors[n] = vector
        self.excess[n] = excess
        self.score[n] = np.nan if score is None else score

    def vector(self, row: int) -> list[float] | None:
        v = self.vectors[row]
        return None if np.isnan(v).any() else [float(x) for x in v]

    def rank(self, feasible: np.ndarray) -> None:
        """Bring `ranks` up to date for the rows `feasible` marks (all rows, one bool each)."""
        n, done = len(feasible), self._ranked
        was = self.ranked_in[:done]
        joined = np.flatnonzero(feasible[done:]) + done
        if np.array_equal(was, feasible[:done]) and len(joined) <= MAX_INSERTS:
            for row in joined:
                members = np.flatnonzero(self.ranked_in[:row])
                rank, ranks = pareto.insert_rank(
                    self.vectors[members], self.ranks[members], self.vectors[row]
                )
                self.ranks[members], self.ranks[row] = ranks, rank
                self.ranked_in[row] = True
        else:  # the floor rose past some, or many joined at once: rank afresh
            rows = np.flatnonzero(feasible)
            self.ranks[rows] = pareto.nondominated_ranks(self.vectors[rows])
            self.ranked_in[:n] = feasible
        self.ranked_in[n:] = False
        self._ranked = n


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
        self._limits = tuple(limits)
        self._floor = floor
        self._horizon = horizon
        self._recorded = {r: _Rung(len(self._objectives)) for r in self._rungs}
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
            self._check_rung(rung)
            for values in vectors:
                self._num_remembered += 1
                self._record(rung, f"stored-{self._num_remembered}", values)

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
        recorded = self._record(rung, trial.trial_id, result)
        if result.get("done") or len(recorded) < self._min_peers:
            return TrialScheduler.CONTINUE
        keep = math.ceil(len(recorded) / self._reduction_factor)
        if self._ahead(rung, recorded.row[trial.trial_id]) < keep:
            return TrialScheduler.CONTINUE
        self._num_stopped += 1
        logger.debug(
            "MOASHA stops trial %s at %s %s: not in the best %d of %d",
            trial.trial_id,
            self._time_attr,
            rung,
            keep,
            len(recorded),
        )
        return TrialScheduler.STOP

    def on_trial_complete(self, tune_controller, trial: Trial, result: dict | None) -> None:
        # A last result at a rung the trial had not reported at still informs later trials.
        rung = self._rung_for(trial.trial_id, result or {})
        if rung is not None:
            self._record(rung, trial.trial_id, result)

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
        state = {
            str(r): {t: rec.vector(i) for i, t in enumerate(rec.ids)}
            for r, rec in self._recorded.items()
        }
        checked = {
            str(r): dict(zip(rec.ids, rec.checked, strict=True))
            for r, rec in self._recorded.items()
        }
        with open(checkpoint_path, "w") as f:
            json.dump(
                {
                    "recorded": state,
                    "num_stopped": self._num_stopped,
                    "num_remembered": self._num_remembered,
                    "checked": checked,
                },
                f,
            )

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path) as f:
            state = json.load(f)
        checked = state.get("checked", {})
        for rung, recorded in state["recorded"].items():
            rung = self._check_rung(int(rung))
            self._recorded[rung] = _Rung(len(self._objectives))
            for t, v in recorded.items():
                values = checked.get(str(rung), {}).get(t, {})
                self._add(rung, t, None if v is None else tuple(v), values)
        self._num_stopped = state["num_stopped"]
        self._num_remembered = state["num_remembered"]

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

    def _record(self, rung: int, trial_id: str, values: Mapping) -> _Rung:
        self._add(rung, trial_id, self._vector(values), self._check_values(values))
        return self._recorded[rung]

    def _add(self, rung: int, trial_id: str, vector: Vector | None, checked: dict) -> None:
        # A result's own excess over the limits never changes, so it is summed once, here.
        excess = sum(limit.excess(checked.get(limit.name)) or 0.0 for limit in self._limits)
        score = checked.get(next(iter(self._objectives)))
        self._recorded[rung].add(trial_id, vector, excess, score, checked)

    def _ahead(self, rung: int, row: int) -> int:
        """How many results at `rung` rank strictly before `row`'s (`pareto.constrained_keys`):
        feasible first, by front, then by crowding within the front."""
        recorded = self._recorded[rung]
        n = len(recorded)
        violations = self._violations(rung)
        feasible = ~np.isnan(recorded.vectors[:n]).any(axis=1) & (violations <= 0)
        crowding = np.zeros(n)
        if feasible[row]:  # its front and crowding matter only against its own front's
            recorded.rank(feasible)
            ranks = recorded.ranks[:n]
            front = np.flatnonzero(feasible & (ranks == ranks[row]))
            crowding[front] = pareto.crowding_distances(recorded.vectors[front])
        else:  # every feasible result is ahead of it, whatever its front
            ranks = np.zeros(n, dtype=np.int64)
        keys = pareto.constrained_keys(violations, feasible, ranks, crowding)
        return pareto.count_ahead(keys, row)

    def _violations(self, rung: int) -> np.ndarray:
        """How far each result at `rung` breaks the limits and the floor; 0 for feasible ones."""
        recorded = self._recorded[rung]
        n = len(recorded)
        out = recorded.excess[:n].copy()
        if self._floor is None:
            return out
        metric = next(iter(self._objectives))
        sign = self._sign[metric]  # 1 to minimise, -1 to maximise
        scores = recorded.score[:n]
        usable = np.flatnonzero((out == 0) & np.isfinite(scores))
        if len(usable):
            trivial, share = self._floor
            if self._horizon:
                share *= min(1.0, rung / self._horizon)
            best = scores[usable[np.argmin(sign * scores[usable])]]
            floor = floor_value(trivial, float(best), share)
            gap = abs(floor - trivial) or 1.0
            below = sign * (scores - floor)
            hit = below > 0  # NaN (no score) is never below it
            out[hit] += below[hit] / gap
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
