"""Reading a search again and again, cheaply, for a dashboard watching a search that runs.

A `LiveSearch` reads through _query, the one read path, and keeps every finished trial it has
read: a COMPLETE, PRUNED or FAIL trial can never change in Optuna's storage, so each refresh reads
only the trials that are new or were still running. `load_search` is a LiveSearch's first read.
Nothing is written and nothing is copied elsewhere.
"""

from __future__ import annotations

import threading
from collections import Counter

from autonn.errors import StoreError
from autonn.store import _query
from autonn.store._open import DEFAULT_STORAGE, open_reader
from autonn.store._read import find_study
from autonn.store._records import Search, SearchInfo, TrialRecord
from autonn.store._tables import state_name

FINISHED = frozenset({"COMPLETE", "PRUNED", "FAIL"})


class LiveSearch:
    """One search, re-read cheaply: `refresh()` returns it as stored now.

    The first refresh reads every trial; later ones read only trials that appeared or were not
    finished last time. Safe to share between threads (a dashboard's sessions share one).
    """

    def __init__(self, name: str, storage: str = DEFAULT_STORAGE) -> None:
        self.name = name
        self.storage = storage
        self.version = 0  # goes up whenever a refresh found something new
        self.fetched = 0  # trials read by the last refresh (what a refresh costs)
        self._lock = threading.Lock()
        self._reader = open_reader(storage)
        self._study_id = find_study(self._reader, name)
        self._info: SearchInfo | None = None
        self._records: dict[int, TrialRecord] = {}  # trial_id -> record
        self._search: Search | None = None

    def refresh(self) -> Search:
        with self._lock:
            changed = _query.run(self._reader, self._read)
            if changed or self._search is None:
                self.version += 1
                trials = sorted(self._records.values(), key=lambda t: t.number)
                counts = dict(Counter(t.state for t in trials))
                info = SearchInfo(self._info.name, self._info.config, self._info.objectives, counts)
                self._search = Search(info=info, trials=trials, storage=self.storage)
            return self._search

    def _read(self, conn) -> bool:
        if self._info is None or _query.study_id(conn, self.name) != self._study_id:
            self._restart(conn)  # first read; or deleted, perhaps made again under the same name
        # States first: a trial read as finished here had all its rows written before.
        rows = _query.trial_rows(conn, self._study_id)
        if _replaced(self._records, rows):
            # SQLite reuses the ids of a deleted study and its trials: a search deleted and made
            # again under the same name shows as trials that are gone or not the same.
            self._restart(conn)
        wanted = [r for r in rows if not _finished_known(self._records.get(r.trial_id))]
        self.fetched = len(wanted)
        if not wanted:
            return False
        new = _query.records(conn, self._study_id, wanted, self._info)
        changed = any(self._records.get(i) != record for i, record in new.items())
        self._records.update(new)
        return changed

    def _restart(self, conn) -> None:
        found = _query.study_id(conn, self.name)
        if found is None:
            raise StoreError(f"the search {self.name!r} is no longer in the database")
        self._study_id = found
        self._info = _query.search_info(conn, found, self.name)
        self._records = {}


def _replaced(known: dict[int, TrialRecord], rows) -> bool:
    if not known:
        return False
    if len(known.keys() - {r.trial_id for r in rows}) > 0:
        return True
    for r in rows:
        record = known.get(r.trial_id)
        if record is not None and (
            record.number != r.number
            or record.started != r.datetime_start
            or (record.state in FINISHED and record.state != state_name(r.state))
        ):
            return True
    return False


def _finished_known(record: TrialRecord | None) -> bool:
    return record is not None and record.state in FINISHED
