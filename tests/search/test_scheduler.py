"""The early-stopping rule on synthetic learning curves: no Ray cluster, no training."""

from types import SimpleNamespace

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from autonn.search._scheduler import PatientASHA, make_scheduler, rung_epochs


def _trial(i):
    return SimpleNamespace(trial_id=f"t{i}", config={}, evaluated_params={})


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
    scheduler = make_scheduler(max_epochs=20, early_stop=True)
    trial = _trial(0)
    scheduler.on_trial_add(None, trial)
    milestones = sorted(m for m, _ in scheduler._trial_info[trial.trial_id]._rungs)
    assert milestones == [5, 10]
    assert rung_epochs(scheduler) == (5, 10)  # the only epochs trials report
    assert rung_epochs(make_scheduler(15, early_stop=True)) == (3, 6)  # never a third rung
    assert rung_epochs(make_scheduler(20, early_stop=False)) == ()


def test_no_trial_is_stopped_until_the_rung_has_enough_peers():
    # Each trial is worse than every earlier one: plain ASHA would stop trial 1 at once.
    curves = [[0.9 - 0.1 * i] * 8 for i in range(3)]
    assert _drive(make_scheduler(8, True), curves) == {}


def test_weak_trials_are_stopped_once_peers_exist_and_finishers_never_are():
    strong, weak = [0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9], [0.1] * 8
    curves = [strong] * 4 + [weak, strong, weak]
    stopped = _drive(make_scheduler(8, True), curves)
    assert stopped == {4: 2, 6: 2}  # stopped at the first rung (epoch 8 // 4)


def test_early_stop_off_or_tiny_budgets_use_fifo():
    assert isinstance(make_scheduler(20, early_stop=False), FIFOScheduler)
    assert isinstance(make_scheduler(2, early_stop=True), FIFOScheduler)
    assert isinstance(make_scheduler(3, early_stop=True), PatientASHA)


def test_a_resumed_search_compares_new_trials_with_the_stored_curves():
    strong, weak = [0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9], [0.1] * 8
    fresh = make_scheduler(8, True)
    assert _drive(fresh, [weak]) == {}  # alone on its rung: nothing to compare with
    resumed = make_scheduler(8, True)
    resumed.remember([strong] * 4 + [strong[:2]])  # four finished, one stopped at epoch 2
    assert {len(r) for _, r in resumed._brackets[0]._rungs} == {4, 5}  # epochs 4 and 2
    assert _drive(resumed, [weak, strong]) == {0: 2}


def test_a_regression_search_stops_the_trials_with_the_highest_error():
    good, bad = [90.0, 70.0, 60.0, 55.0, 52.0, 51.0, 50.0, 50.0], [300.0] * 8
    curves = [good] * 4 + [bad, good, bad]
    stopped = _drive(make_scheduler(8, True, "rmse", "minimize"), curves, metric="rmse")
    assert stopped == {4: 2, 6: 2}  # lower is better: the high-rmse trials stop
