"""The search driver's storage rides out a database that goes away for a while.

PostgreSQL is restarted, or fails over, in the middle of a night's search. Optuna's RDBStorage
raises on the next read or write, and one raise inside Ray Tune's loop would end the search.
`RetryingStorage` is an `optuna.storages.BaseStorage` (Optuna's public storage interface) around
the driver's storage: a call that fails because the server cannot be reached is tried again,
with exponential backoff, until the outage has lasted `timeout` seconds. It says once that it
is waiting and once that the database is back. Past the bound it raises `DatabaseUnreachable`
and remembers it (`gave_up`): the search then stops as Ctrl-C stops it (autonn.tune._outage),
and every later call is tried once, without waiting, so that what can still be stored is stored
when the database is back.

A retried write must not be applied twice. A connection can drop after the server committed but
before the client heard so; the write then raised, yet it happened. Most of Optuna's writes are
upserts (attributes, intermediate values; a parameter's second insert is ignored), so trying
them again is harmless. The others are checked against the database before they are tried
again:
- create_new_trial: a RUNNING trial this storage never handed out, started since the call
  began, is the one the dropped commit made; it is adopted instead of creating a second one;
- set_trial_state_values: a trial already in the wanted state with the wanted values was told;
  trying again would raise (a finished trial cannot be updated) or, for WAITING -> RUNNING,
  return False and leave the trial RUNNING with nobody running it;
- create_new_study: a study by that name is the one it created; delete_study: a study that is
  gone was deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Container, Sequence
from datetime import datetime
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from autonn._durations import duration_text
from autonn.errors import StoreError

logger = logging.getLogger("autonn.store")

FIRST_WAIT = 0.5  # seconds before the first retry; doubles each time
LONGEST_WAIT = 10.0  # seconds between two tries at most: a server back is seen within this
_NOT_APPLIED = object()


class DatabaseUnreachable(StoreError):
    """The database could not be reached for longer than the search's --db-timeout."""


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it: Optuna wraps SQLAlchemy's errors in its own) says the
    database could not be reached: a refused or dropped connection, a server shutting down, a
    connection the pool found dead. SQL that is wrong, or data that breaks a constraint, is not.
    """
    from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DisconnectionError):
            return True
        if isinstance(exc, OperationalError) and not _sqlite_mistake(exc.orig):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if _is_psycopg_operational(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _sqlite_mistake(orig) -> bool:
    """SQLite raises OperationalError for wrong SQL and a missing table too: those are not
    worth five minutes of retries. A locked or busy file, or one it cannot open, is; so is a full
    disk, as PostgreSQL's DiskFull is: space may come back, else the search stops as for an
    outage, with what finished stored, instead of retraining each trial it cannot store."""
    import sqlite3

    if not isinstance(orig, sqlite3.OperationalError):
        return False
    message = str(orig).lower()
    return not any(
        word in message for word in ("locked", "busy", "unable to open", "disk i/o", "is full")
    )


def _is_psycopg_operational(exc: BaseException) -> bool:
    """psycopg's own OperationalError (connection refused, server closed the connection), when
    it reaches here without SQLAlchemy's wrapper."""
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError)


class RetryingStorage(BaseStorage):
    """`storage`, with every call tried again while the database is out of reach, for up to
    `timeout` seconds of one outage (see the module's docstring). `label` names the database in
    messages (a URL without its password). `sleep` and `clock` are time.sleep and
    time.monotonic, replaced in tests."""

    def __init__(
        self,
        storage: BaseStorage,
        *,
        timeout: float,
        label: str = "the database",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.timeout = timeout
        self.label = label
        self.gave_up = False  # an outage outlasted the bound: the search is stopping
        self.outages = 0  # how many began, for the tests and the search's summary
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._since: float | None = None  # when the outage now going on began
        self._wait = FIRST_WAIT
        self._handed_out: set[int] = set()  # trials this storage created (or adopted)

    def __getstate__(self) -> dict:
        # Tune pickles the searcher, and with it the study and its storage, for Tuner.restore;
        # Optuna's storages drop their locks and sessions the same way.
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- the retry loop -------------------------------------------------------------------------

    def _call(self, method: Callable, *args, applied: Callable[[], Any] | None = None, **kwargs):
        """method(*args, **kwargs), tried until it returns or the outage passes the bound.
        `applied`, after a failed try: the call's result if that try took effect after all,
        else _NOT_APPLIED."""
        tried = False
        while True:
            try:
                if tried and applied is not None:
                    result = applied()
                    if result is not _NOT_APPLIED:
                        break
                result = method(*args, **kwargs)
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise
                tried = True
                self._wait_or_give_up(exc)
        self._back()
        return result

    def _wait_or_give_up(self, exc: BaseException) -> None:
        with self._lock:
            now = self._clock()
            if self._since is None:
                self._since, self._wait = now, FIRST_WAIT
                self.outages += 1
                if not self.gave_up:  # said once: every retry would flood the log
                    logger.warning(
                        "database unreachable (%s); retrying for up to %s",
                        _first_line(exc),
                        duration_text(self.timeout),
                    )
            waited = now - self._since
            if self.gave_up or waited >= self.timeout:
                if not self.gave_up:
                    logger.error(
                        "database still unreachable after %s; stopping the search",
                        duration_text(waited),
                    )
                self.gave_up = True
                raise DatabaseUnreachable(
                    f"{self.label} was unreachable for {duration_text(waited)} "
                    f"(--db-timeout {duration_text(self.timeout)}): {_first_line(exc)}"
                ) from exc
            wait = min(self._wait, self.timeout - waited)
            self._wait = min(self._wait * 2, LONGEST_WAIT)
        self._sleep(wait)

    def _back(self) -> None:
        if self._since is None:
            return
        with self._lock:
            if self._since is None:
                return
            logger.warning(
                "database reachable again after %s", duration_text(self._clock() - self._since)
            )
            self._since = None

    # -- writes that are checked before they are tried again ------------------------------------

    def create_new_study(
        self, directions: Sequence[optuna.study.StudyDirection], study_name: str | None = None
    ) -> int:
        def applied():
            if study_name is None:
                return _NOT_APPLIED
            try:
                return self.storage.get_study_id_from_name(study_name)
            except KeyError:
                return _NOT_APPLIED

        return self._call(self.storage.create_new_study, directions, study_name, applied=applied)

    def delete_study(self, study_id: int) -> None:
        def applied():
            try:
                self.storage.get_study_name_from_id(study_id)
            except KeyError:
                return None
            return _NOT_APPLIED

        return self._call(self.storage.delete_study, study_id, applied=applied)

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        began = datetime.now()  # the clock Optuna stamps a new trial's start with

        def applied():
            if template_trial is not None:  # an enqueued trial: nothing tells it apart; rare
                return _NOT_APPLIED
            return self._orphan(study_id, began)

        trial_id = self._call(
            self.storage.create_new_trial, study_id, template_trial, applied=applied
        )
        self._handed_out.add(trial_id)
        return trial_id

    def _orphan(self, study_id: int, began: datetime):
        """The trial a create_new_trial whose connection dropped made after all, or
        _NOT_APPLIED. Only the driver creates trials (one driver a search: autonn.tune._lease),
        so a RUNNING one it never handed out, started since the call began, is that one."""
        found = []
        for trial in self.storage.get_all_trials(
            study_id, deepcopy=False, states=(TrialState.RUNNING,)
        ):
            if trial.datetime_start is None or trial.datetime_start < began:
                continue
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            if trial_id not in self._handed_out:
                found.append((trial.number, trial_id))
        if not found:
            return _NOT_APPLIED
        if len(found) > 1:  # Optuna retried the insert itself; the others stay RUNNING
            logger.warning(
                "trials %s were created while the connection dropped; trial %d is used",
                [n for n, _ in found],
                min(found)[0],
            )
        return min(found)[1]

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        def applied():
            trial = self.storage.get_trial(trial_id)
            told = trial.state == state and (
                values is None or list(trial.values or []) == [float(v) for v in values]
            )
            return True if told else _NOT_APPLIED

        return self._call(
            self.storage.set_trial_state_values, trial_id, state, values, applied=applied
        )

    # -- writes that are upserts: trying them again is harmless ---------------------------------

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        return self._call(self.storage.set_study_user_attr, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        return self._call(self.storage.set_study_system_attr, study_id, key, value)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: optuna.distributions.BaseDistribution,
    ) -> None:
        return self._call(
            self.storage.set_trial_param, trial_id, param_name, param_value_internal, distribution
        )

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        return self._call(
            self.storage.set_trial_intermediate_value, trial_id, step, intermediate_value
        )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        return self._call(self.storage.set_trial_user_attr, trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        return self._call(self.storage.set_trial_system_attr, trial_id, key, value)

    # -- reads ----------------------------------------------------------------------------------

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._call(self.storage.get_study_id_from_name, study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._call(self.storage.get_study_name_from_id, study_id)

    def get_study_directions(self, study_id: int) -> list[optuna.study.StudyDirection]:
        return self._call(self.storage.get_study_directions, study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call(self.storage.get_study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call(self.storage.get_study_system_attrs, study_id)

    def get_all_studies(self) -> list[optuna.study.FrozenStudy]:
        return self._call(self.storage.get_all_studies)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call(self.storage.get_trial, trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        return self._call(self.storage.get_all_trials, study_id, deepcopy=deepcopy, states=states)

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        return self._call(self.storage.get_n_trials, study_id, state)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._call(
            self.storage.get_trial_id_from_study_id_trial_number, study_id, trial_number
        )

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._call(self.storage.get_trial_number_from_id, trial_id)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return self._call(self.storage.get_best_trial, study_id)

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        return self._call(self.storage.get_trial_param, trial_id, param_name)

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        return self._call(self.storage.get_trial_params, trial_id)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._call(self.storage.get_trial_user_attrs, trial_id)

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._call(self.storage.get_trial_system_attrs, trial_id)

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        self.storage.check_trial_is_updatable(trial_id, trial_state)  # no database involved

    def remove_session(self) -> None:
        self.storage.remove_session()


def retrying(storage: BaseStorage, *, timeout: float, label: str) -> RetryingStorage:
    """The driver's storage: `storage` (an RDBStorage) behind Optuna's cache of finished trials,
    then retried. The cache is what `optuna.load_study` puts in front of an RDBStorage itself
    (`optuna.storages.get_storage`); a study loaded on a storage of another class goes without
    it and reads every trial again on each ask."""
    cached = getattr(optuna.storages, "get_storage", lambda s: s)(storage)
    return RetryingStorage(cached, timeout=timeout, label=label)


def _first_line(exc: BaseException) -> str:
    """The first line of the deepest cause: Optuna's wrapper says only that a commit failed."""
    from sqlalchemy.exc import DBAPIError

    root = exc
    while True:  # SQLAlchemy keeps the driver's error as `orig`, Optuna its own as the cause
        below = root.orig if isinstance(root, DBAPIError) else root.__cause__
        if not isinstance(below, BaseException):
            break
        root = below
    text = str(root).strip()
    return text.splitlines()[0] if text else type(root).__name__
