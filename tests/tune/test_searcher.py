"""The searcher's bookkeeping, driven by hand as Tune drives it: no Ray cluster, no training."""

import json
import logging

import optuna
import pytest

from autonn.space import load_space
from autonn.store import DETAILS_ATTR, upgrade_attrs
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


def _attrs(searcher, number):
    return upgrade_attrs(_trial(searcher, number).user_attrs)


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
    assert _attrs(searcher, 0)["curve"] == [0.5, 0.6]
    assert _attrs(searcher, 0)["stopped_at_epoch"] == 2
    assert _attrs(searcher, 0)["node"] == "n1"


def test_a_final_report_completes_with_both_objectives_and_attrs(searcher):
    searcher.suggest("a")
    attrs = {"test_accuracy": 0.9, "size_bytes": 1234}
    result = {FINAL: True, "accuracy": 0.91, "size_bytes": 1234.0, ATTRS: json.dumps(attrs)}
    searcher.on_trial_complete("a", result)
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.values == [0.91, 1234.0]
    assert trial.user_attrs["test_accuracy"] == 0.9
    assert _attrs(searcher, 0)["ray_trial_id"] == "a"


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


def test_a_result_it_cannot_store_fails_the_trial_once_with_the_reason(
    searcher, caplog, monkeypatch
):
    # Raised into Tune, the error would have Tune train the trial again only to meet it again.
    monkeypatch.setattr(logging.getLogger("autonn"), "propagate", True)  # the CLI turns it off
    searcher.suggest("a")
    with caplog.at_level(logging.ERROR, logger="autonn.tune"):
        searcher.on_trial_complete("a", {FINAL: True, "accuracy": 0.9, ATTRS: "{not json"})
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.FAIL
    reason = trial.user_attrs["fail_reason"]
    assert reason.startswith("autonn could not store its result (JSONDecodeError: ")
    assert "a bug in autonn" in reason
    assert caplog.records[0].exc_info is not None  # the traceback, for the report
    assert searcher.finished == {"FAIL": 1}
    searcher.on_trial_complete("a", None, error=True)  # Tune's later word on it changes nothing
    assert _trial(searcher, 0).user_attrs["fail_reason"] == reason


def test_an_error_after_a_trial_is_stored_leaves_it_as_stored(searcher, monkeypatch):
    def broken_log(*args):
        raise RuntimeError("the log line failed")

    monkeypatch.setattr(searcher, "_log", broken_log)
    searcher.suggest("a")
    searcher.on_trial_complete("a", {FINAL: True, "accuracy": 0.91, "size_bytes": 1234.0})
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.COMPLETE and trial.values == [0.91, 1234.0]
    assert "fail_reason" not in trial.user_attrs


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


# What a fully measured trial's worker sends (autonn.trial's attributes, the trainable's own).
_MEASURED = {
    "test_accuracy": 0.9, "size_bytes": 1234, "flash_bytes": 1234, "ram_bytes": 2048,
    "macs": 5000, "latency_ms": 0.02, "target": "onnx", "fp32_bytes": 4000, "family": "mlp",
    "n_params": 900, "n_params_trained": 900, "epochs": 3, "curve": [0.5, 0.8, 0.9],
    "accuracy_trained": 0.9, "best_epoch": 3, "accuracy_channel_pruned": None,
    "compression": {"prune": 0.0, "finetune_epochs": 0, "quantize": "fp32"},
    "train_seconds": 1.2, "seconds": 1.5, "artifacts": "/a/t0", "device": "cpu", "node_id": "n",
}  # fmt: skip


def test_a_trial_costs_nine_writes_and_one_per_parameter(tmp_path):
    """On Tune's event loop the driver waits for every write: count the transactions that write,
    for one whole measured trial from the sampler's ask to the tell, on SQLite as a search opens
    it. Nine, and one per sampled parameter (Optuna commits each `suggest_*`): the trial's row,
    five headline measurements, the packed rest, the floor's constraint, the tell."""
    from sqlalchemy import event

    from autonn.store import open_storage

    rdb = open_storage(f"sqlite:///{tmp_path}/c.db", create=True)
    optuna.create_study(storage=rdb, study_name="c", directions=["maximize", "minimize"])
    searcher = AutonnSearcher(
        load_space("mlp"),
        objectives=OBJECTIVES,
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=rdb,
        study_name="c",
        total=3,
    )
    writes = []

    def on_execute(conn, cursor, statement, *args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            conn.info["wrote"] = True

    def on_commit(conn) -> None:
        if conn.info.pop("wrote", False):
            writes.append(1)

    event.listen(rdb.engine, "before_cursor_execute", on_execute)
    event.listen(rdb.engine, "commit", on_commit)
    searcher.suggest("a")
    result = {FINAL: True, "accuracy": 0.91, "size_bytes": 1234.0, ATTRS: json.dumps(_MEASURED)}
    searcher.on_trial_complete("a", result)
    trial = _trial(searcher, 0)
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert len(writes) == 9 + len(trial.params)  # 39 + params before the measurements were packed
    # What plain Optuna tools show as columns, and what autonn reads back: all of it.
    headline = {"test_accuracy", "size_bytes", "flash_bytes", "ram_bytes", "macs"}
    assert set(trial.user_attrs) == headline | {DETAILS_ATTR}
    assert {f"user_attrs_{k}" for k in headline} <= set(searcher.study.trials_dataframe().columns)
    assert _attrs(searcher, 0) == {**_MEASURED, "ray_trial_id": "a", "node": None,
                                   "broken_limits": {}}  # fmt: skip
