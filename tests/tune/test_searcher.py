"""The searcher's bookkeeping, driven by hand as Tune drives it: no Ray cluster, no training."""

import json
import logging

import optuna
import pytest

from autonn.space import load_space
from autonn.tune._protocol import ATTRS, CURVE, EPOCH, FAILED, FINAL, TRIAL_EVENT, TRIAL_KEY
from autonn.tune._searcher import AutonnSearcher

OBJECTIVES = ("accuracy", "size_bytes")


@pytest.fixture
def searcher():
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=storage, study_name="s", directions=["maximize", "minimize"])
    return AutonnSearcher(
        load_space("mlp"),
        objectives=OBJECTIVES,
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=storage,
        study_name="s",
        total=3,
    )


def _trial(searcher, number):
    return searcher.study.get_trials(deepcopy=False)[number]


def test_suggest_adds_the_trial_number_and_valid_params(searcher):
    config = searcher.suggest("a")
    assert config[TRIAL_KEY] == 0
    assert "depth" in config and "lr" in config


def test_a_trial_the_scheduler_stopped_is_pruned_not_complete(searcher):
    searcher.suggest("a")
    searcher.on_trial_result("a", {EPOCH: 1, "accuracy": 0.5, CURVE: "[0.5]"})
    # Tune passes the report it stopped on to on_trial_complete only.
    stopped_on = {EPOCH: 2, "accuracy": 0.6, CURVE: "[0.5, 0.6]", "hostname": "n1"}
    searcher.on_trial_complete("a", stopped_on)
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.values is None
    assert trial.user_attrs["curve"] == [0.5, 0.6]
    assert trial.user_attrs["stopped_at_epoch"] == 2
    assert trial.user_attrs["node"] == "n1"


def test_a_final_report_completes_with_both_objectives_and_attrs(searcher):
    searcher.suggest("a")
    attrs = {"test_accuracy": 0.9, "size_bytes": 1234}
    result = {FINAL: True, "accuracy": 0.91, "size_bytes": 1234.0, ATTRS: json.dumps(attrs)}
    searcher.on_trial_complete("a", result)
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.values == [0.91, 1234.0]
    assert trial.user_attrs["test_accuracy"] == 0.9
    assert trial.user_attrs["ray_trial_id"] == "a"


def test_a_failed_trial_keeps_its_reason_and_the_search_goes_on(searcher):
    searcher.suggest("a")
    searcher.on_trial_complete("a", {FAILED: "training loss became nan"})
    searcher.suggest("b")
    searcher.on_trial_complete("b", None, error=True)
    first, second = _trial(searcher, 0), _trial(searcher, 1)
    assert first.state == second.state == optuna.trial.TrialState.FAIL
    assert first.user_attrs["fail_reason"] == "training loss became nan"
    assert "worker process or node died" in second.user_attrs["fail_reason"]
    assert searcher.finished == {"FAIL": 2}


def test_interrupted_trials_do_not_stay_running(searcher):
    searcher.suggest("a")
    searcher.fail_unfinished("stopped")
    assert _trial(searcher, 0).state == optuna.trial.TrialState.FAIL


def test_each_finished_trial_is_one_log_line_with_its_facts_attached(searcher, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("autonn"), "propagate", True)  # the CLI turns it off
    caplog.set_level(logging.INFO, logger="autonn")
    searcher.suggest("a")
    searcher.on_trial_result("a", {EPOCH: 1, "accuracy": 0.5, CURVE: "[0.5]"})
    searcher.on_trial_complete("a", {EPOCH: 1, "accuracy": 0.5, CURVE: "[0.5]"})
    searcher.suggest("b")
    attrs = json.dumps({"test_accuracy": 0.9})
    searcher.on_trial_complete(
        "b", {FINAL: True, "accuracy": 0.91, "size_bytes": 1234.0, ATTRS: attrs}
    )
    first, second = [r for r in caplog.records if hasattr(r, TRIAL_EVENT)]
    assert first.name == second.name == "autonn.tune"  # what logging.getLogger("autonn") shows
    assert first.getMessage() == "[1/3] trial 0 PRUNED: stopped early at epoch 1"
    assert second.getMessage() == (
        "[2/3] trial 1 COMPLETE: accuracy=0.9100 size_bytes=1234B test_accuracy=0.9000"
    )
    event = getattr(second, TRIAL_EVENT)
    assert event["state"] == "COMPLETE" and (event["done"], event["total"]) == (2, 3)
    assert event["values"] == {"accuracy": 0.91, "size_bytes": 1234.0}
    assert event["directions"] == {"accuracy": "maximize", "size_bytes": "minimize"}
    assert getattr(first, TRIAL_EVENT)["values"] is None
