"""Resuming a search: a real one, stopped with a trial left open as a killed driver leaves it."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import optuna
import psutil
import pytest

import autonn
from autonn.errors import UsageError
from autonn.tune._study import INTERRUPTED

pytestmark = pytest.mark.integration
FINISHED = {"COMPLETE", "PRUNED", "FAIL"}  # Optuna's trial states as its tables store them


def _config(**overrides) -> autonn.SearchConfig:
    settings = dict(space="mlp", data="wine", name="wine-resume", trials=3, max_epochs=2,
                    sampler="random", seed=3, early_stop=False)  # fmt: skip
    return autonn.SearchConfig(**{**settings, **overrides})


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """A 3-trial search, then one more trial left RUNNING: the driver died mid-trial."""
    root = tmp_path_factory.mktemp("resume")
    run = autonn.RunConfig(storage=f"sqlite:///{root}/a.db", artifacts=str(root / "art"))
    autonn.search(_config(), run)
    optuna.load_study(study_name="wine-resume", storage=run.storage).ask()
    return run


def test_a_resumed_search_closes_the_open_trial_and_runs_up_to_the_total(stopped):
    result = autonn.search(_config(trials=5), stopped, resume=True)
    states = {t.number: t.state for t in result.trials}
    assert states[3] == "FAIL"
    assert result.trials[3].attrs["fail_reason"] == INTERRUPTED
    assert sorted(states) == [0, 1, 2, 3, 4, 5]  # numbering goes on; the open one is run again
    assert all(states[n] == "COMPLETE" for n in (0, 1, 2, 4, 5))
    assert result.trials[5].attrs["artifacts"].endswith("trial_00005")
    old, new = [t.params for t in result.trials[:3]], [t.params for t in result.trials[4:]]
    assert not [p for p in new if p in old]  # the seeded sampler did not replay its first draws
    assert result.info.config["trials"] == 5 and len(result.info.config["resumed"]) == 1

    again = autonn.search(_config(trials=5), stopped, resume=True)  # already there: runs nothing
    assert len(again.trials) == 6


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_epochs": 3}, "max_epochs (stored 2, given 3)"),
        ({"space": "autonn.spaces.mlp:uncompressed"}, "space (stored"),
        ({"data": "breast_cancer"}, "data (stored"),
        ({"name": "nosuch"}, "no search named 'nosuch' to resume"),
        ({"name": None}, "give --name"),
    ],
)
def test_resuming_with_other_settings_is_refused_and_changes_nothing(stopped, overrides, message):
    before = optuna.load_study(study_name="wine-resume", storage=stopped.storage)
    with pytest.raises(UsageError, match=re.escape(message)):
        autonn.search(_config(trials=9, **overrides), stopped, resume=True)
    after = optuna.load_study(study_name="wine-resume", storage=stopped.storage)
    assert after.user_attrs == before.user_attrs and len(after.trials) == len(before.trials)


def test_starting_a_search_under_a_taken_name_points_to_resume(stopped):
    with pytest.raises(UsageError, match="add --resume to continue it"):
        autonn.search(_config(), stopped)


def test_ctrl_c_stops_the_search_cleanly_and_says_how_to_resume(tmp_path):
    db = tmp_path / "c.db"
    command = [sys.executable, "-m", "autonn.cli", "search", "mlp", "--data", "digits",
               "--name", "interrupted", "--trials", "200", "--max-epochs", "20",
               "--storage", f"sqlite:///{db}", "--artifacts", str(tmp_path / "art")]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        _wait_for_a_trial(db, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    last = err.strip().splitlines()[-1]
    assert last.startswith("autonn: search 'interrupted' stopped after ")
    assert "add --resume --name interrupted" in last and "Traceback" not in err
    trials = optuna.load_study(study_name="interrupted", storage=f"sqlite:///{db}").trials
    assert trials and not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]


def test_a_killed_driver_leaves_no_ray_behind_and_holds_its_search_until_forced(tmp_path):
    db = tmp_path / "k.db"
    settings = dict(space="mlp", data="digits", name="interrupted", trials=200, max_epochs=20,
                    sampler="tpe", seed=0, early_stop=True)  # fmt: skip
    command = [sys.executable, "-m", "autonn.cli", "search", "mlp", "--data", "digits",
               "--name", "interrupted", "--trials", "200", "--max-epochs", "20",
               "--storage", f"sqlite:///{db}", "--artifacts", str(tmp_path / "art")]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        _wait_for_a_trial(db, proc, running=True)
        started = psutil.Process(proc.pid).children(recursive=True)  # Ray, workers, the reaper
    finally:
        proc.kill()
        proc.wait()
    run = autonn.RunConfig(storage=f"sqlite:///{db}", artifacts=str(tmp_path / "art"))
    study = optuna.load_study(study_name="interrupted", storage=run.storage)
    running = [t.number for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]

    # Its heartbeat is fresh: a resume cannot tell it from a live driver, and must not close
    # the trials it was running.
    with pytest.raises(UsageError, match="being run by another driver"):
        autonn.search(autonn.SearchConfig(**settings), run, resume=True)
    assert running == [t.number for t in study.trials if t.state.name == "RUNNING"]

    assert len(started) > 3, "the driver should have started a local Ray"
    _, alive = psutil.wait_procs(started, timeout=30)  # the reaper, too, is gone once done
    assert not alive, alive

    done = len([t for t in study.trials if t.state.is_finished()])
    settings["trials"] = done + 1
    result = autonn.search(autonn.SearchConfig(**settings), run, resume=True, force=True)
    states = {t.number: t.state for t in result.trials}
    assert all(states[n] == "FAIL" for n in running) and "RUNNING" not in states.values()


def _wait_for_a_trial(db, proc, running: bool = False, timeout: float = 90.0) -> None:
    """Until a trial of the search has finished (or, with running, started).

    Reads with plain sqlite3: opening the file through Optuna would create the schema if the
    driver has not yet, racing the driver's own creation of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the search ended before it could be interrupted"
        if os.path.exists(db):
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                    states = [s for (s,) in con.execute("SELECT state FROM trials")]
                if any(s in FINISHED or running for s in states):
                    return
            except sqlite3.OperationalError:
                pass  # no trials table yet
        time.sleep(0.5)
    raise AssertionError("no trial in time")
