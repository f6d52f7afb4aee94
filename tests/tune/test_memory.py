"""The driver keeps no running statistics of a finished trial (autonn/tune/_memory.py)."""

from __future__ import annotations

import logging
import os

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


def test_tunes_settings_hold_for_the_run_only_and_never_override_the_users(monkeypatch):
    from autonn.tune._run import TUNE_ENVIRONMENT, tune_environment

    for name in TUNE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAY_AIR_NEW_OUTPUT", "1")  # the user's own choice
    with tune_environment():
        assert (
            os.environ["TUNE_GLOBAL_CHECKPOINT_S"] == TUNE_ENVIRONMENT["TUNE_GLOBAL_CHECKPOINT_S"]
        )
        assert os.environ["RAY_AIR_NEW_OUTPUT"] == "1"
    assert os.environ["RAY_AIR_NEW_OUTPUT"] == "1"
    assert not set(TUNE_ENVIRONMENT) - {"RAY_AIR_NEW_OUTPUT"} & set(os.environ)


def test_tunes_logger_is_quiet_for_the_run_only_and_not_under_debug():
    from autonn.tune._run import tune_environment

    tune_log = logging.getLogger("ray.tune")
    before = tune_log.level
    with tune_environment(quiet=True):
        assert tune_log.level == logging.CRITICAL  # a lost worker's traceback stays out
    assert tune_log.level == before
    with tune_environment(quiet=False):  # --debug
        assert tune_log.level == before
