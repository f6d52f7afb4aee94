"""The early-stopping rule on synthetic learning curves: no Ray cluster, no training."""

from types import SimpleNamespace

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from autonn.tune._moasha import MOASHA
from autonn.tune._scheduler import make_scheduler, ranked_costs, ranked_objectives, rung_epochs


def _trial(i):
    return SimpleNamespace(trial_id=f"t{i}", config={}, evaluated_params={})


def _asha(max_epochs, metric="accuracy", direction="maximize"):
    return make_scheduler("asha", max_epochs, metric, direction, (metric, "size_bytes"))


def _drive(scheduler, curves, metric="accuracy"):
    """Feed per-epoch metric values trial by trial; return the epoch each trial was stopped at."""
    stopped = {}
    for i, curve in enumerate(curves):
        trial = _trial(i)
        scheduler.on_trial_add(None, trial)
        for epoch, acc in enumerate(curve, start=1):
            action = scheduler.on_trial_result(None, trial, {"epoch": epoch, metric: acc})
            if action == TrialScheduler.STOP:
                stopped[i] = epoch
                break
    return stopped


def test_rungs_sit_at_a_quarter_and_a_half_of_the_budget():
    assert rung_epochs(_asha(20)) == (5, 10)  # the only epochs trials report
    assert rung_epochs(_asha(15)) == (3, 6)  # never a third rung
    assert rung_epochs(make_scheduler("fifo", 20, "accuracy", "maximize")) == ()


def test_moasha_ranks_on_the_metric_and_the_shipped_size_asha_on_the_metric_alone():
    objectives = ("accuracy", "size_bytes", "latency_ms")
    moasha = make_scheduler("moasha", 20, "accuracy", "maximize", objectives)
    assert moasha.objectives == {"accuracy": "max", "size_bytes": "min"}  # latency: not yet known
    assert ranked_costs(moasha) == ("size_bytes",) and ranked_costs(_asha(20)) == ()
    assert ranked_objectives("moasha", "rmse", "minimize", ("rmse", "latency_ms")) == {
        "rmse": "min"
    }


def test_no_trial_is_stopped_until_the_rung_has_enough_peers():
    # Each trial is worse than every earlier one: plain ASHA would stop trial 1 at once.
    curves = [[0.9 - 0.1 * i] * 8 for i in range(3)]
    assert _drive(_asha(8), curves) == {}


def test_weak_trials_are_stopped_once_peers_exist_and_finishers_never_are():
    strong, weak = [0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9], [0.1] * 8
    curves = [strong] * 4 + [weak, strong, weak]
    stopped = _drive(_asha(8), curves)
    assert stopped == {4: 2, 6: 2}  # stopped at the first rung (epoch 8 // 4)


def test_fifo_or_tiny_budgets_use_fifo():
    assert isinstance(make_scheduler("fifo", 20, "accuracy", "maximize"), FIFOScheduler)
    assert isinstance(_asha(2), FIFOScheduler)
    assert isinstance(_asha(3), MOASHA)


def test_a_resumed_search_compares_new_trials_with_the_stored_curves():
    strong, weak = [0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9], [0.1] * 8
    fresh = _asha(8)
    assert _drive(fresh, [weak]) == {}  # alone on its rung: nothing to compare with
    resumed = _asha(8)
    # Four finished, one stopped at epoch 2: what stored_rungs gives for those trials.
    stored = [strong] * 4 + [strong[:2]]
    resumed.remember({r: [{"accuracy": c[r - 1]} for c in stored if len(c) >= r] for r in (2, 4)})
    assert (resumed.peers(2), resumed.peers(4)) == (5, 4)
    assert _drive(resumed, [weak, strong]) == {0: 2}


def test_a_regression_search_stops_the_trials_with_the_highest_error():
    good, bad = [90.0, 70.0, 60.0, 55.0, 52.0, 51.0, 50.0, 50.0], [300.0] * 8
    curves = [good] * 4 + [bad, good, bad]
    stopped = _drive(_asha(8, "rmse", "minimize"), curves, metric="rmse")
    assert stopped == {4: 2, 6: 2}  # lower is better: the high-rmse trials stop
