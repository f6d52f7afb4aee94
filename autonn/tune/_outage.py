"""--db-timeout: a search whose database stays out of reach stops as Ctrl-C stops it.

The driver's storage (autonn.store._retry.RetryingStorage) waits out a short outage by itself:
Tune's loop is held in the searcher's write meanwhile, and the workers' results queue up. Once
an outage outlasts the bound the storage gives up, and then:

- the searcher's call that met it returns without storing (`AutonnSearcher` keeps the trial
  open), and asks for no new trial;
- `DatabaseOutage.stop_all` ends the search at Tune's next step: running trials are stopped,
  exactly as after Ctrl-C;
- trials left open are closed as interrupted if the database is back by then, or else by
  `--resume`, which closes every trial a driver left RUNNING; neither counts, so a resumed
  search reaches the exact count;
- the last line says to resume once the database is back, and the exit code is 75
  (EX_TEMPFAIL: a temporary failure, try again later).
"""

from __future__ import annotations

import logging

from ray import tune

from autonn._durations import duration_text
from autonn.errors import SearchInterrupted
from autonn.store._retry import DatabaseUnreachable, RetryingStorage

logger = logging.getLogger("autonn.tune")

EXIT_CODE = 75  # sysexits.h EX_TEMPFAIL


class DatabaseOutage(tune.Stopper):
    """A Tune Stopper that ends the whole search once the driver's storage gave up."""

    def __init__(self, storage: RetryingStorage) -> None:
        self.storage: RetryingStorage | None = storage  # the searcher's (autonn.store.retrying)
        self.timeout = storage.timeout

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False  # no single trial is stopped for it

    def stop_all(self) -> bool:
        return self.tripped

    @property
    def tripped(self) -> bool:
        return self.storage is not None and self.storage.gave_up

    def __getstate__(self) -> dict:
        # Tune pickles its run config for Tuner.restore, which autonn does not use (the
        # database is a search's state); a live storage, with its locks, does not pickle.
        return {"storage": None, "timeout": self.timeout}

    def error(self, name: str, stored: int, total: int) -> SearchInterrupted:
        return SearchInterrupted(
            f"search {name!r} stopped after {stored} of {total} trials: the database was "
            f"unreachable for longer than --db-timeout {duration_text(self.timeout)} (what "
            f"finished is stored); once it is back, add --resume --name {name} to the same "
            "command to continue it",
            exit_code=EXIT_CODE,
        )


def held_on_outage(method):
    """For the searcher's methods that Tune calls: when the storage gives up, return None (no
    trial to suggest; nothing stored) instead of raising inside Tune's loop, which would end
    the search with a traceback and without closing its trials. The search stops at Tune's
    next step (DatabaseOutage.stop_all)."""
    import functools

    @functools.wraps(method)
    def held(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if not gave_up(exc):
                raise
            logger.debug("%s: %s", method.__name__, exc)
            return None

    return held


def gave_up(exc: BaseException | None) -> bool:
    """Whether `exc` is the storage giving up, or caused by it: the space's own code, which
    suggest runs, reports what it raised as a UsageError (autonn.space)."""
    while exc is not None:
        if isinstance(exc, DatabaseUnreachable):
            return True
        exc = exc.__cause__
    return False
