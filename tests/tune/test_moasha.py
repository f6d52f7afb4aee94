"""MO-ASHA on synthetic rung results, driven as Tune drives it: no Ray cluster, no training."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from ray.tune.experiment import Trial
from ray.tune.schedulers import TrialScheduler

from autonn.tune._moasha import MOASHA

STOP, CONTINUE = TrialScheduler.STOP, TrialScheduler.CONTINUE
ACC_SIZE = {"accuracy": "max", "size_bytes": "min"}
# Four big, accurate models on one front: none beats another on both accuracy and size.
BIG = [(0.92, 60_000), (0.91, 55_000), (0.90, 50_000), (0.88, 40_000)]


class Tune:
    """Calls the scheduler as Tune's controller does, with real (stub) Trial objects."""

    def __init__(self, scheduler: MOASHA) -> None:
        self.scheduler = scheduler
        self.trials: list[Trial] = []

    def get_trials(self) -> list[Trial]:  # the one controller method a scheduler may call
        return self.trials

    def add(self) -> Trial:
        trial = Trial("__fake", stub=True)  # a fresh unique trial_id, as Tune gives
        self.trials.append(trial)
        self.scheduler.on_trial_add(self, trial)
        return trial

    def report(self, trial: Trial, epoch: int | None, **values) -> str:
        result = values if epoch is None else {"epoch": epoch, **values}
        return self.scheduler.on_trial_result(self, trial, result)

    def new_trial_at(self, epoch: int, **values) -> str:
        return self.report(self.add(), epoch, **values)


def _moasha(objectives=ACC_SIZE, **kwargs) -> MOASHA:
    return MOASHA(objectives=objectives, **{"rungs": (2, 4), **kwargs})


def _with_big_models(scheduler: MOASHA) -> Tune:
    tune = Tune(scheduler)
    actions = [tune.new_trial_at(2, accuracy=acc, size_bytes=size) for acc, size in BIG]
    if "size_bytes" in scheduler.objectives:
        assert actions == [CONTINUE] * 4  # all on the front
    return tune


def test_a_dominated_trial_is_stopped():
    tune = _with_big_models(_moasha())
    # Less accurate AND larger than three of the four: it is on the second front.
    assert tune.new_trial_at(2, accuracy=0.89, size_bytes=58_000) == STOP
    assert tune.scheduler.num_stopped == 1


def test_a_small_model_on_the_front_continues_where_accuracy_only_asha_stops_it():
    small = {"accuracy": 0.50, "size_bytes": 500}
    accuracy_only = _with_big_models(_moasha({"accuracy": "max"}))
    assert accuracy_only.new_trial_at(2, **small) == STOP
    both = _with_big_models(_moasha())
    assert both.new_trial_at(2, **small) == CONTINUE
    # ... and a middling model that also belongs to the front, but crowded in its middle,
    # is the one that loses the tie-break once the rung is full.
    assert both.new_trial_at(2, accuracy=0.905, size_bytes=52_000) == STOP


def test_three_objectives_keep_the_fastest_model_that_two_would_stop():
    slow = [
        {"accuracy": acc, "size_bytes": size, "latency_ms": 1.0 + i} for i, (acc, size) in
        enumerate(BIG)
    ]  # fmt: skip
    fast_but_big = {"accuracy": 0.89, "size_bytes": 58_000, "latency_ms": 0.1}
    for objectives, expected in (
        (ACC_SIZE, STOP),
        ({**ACC_SIZE, "latency_ms": "min"}, CONTINUE),
    ):
        tune = Tune(_moasha(objectives))
        for values in slow:
            tune.new_trial_at(2, **values)
        assert tune.new_trial_at(2, **fast_but_big) == expected, objectives
    # Dominated in all three: stopped.
    assert tune.new_trial_at(2, accuracy=0.80, size_bytes=61_000, latency_ms=5.0) == STOP


def test_a_min_quality_metric_is_ranked_the_right_way_round():
    tune = Tune(_moasha({"rmse": "min", "size_bytes": "min"}))
    for rmse, size in [(0.10, 60_000), (0.20, 40_000), (0.30, 20_000), (0.40, 10_000)]:
        assert tune.new_trial_at(2, rmse=rmse, size_bytes=size) == CONTINUE
    assert tune.new_trial_at(2, rmse=0.45, size_bytes=61_000) == STOP  # worst rmse, largest
    assert tune.new_trial_at(2, rmse=0.05, size_bytes=61_000) == CONTINUE  # best rmse
    # Read as "max", the same rmse values turn around: the 0.45 model would be the best.
    flipped = Tune(_moasha({"rmse": "max", "size_bytes": "min"}))
    for rmse, size in [(0.10, 60_000), (0.20, 40_000), (0.30, 20_000), (0.40, 10_000)]:
        flipped.new_trial_at(2, rmse=rmse, size_bytes=size)
    assert flipped.new_trial_at(2, rmse=0.05, size_bytes=61_000) == STOP


def test_no_trial_is_stopped_until_its_rung_holds_min_peers_results():
    tune = Tune(_moasha(min_peers=4))
    # Each trial is dominated by every earlier one.
    results = [(0.9 - 0.1 * i, 1000 * (i + 1)) for i in range(5)]
    actions = [tune.new_trial_at(2, accuracy=a, size_bytes=s) for a, s in results]
    assert actions == [CONTINUE, CONTINUE, CONTINUE, STOP, STOP]  # the 4th is the first
    assert tune.scheduler.peers(2) == 5 and tune.scheduler.peers(4) == 0
    impatient = Tune(_moasha(min_peers=1))
    assert impatient.new_trial_at(2, accuracy=0.9, size_bytes=1000) == CONTINUE  # alone
    assert impatient.new_trial_at(2, accuracy=0.8, size_bytes=2000) == STOP


def test_remember_seeds_the_rungs_of_a_resumed_search():
    dominated = {"accuracy": 0.80, "size_bytes": 70_000}
    fresh = Tune(_moasha())
    assert fresh.new_trial_at(2, **dominated) == CONTINUE  # alone: nothing to compare with
    resumed = Tune(_moasha())
    stored = [{"accuracy": a, "size_bytes": s} for a, s in BIG]
    # Four stored trials reached epoch 2; two of them went on to epoch 4.
    resumed.scheduler.remember({2: stored, 4: stored[:2]})
    assert (resumed.scheduler.peers(2), resumed.scheduler.peers(4)) == (4, 2)
    assert resumed.new_trial_at(2, **dominated) == STOP
    with pytest.raises(ValueError, match="`rung` must be one of"):
        resumed.scheduler.remember({3: stored})


def test_missing_nan_or_infinite_objectives_rank_last():
    for broken in (
        {"accuracy": math.nan, "size_bytes": 100},  # would otherwise be the smallest
        {"accuracy": 0.99},  # no size
        {"accuracy": 0.99, "size_bytes": -math.inf},
        {"accuracy": None, "size_bytes": 100},
    ):
        tune = _with_big_models(_moasha())
        assert tune.new_trial_at(2, **broken) == STOP, broken
    # Recorded broken results count as peers but rank below a dominated trial.
    tune = Tune(_moasha())
    tune.new_trial_at(2, accuracy=0.92, size_bytes=60_000)
    tune.new_trial_at(2, accuracy=0.88, size_bytes=40_000)
    tune.new_trial_at(2, accuracy=math.nan, size_bytes=10)
    tune.new_trial_at(2, size_bytes=10)
    # Dominated by both valid trials (second front), ahead of the two broken ones: 2 < ceil(5/2).
    assert tune.new_trial_at(2, accuracy=0.87, size_bytes=61_000) == CONTINUE


def test_each_trial_is_judged_once_per_rung_and_never_after_the_last():
    tune = _with_big_models(_moasha())
    trial = tune.add()
    assert tune.report(trial, 1, accuracy=0.1, size_bytes=90_000) == CONTINUE  # before a rung
    assert tune.report(trial, 3, accuracy=0.1, size_bytes=90_000) == STOP  # rung 2 reached
    leader = tune.trials[0]
    assert tune.report(leader, 3, accuracy=0.0, size_bytes=99_999) == CONTINUE  # judged at 2
    assert tune.report(leader, 9, accuracy=0.0, size_bytes=99_999) == CONTINUE  # first at 4
    assert tune.scheduler.peers(4) == 1  # recorded at the highest rung reached, 4
    assert tune.report(leader, 10, accuracy=0.0, size_bytes=99_999) == CONTINUE  # past it
    # The final, measured report carries no epoch: it is never judged.
    assert tune.report(tune.add(), None, accuracy=0.0, size_bytes=99_999) == CONTINUE
    # A report marked done is recorded but never stopped.
    assert tune.report(tune.add(), 2, accuracy=0.0, size_bytes=99_999, done=True) == CONTINUE
    assert tune.scheduler.peers(2) == 6


def test_a_trial_completing_at_a_rung_informs_later_trials():
    tune = Tune(_moasha())
    for acc, size in BIG:
        trial = tune.add()
        result = {"epoch": 2, "accuracy": acc, "size_bytes": size}
        tune.scheduler.on_trial_complete(tune, trial, result)  # never reported at the rung
    assert tune.scheduler.peers(2) == 4
    assert tune.new_trial_at(2, accuracy=0.80, size_bytes=70_000) == STOP


def test_pending_trials_run_first_in_order_then_paused_ones():
    tune = Tune(_moasha())
    first, second, third = tune.add(), tune.add(), tune.add()
    first.set_status(Trial.RUNNING)
    assert tune.scheduler.choose_trial_to_run(tune) is second
    second.set_status(Trial.TERMINATED)
    third.set_status(Trial.PAUSED)
    assert tune.scheduler.choose_trial_to_run(tune) is third
    third.set_status(Trial.RUNNING)
    assert tune.scheduler.choose_trial_to_run(tune) is None


def test_the_objectives_come_from_the_constructor_not_from_tune_config():
    scheduler = _moasha()
    assert scheduler.set_search_properties(None, None)
    assert scheduler.set_search_properties("accuracy", "max")
    assert not scheduler.set_search_properties("accuracy", "min")
    assert not scheduler.set_search_properties("loss", "min")
    assert not scheduler.supports_buffered_results  # one decision per rung report
    assert scheduler.rungs == (2, 4) and scheduler.objectives == ACC_SIZE
    assert "MOASHA" in scheduler.debug_string() and "epoch 2: 0" in scheduler.debug_string()


def test_save_and_restore_keep_the_rungs(tmp_path):
    tune = _with_big_models(_moasha())
    tune.new_trial_at(2, accuracy=math.nan, size_bytes=1)
    tune.scheduler.save(str(tmp_path / "moasha.json"))
    restored = Tune(_moasha())
    restored.scheduler.restore(str(tmp_path / "moasha.json"))
    assert restored.scheduler.peers(2) == 5 and restored.scheduler.num_stopped == 1
    assert restored.new_trial_at(2, accuracy=0.89, size_bytes=58_000) == STOP


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objectives": {}}, "`objectives` must map"),
        ({"objectives": {"accuracy": "up"}}, "direction of objective 'accuracy'"),
        ({"objectives": {"": "min"}}, "non-empty strings"),
        ({"time_attr": ""}, "`time_attr` must be a non-empty string"),
        ({"time_attr": "accuracy"}, "`time_attr` must not be an objective"),
        ({"rungs": ()}, "`rungs` must be distinct integers"),
        ({"rungs": (2, 2)}, "`rungs` must be distinct integers"),
        ({"rungs": (0, 2)}, "`rungs` must be distinct integers"),
        ({"rungs": (1.5,)}, "`rungs` must be distinct integers"),
        ({"reduction_factor": 1}, "`reduction_factor > 1`"),
        ({"reduction_factor": math.inf}, "`reduction_factor > 1`"),
        ({"min_peers": 0}, "`min_peers` must be an integer >= 1"),
    ],
)
def test_bad_options_are_refused_with_the_rule_and_the_value(kwargs, message):
    options = {"objectives": ACC_SIZE, "rungs": (2, 4), **kwargs}
    with pytest.raises(ValueError, match=message):
        MOASHA(**options)


def test_rungs_may_come_in_any_order_and_a_trial_needs_only_its_id():
    scheduler = MOASHA(objectives={"accuracy": "max"}, rungs=[6, 3], min_peers=1)
    assert scheduler.rungs == (3, 6)
    trial = SimpleNamespace(trial_id="x")  # nothing of a trial but its id is read
    assert scheduler.on_trial_result(None, trial, {"epoch": 3, "accuracy": 0.5}) == CONTINUE


@pytest.mark.parametrize(
    "fourth",
    [
        {"accuracy": 0.5, "size_bytes": 100, "ram_bytes": 100},  # below the floor (0.74)
        {"accuracy": 0.95, "size_bytes": 50, "ram_bytes": 5000},  # over the RAM limit
    ],
)
def test_moasha_stops_a_trial_below_the_floor_or_over_a_limit_at_a_rung(fourth):
    """Feasible first: a tiny model over the RAM limit and one below the floor are stopped,
    though each would be on the rung's accuracy-size front; the same result within the limits
    goes on."""
    from autonn.limits import Limit

    peers = [(0.9, 900), (0.85, 800), (0.8, 700)]
    tune = Tune(
        _moasha(
            rungs=(2,),
            limits=(Limit("ram_bytes", "<=", 1000.0),),
            floor=(0.1, 0.8),  # trivial 0.1: at a rung whose best is 0.9, the floor is 0.74
        )
    )
    for accuracy, size in peers:
        assert tune.new_trial_at(2, accuracy=accuracy, size_bytes=size, ram_bytes=size) == CONTINUE
    assert tune.new_trial_at(2, **fourth) == STOP
    free = _moasha(rungs=(2,))  # no limit, no floor: the same result is on the front
    tune = Tune(free)
    for accuracy, size in peers:
        tune.new_trial_at(2, accuracy=accuracy, size_bytes=size)
    assert tune.new_trial_at(2, **fourth) == CONTINUE


def test_early_in_training_the_floor_is_lower():
    """horizon 8, rung 2: a quarter of the share. 0.5 is below the floor at the end (0.74), not
    at a quarter of training (0.1 + 0.2 * 0.8 = 0.26), where a small model may still catch up."""
    peers = [(0.9, 900), (0.85, 800), (0.8, 700)]
    tune = Tune(_moasha(rungs=(2,), floor=(0.1, 0.8), horizon=8))
    for accuracy, size in peers:
        tune.new_trial_at(2, accuracy=accuracy, size_bytes=size)
    assert tune.new_trial_at(2, accuracy=0.5, size_bytes=100) == CONTINUE
    tune = Tune(_moasha(rungs=(2,), floor=(0.1, 0.8), horizon=2))
    for accuracy, size in peers:
        tune.new_trial_at(2, accuracy=accuracy, size_bytes=size)
    assert tune.new_trial_at(2, accuracy=0.5, size_bytes=100) == STOP


def test_a_decision_among_10000_results_ranks_nothing_afresh(monkeypatch):
    """A rung of 10,000 results (stored trials, as a resumed search has them), then 21 new
    reports: each decision agrees with ranking the whole rung from scratch, yet only the first,
    which meets the 10,000 at once, ranks from scratch. bench/pareto.py times it (about 5 ms is
    the target; sorting in Python took a minute): here a generous bound only catches a return to
    work that grows with the square of the rung."""
    import time

    from autonn import pareto

    rng = np.random.default_rng(0)
    stored = [
        {"accuracy": a, "size_bytes": s}
        for a, s in zip(rng.uniform(0.5, 0.99, 10_000), rng.uniform(1e3, 1e6, 10_000), strict=True)
    ]
    scheduler = _moasha(rungs=(2,))
    scheduler.remember({2: stored})
    from_scratch: list[int] = []
    real = pareto.nondominated_ranks
    monkeypatch.setattr(
        pareto, "nondominated_ranks", lambda p: from_scratch.append(len(p)) or real(p)
    )
    tune, seconds, actions = Tune(scheduler), [], []
    new = [
        {"accuracy": a, "size_bytes": s} for a, s in rng.uniform((0.5, 1e3), (0.99, 1e6), (21, 2))
    ]
    for values in new:
        start = time.perf_counter()
        actions.append(tune.new_trial_at(2, **values))
        seconds.append(time.perf_counter() - start)
    monkeypatch.undo()
    assert from_scratch == [10_001]
    points = np.array([(-v["accuracy"], v["size_bytes"]) for v in stored + new])
    for i, action in enumerate(actions):
        n = 10_001 + i
        expected = pareto.survives(points[:n], n - 1, keep=math.ceil(n / 2))
        assert action == (CONTINUE if expected else STOP)
    assert STOP in actions and CONTINUE in actions
    assert sorted(seconds)[10] < 0.05  # the median; bench/pareto.py holds the 5 ms target
