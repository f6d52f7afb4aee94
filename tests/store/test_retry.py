"""RetryingStorage without a server: a real SQLite RDBStorage whose chosen calls fail the way a
dropped connection fails, before the write reaches the database or after it committed."""

from __future__ import annotations

import logging
import sqlite3

import optuna
import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError, OperationalError

from autonn._durations import duration_text
from autonn.store._retry import DatabaseUnreachable, RetryingStorage, is_transient

optuna.logging.set_verbosity(optuna.logging.WARNING)


def dropped() -> OperationalError:
    return OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


class Flaky(optuna.storages.RDBStorage):
    """`faults`: (method, "before" | "after") pairs, each failing one call of that method, in
    order. "after": the write committed, then the connection dropped before the client heard.
    `down`: every such call fails, as while the server is stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.faults: list[tuple[str, str]] = []
        self.down = False

    def _fault(self, name: str, when: str) -> None:
        if self.faults and self.faults[0] == (name, when):
            self.faults.pop(0)
            raise dropped()

    def _flaky(self, name: str, call):
        if self.down:
            raise dropped()
        self._fault(name, "before")
        result = call()
        self._fault(name, "after")
        return result

    def create_new_trial(self, study_id, template_trial=None):
        call = super().create_new_trial
        return self._flaky("create_new_trial", lambda: call(study_id, template_trial))

    def set_trial_state_values(self, trial_id, state, values=None):
        call = super().set_trial_state_values
        return self._flaky("set_trial_state_values", lambda: call(trial_id, state, values))

    def set_trial_user_attr(self, trial_id, key, value):
        call = super().set_trial_user_attr
        return self._flaky("set_trial_user_attr", lambda: call(trial_id, key, value))

    def get_all_trials(self, study_id, deepcopy=True, states=None):
        call = super().get_all_trials
        return self._flaky("get_all_trials", lambda: call(study_id, deepcopy, states))


class FakeTime:
    """A clock that moves only when the storage sleeps: no test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def flaky(tmp_path) -> Flaky:
    return Flaky(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def retrying(storage, time_: FakeTime, timeout: float = 300.0) -> RetryingStorage:
    return RetryingStorage(storage, timeout=timeout, sleep=time_.sleep, clock=time_.clock)


def test_a_read_is_retried_with_backoff_and_the_outage_is_said_once(flaky, time_, caplog):
    storage = retrying(flaky, time_)
    study = optuna.create_study(storage=storage, study_name="s")
    study.tell(study.ask(), 1.0)
    flaky.faults = [("get_all_trials", "before")] * 4
    with caplog.at_level(logging.INFO, logger="autonn.store"):
        trials = study.get_trials()
    assert [t.value for t in trials] == [1.0]
    assert time_.sleeps == [0.5, 1.0, 2.0, 4.0]
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "database unreachable (server closed the connection unexpectedly); retrying for up to 5m",
        "database reachable again after 7.5s",
    ]
    assert storage.outages == 1 and not storage.gave_up


def test_past_the_bound_it_gives_up_then_tries_each_call_once(flaky, time_, caplog):
    storage = retrying(flaky, time_, timeout=20.0)
    study = optuna.create_study(storage=storage, study_name="s")
    flaky.faults = [("get_all_trials", "before")] * 100
    with pytest.raises(DatabaseUnreachable, match=r"unreachable for 20s \(--db-timeout 20s\)"):
        study.get_trials()
    assert sum(time_.sleeps) == pytest.approx(20.0)
    assert max(time_.sleeps) <= 10.0  # a server that is back is seen within 10 s
    assert storage.gave_up
    waited = len(time_.sleeps)
    with pytest.raises(DatabaseUnreachable):
        study.get_trials()
    assert len(time_.sleeps) == waited  # stopping: no second wait
    flaky.faults = []
    assert study.get_trials() == []  # the database is back: what is left gets stored


def test_an_error_that_is_not_the_connection_is_raised_at_once(flaky, time_):
    storage = retrying(flaky, time_)
    with pytest.raises(KeyError):
        storage.get_study_id_from_name("no such study")
    assert time_.sleeps == []
    assert not is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    no_table = sqlite3.OperationalError("no such table: trials")
    assert not is_transient(OperationalError("SELECT", {}, no_table))
    assert is_transient(
        OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
    )
    wrapped = optuna.exceptions.StorageInternalError("commit failed")
    wrapped.__cause__ = dropped()
    assert is_transient(wrapped)  # how Optuna raises it


def test_a_full_sqlite_database_is_waited_out_as_an_outage_is(tmp_path):
    # Otherwise each trial it cannot store would be retrained by Tune as if its worker had died.
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/full.db")
    with pytest.raises(OperationalError, match="database or disk is full") as full:
        with engine.begin() as db:
            db.exec_driver_sql("CREATE TABLE t (x TEXT)")
            db.exec_driver_sql("PRAGMA max_page_count = 3")  # SQLite's own full-disk error
            db.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    assert is_transient(full.value)


def test_a_tell_that_committed_before_the_connection_dropped_is_not_told_twice(flaky, time_):
    storage = retrying(flaky, time_)
    study = optuna.create_study(storage=storage, study_name="s", directions=["maximize"] * 2)
    trial = study.ask()
    flaky.faults = [("set_trial_state_values", "after")]
    study.tell(trial, [0.9, 3.0])
    (stored,) = study.get_trials()
    assert stored.state == optuna.trial.TrialState.COMPLETE and stored.values == [0.9, 3.0]
    # Tried again as it was, the tell fails: the trial is finished already.
    with pytest.raises(RuntimeError, match="finished"):
        flaky.set_trial_state_values(
            storage.get_trial_id_from_study_id_trial_number(study._study_id, 0),
            optuna.trial.TrialState.COMPLETE,
            [0.9, 3.0],
        )


def test_a_trial_created_before_the_connection_dropped_is_adopted_not_made_twice(flaky, time_):
    storage = retrying(flaky, time_)
    study = optuna.create_study(storage=storage, study_name="s")
    flaky.faults = [("create_new_trial", "after")]
    first = study.ask()
    assert first.number == 0
    flaky.faults = [("create_new_trial", "before")]  # never reached the database: made again
    second = study.ask()
    assert second.number == 1
    study.tell(first, 1.0)
    study.tell(second, 2.0)
    trials = study.get_trials()
    assert [(t.number, t.state.name, t.value) for t in trials] == [
        (0, "COMPLETE", 1.0),
        (1, "COMPLETE", 2.0),
    ]


def test_an_enqueued_trial_taken_before_the_connection_dropped_is_the_one_asked(flaky, time_):
    storage = retrying(flaky, time_)
    study = optuna.create_study(storage=storage, study_name="s")
    study.enqueue_trial({"x": 0.25})
    flaky.faults = [("set_trial_state_values", "after")]  # WAITING -> RUNNING committed
    trial = study.ask()
    assert trial.number == 0 and trial.suggest_float("x", 0, 1) == 0.25
    study.tell(trial, 1.0)
    assert [(t.number, t.state.name) for t in study.get_trials()] == [(0, "COMPLETE")]


def test_an_attribute_written_twice_is_stored_once(flaky, time_):
    storage = retrying(flaky, time_)
    study = optuna.create_study(storage=storage, study_name="s")
    trial = study.ask()
    flaky.faults = [("set_trial_user_attr", "after"), ("set_trial_user_attr", "before")]
    trial.set_user_attr("size_bytes", 1234)
    study.tell(trial, 1.0)
    (stored,) = study.get_trials()
    assert stored.user_attrs == {"size_bytes": 1234}


def test_durations_read_as_they_are_written():
    shown = [duration_text(s) for s in (20, 300, 90, 7200, 0, 37.44)]
    assert shown == ["20s", "5m", "90s", "2h", "0s", "37.4s"]
