"""The driver keeps no running statistics of a finished trial (autonn/tune/_memory.py)."""

from __future__ import annotations

import pytest
from ray.tune.experiment import Trial

from autonn.tune._memory import DropStatistics


def _reported(*results: dict) -> Trial:
    trial = Trial("autonn", stub=True, config={"width": 8})
    for i, result in enumerate(results, start=1):
        trial.update_last_result({**result, "training_iteration": i})
    return trial


@pytest.mark.parametrize("end", ["on_trial_complete", "on_trial_error"])
def test_a_trial_that_ended_keeps_its_last_result_but_no_statistics(end):
    trial = _reported({"accuracy": 0.5, "size_bytes": 900.0}, {"accuracy": 0.7})
    assert set(trial.metric_analysis) >= {"accuracy", "size_bytes"}  # what Tune keeps by itself
    getattr(DropStatistics(), end)(iteration=2, trials=[trial], trial=trial)
    assert trial.metric_analysis == {} and trial.metric_n_steps == {}
    assert trial.last_result["accuracy"] == 0.7  # the searcher and the scheduler saw it already
