"""MOASHA under a real Ray Tune run: Tune accepts it, and its STOP ends the trial."""

from __future__ import annotations

import pytest

from autonn.search._moasha import MOASHA

pytestmark = pytest.mark.integration

# (accuracy, size_bytes) per trial; accuracy is the same at every epoch. One trial at a time, so
# the last two reach the rung after the first four, whatever the machine.
TRIALS = [
    (0.92, 60_000),
    (0.91, 55_000),
    (0.90, 50_000),
    (0.88, 40_000),
    (0.50, 500),  # far behind on accuracy, but the smallest: on the front
    (0.89, 58_000),  # dominated by the 0.91 and 0.90 models
]


def test_tune_runs_moasha_and_stops_only_the_dominated_trial(tmp_path):
    import ray
    from ray import tune

    trials = list(TRIALS)

    def trainable(config):  # defined here, so Ray ships it by value, not as a test module
        accuracy, size = trials[config["i"]]
        for epoch in range(1, 5):
            tune.report({"epoch": epoch, "accuracy": accuracy, "size_bytes": size})

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        scheduler = MOASHA(objectives={"accuracy": "max", "size_bytes": "min"}, rungs=(2,))
        tuner = tune.Tuner(
            trainable,
            param_space={"i": tune.grid_search(list(range(len(TRIALS))))},
            tune_config=tune.TuneConfig(scheduler=scheduler, max_concurrent_trials=1),
            run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0),
        )
        results = tuner.fit()
    finally:
        ray.shutdown()
    last_epoch = {r.config["i"]: r.metrics["epoch"] for r in results}
    assert last_epoch == {0: 4, 1: 4, 2: 4, 3: 4, 4: 4, 5: 2}
    assert scheduler.num_stopped == 1
