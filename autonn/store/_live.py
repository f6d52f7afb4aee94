"""Reading searches cheaply and again and again, for a dashboard watching a search that runs.

`load_search` builds every trial through Optuna's ORM: right for one read, too slow for a page that
opens a 2,000-trial search (about 2 s of ORM objects) and then re-reads it every few seconds. Here a
`LiveSearch` reads Optuna's tables with plain SELECTs and keeps every finished trial it has read: a
COMPLETE, PRUNED or FAIL trial can never change in Optuna's storage, so each refresh reads only the
trials that are new or were still running. Nothing is written and nothing is copied elsewhere; the
records are the same `TrialRecord`s that `load_search` returns.

If Optuna's schema ever changes under these SELECTs, reading falls back to Optuna's own API.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from autonn.errors import StoreError
from autonn.store._open import DEFAULT_STORAGE, display_url, open_reader
from autonn.store._read import study_id_in_sql
from autonn.store._records import (
    CONFIG_ATTR,
    Search,
    SearchInfo,
    TrialRecord,
    trial_record,
    upgrade_attrs,
)
from autonn.store._tables import (
    ATTRS,
    DIRECTIONS,
    PARAMS,
    STUDIES,
    STUDY_ATTRS,
    TRIALS,
    VALUES,
    state_name,
)

logger = logging.getLogger("autonn.store")

FINISHED = frozenset({"COMPLETE", "PRUNED", "FAIL"})

# Above this many trials to read, select a study's rows by a sub-query instead of an IN list
# (SQLite before 3.32 allows 999 bound parameters).
_IN_LIMIT = 500
_FAST_TRIES = 3


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
        self._reader = open_reader(storage)  # Optuna's storage only if a plain read fails
        self._study_id = study_id_in_sql(self._reader, name, storage)
        self._info: SearchInfo | None = None
        self._records: dict[int, TrialRecord] = {}  # trial_id -> record
        self._fast_failures = 0
        self._search: Search | None = None

    def refresh(self) -> Search:
        with self._lock:
            if self._info is None:
                self._info = _search_info(self._reader, self._study_id, self.name)
            changed = self._read()
            if changed or self._search is None:
                self.version += 1
                trials = sorted(self._records.values(), key=lambda t: t.number)
                counts = dict(Counter(t.state for t in trials))
                info = SearchInfo(self._info.name, self._info.config, self._info.objectives, counts)
                self._search = Search(info=info, trials=trials, storage=self.storage)
            return self._search

    def _read(self) -> bool:
        # A failing plain read (a busy database, or a schema these SELECTs do not know) falls back
        # to Optuna's API for this refresh; after a few failures in a row, for good.
        if self._fast_failures < _FAST_TRIES:
            try:
                changed = self._read_new()
                self._fast_failures = 0
                return changed
            except SQLAlchemyError as exc:
                self._fast_failures += 1
                logger.warning("plain read of %s failed (%s); using Optuna's API", self.name, exc)
        try:
            return self._read_all()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read {display_url(self.storage)}: {exc}") from exc

    def _read_new(self) -> bool:
        with self._reader.connect() as conn:
            here = select(STUDIES.c.study_name).where(STUDIES.c.study_id == self._study_id)
            if conn.execute(here).scalar() != self.name:
                self._restart()  # deleted, perhaps made again under the same name
            # States first: a trial read as finished here had all its rows written before.
            rows = conn.execute(select(TRIALS).where(TRIALS.c.study_id == self._study_id)).all()
            if _replaced(self._records, rows):
                # SQLite reuses the ids of a deleted study and its trials: a search deleted and
                # made again under the same name shows as trials that are gone or not the same.
                self._restart()
            known = self._records
            wanted = {r.trial_id: r for r in rows if not _finished_known(known.get(r.trial_id))}
            self.fetched = len(wanted)
            if not wanted:
                return False
            children = self._children(conn, list(wanted))
        objectives = self._info.objectives
        changed = False
        for trial_id, row in wanted.items():
            values, params, attrs = children.get(trial_id, ({}, [], {}))
            record = TrialRecord(
                number=row.number,
                state=state_name(row.state),
                values=_named(values, objectives),
                params=dict(params),
                attrs=upgrade_attrs(attrs),
                started=row.datetime_start,
                finished=row.datetime_complete,
                metric=self._info.metric,
            )
            changed = changed or known.get(trial_id) != record
            known[trial_id] = record
        return changed

    def _restart(self) -> None:
        try:
            self._study_id = study_id_in_sql(self._reader, self.name, self.storage)
        except StoreError:
            raise StoreError(f"the search {self.name!r} is no longer in the database") from None
        self._info = _search_info(self._reader, self._study_id, self.name)
        self._records = {}

    def _children(self, conn, ids: list[int]) -> dict[int, tuple[dict, list, dict]]:
        if len(ids) <= _IN_LIMIT:
            wanted = set(ids)

            def where(t):
                return t.c.trial_id.in_(ids)
        else:
            wanted = set(ids)
            of_study = select(TRIALS.c.trial_id).where(TRIALS.c.study_id == self._study_id)

            def where(t):
                return t.c.trial_id.in_(of_study.scalar_subquery())

        out: dict[int, tuple[dict, list, dict]] = {i: ({}, [], {}) for i in wanted}
        for r in conn.execute(
            select(VALUES.c.trial_id, VALUES.c.objective, VALUES.c.value, VALUES.c.value_type)
            .where(where(VALUES))
            .order_by(VALUES.c.trial_value_id)
        ):
            if r.trial_id in wanted:
                out[r.trial_id][0][r.objective] = _stored_value(r.value, r.value_type)
        for r in conn.execute(
            select(
                PARAMS.c.trial_id,
                PARAMS.c.param_name,
                PARAMS.c.param_value,
                PARAMS.c.distribution_json,
            )
            .where(where(PARAMS))
            .order_by(PARAMS.c.param_id)
        ):
            if r.trial_id in wanted:
                external = _to_external(r.distribution_json)(r.param_value)
                out[r.trial_id][1].append((r.param_name, external))
        for r in conn.execute(
            select(ATTRS.c.trial_id, ATTRS.c.key, ATTRS.c.value_json)
            .where(where(ATTRS))
            .order_by(ATTRS.c.trial_user_attribute_id)
        ):
            if r.trial_id in wanted:
                out[r.trial_id][2][r.key] = json.loads(r.value_json)
        return out

    def _read_all(self) -> bool:
        rdb = self._reader.rdb
        frozen = rdb.get_all_trials(self._study_id, deepcopy=False)
        # Keyed as the SQL path keys them; the storage's public lookup, one query a trial, on
        # this fallback path only.
        trial_id = functools.partial(rdb.get_trial_id_from_study_id_trial_number, self._study_id)
        self._records = {trial_id(t.number): trial_record(t, self._info.objectives) for t in frozen}
        self.fetched = len(frozen)
        return True


def _search_info(reader, study_id: int, name: str) -> SearchInfo:
    try:
        with reader.connect() as conn:
            config = conn.execute(
                select(STUDY_ATTRS.c.value_json).where(
                    STUDY_ATTRS.c.study_id == study_id, STUDY_ATTRS.c.key == CONFIG_ATTR
                )
            ).scalar()
            n_objectives = len(
                conn.execute(
                    select(DIRECTIONS.c.objective).where(DIRECTIONS.c.study_id == study_id)
                )
                .scalars()
                .all()
            )
        return SearchInfo.from_config(name, json.loads(config) if config else {}, n_objectives, {})
    except SQLAlchemyError as exc:
        logger.warning("plain read of %s failed (%s); using Optuna's API", name, exc)
    rdb = reader.rdb
    config = rdb.get_study_user_attrs(study_id).get(CONFIG_ATTR, {})
    return SearchInfo.from_config(name, config, len(rdb.get_study_directions(study_id)), {})


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


def _named(values: dict[int, float], objectives: tuple[str, ...]) -> dict[str, float]:
    if len(values) != len(objectives):
        return {}
    return {objectives[i]: values[i] for i in range(len(objectives))}


def _finished_known(record: TrialRecord | None) -> bool:
    return record is not None and record.state in FINISHED


def _stored_value(value: float | None, value_type: Any) -> float:
    kind = str(getattr(value_type, "name", value_type))
    if kind == "INF_POS":
        return math.inf
    if kind == "INF_NEG":
        return -math.inf
    return float(value)


@functools.lru_cache(maxsize=1024)
def _to_external(distribution_json: str):
    """A stored param value (a float) -> the value the trial saw, as the distribution's
    `to_external_repr` gives it. A search has a handful of distinct distributions; parsing each
    once is most of the saving. The three distributions Optuna writes are done here, as Optuna
    does them (importing Optuna costs 0.2 s a process); any other goes through Optuna."""
    stored = json.loads(distribution_json)
    name = stored.get("name")
    if name == "FloatDistribution":
        return float
    if name == "IntDistribution":
        return int
    if name == "CategoricalDistribution":
        choices = tuple(stored["attributes"]["choices"])
        return lambda value: choices[int(value)]
    from optuna.distributions import json_to_distribution

    return json_to_distribution(distribution_json).to_external_repr
