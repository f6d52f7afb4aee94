"""The one read path to the database: plain SELECTs on Optuna's tables (_tables) and one decoder
from their rows to autonn's records. `list_searches`, `load_search` and `LiveSearch` (and through
it the dashboard) all read here.

Not Optuna's `RDBStorage.get_all_trials`: it builds every trial as ORM objects, about 0.75 s per
1,000 trials, and opening an RDBStorage sets up alembic (0.4 s a process). What Optuna encodes,
Optuna decodes: a parameter's stored float becomes the value the trial saw through its
distribution's own `to_external_repr` (`optuna.distributions`, public). The one encoding read here
is an objective value's (a float, or NULL with `value_type` INF_POS or INF_NEG): Optuna has no
public function for it. tests/store/test_read.py holds every record against
`optuna.load_study(...).trials`, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from autonn.errors import StoreError
from autonn.store._open import display_url
from autonn.store._records import CONFIG_ATTR, SearchInfo, TrialRecord, upgrade_attrs
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

T = TypeVar("T")
# Up to this many trials are selected by an IN list; more by the study (a sub-query), which
# also keeps under SQLite's old limit of 999 bound parameters.
_IN_LIMIT = 500


def run(reader, read: Callable[[Any], T]) -> T:
    """`read(conn)` on a connection of `reader`. If it fails, Optuna's storage is opened once:
    that gives a database without Optuna's tables its tables, and says in a StoreError when the
    schema is of another Optuna version; then `read` is tried again."""
    try:
        with reader.connect() as conn:
            return read(conn)
    except SQLAlchemyError:
        reader.rdb  # noqa: B018 - sets up or checks the schema; raises StoreError if it cannot
    try:
        with reader.connect() as conn:
            return read(conn)
    except SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0]
        raise StoreError(f"cannot read {display_url(reader.url)}: {first}") from exc


def study_id(conn, name: str) -> int | None:
    return conn.execute(select(STUDIES.c.study_id).where(STUDIES.c.study_name == name)).scalar()


def study_names(conn) -> list[str]:
    return list(conn.execute(select(STUDIES.c.study_name).order_by(STUDIES.c.study_id)).scalars())


def search_infos(conn) -> list[SearchInfo]:
    """Every search, oldest first, with its trials counted by state (in SQL)."""
    studies = conn.execute(select(STUDIES).order_by(STUDIES.c.study_id)).all()
    counts: dict[int, Counter] = {s.study_id: Counter() for s in studies}
    by_state = select(TRIALS.c.study_id, TRIALS.c.state, func.count()).group_by(
        TRIALS.c.study_id, TRIALS.c.state
    )
    for sid, state, n in conn.execute(by_state):
        counts.setdefault(sid, Counter())[state_name(state)] = n
    n_objectives = Counter(conn.execute(select(DIRECTIONS.c.study_id)).scalars())
    configs = select(STUDY_ATTRS.c.study_id, STUDY_ATTRS.c.value_json).where(
        STUDY_ATTRS.c.key == CONFIG_ATTR
    )
    config = {r.study_id: json.loads(r.value_json) for r in conn.execute(configs)}
    return [
        SearchInfo.from_config(
            s.study_name, config.get(s.study_id), n_objectives[s.study_id], counts[s.study_id]
        )
        for s in studies
    ]


def search_info(conn, sid: int, name: str) -> SearchInfo:
    """One search's name, config and objectives (no counts)."""
    config = conn.execute(
        select(STUDY_ATTRS.c.value_json).where(
            STUDY_ATTRS.c.study_id == sid, STUDY_ATTRS.c.key == CONFIG_ATTR
        )
    ).scalar()
    n_objectives = conn.execute(
        select(func.count()).select_from(DIRECTIONS).where(DIRECTIONS.c.study_id == sid)
    ).scalar()
    return SearchInfo.from_config(name, json.loads(config) if config else {}, n_objectives, {})


def trial_rows(conn, sid: int) -> list:
    """The study's trials (id, number, state, times), without their values, params or attrs."""
    return conn.execute(select(TRIALS).where(TRIALS.c.study_id == sid)).all()


def records(conn, sid: int, rows: Iterable, info: SearchInfo) -> dict[int, TrialRecord]:
    """The records of the trials in `rows` (of study `sid`), by trial id: the one decoder."""
    rows = {r.trial_id: r for r in rows}
    values, params, attrs = _children(conn, sid, list(rows))
    return {
        trial_id: TrialRecord(
            number=row.number,
            state=state_name(row.state),
            values=_named(values.get(trial_id, {}), info.objectives),
            params=dict(params.get(trial_id, ())),
            attrs=upgrade_attrs(attrs.get(trial_id, {})),
            started=row.datetime_start,
            finished=row.datetime_complete,
            metric=info.metric,
        )
        for trial_id, row in rows.items()
    }


def _children(conn, sid: int, ids: list[int]):
    """The values, params and user attributes of trials `ids`, each by trial id, in the order
    Optuna wrote them."""
    wanted = set(ids)
    if len(ids) <= _IN_LIMIT:

        def where(table):
            return table.c.trial_id.in_(ids)
    else:
        of_study = select(TRIALS.c.trial_id).where(TRIALS.c.study_id == sid).scalar_subquery()

        def where(table):
            return table.c.trial_id.in_(of_study)

    # Rows as plain tuples, fetched at once: on 10,000 trials, attribute access on SQLAlchemy's
    # rows and fetching one at a time cost more than the SELECTs.
    values: dict[int, dict[int, float]] = {}
    v = VALUES.c
    query = select(v.trial_id, v.objective, v.value, v.value_type).where(where(VALUES))
    for trial_id, objective, value, value_type in conn.execute(
        query.order_by(v.trial_value_id)
    ).all():
        if trial_id in wanted:
            values.setdefault(trial_id, {})[objective] = _objective_value(value, value_type)
    params: dict[int, list[tuple[str, Any]]] = {}
    p = PARAMS.c
    query = select(p.trial_id, p.param_name, p.param_value, p.distribution_json)
    decoders: dict[str, Callable[[float], Any]] = {}  # a search has a handful of distributions
    for trial_id, name, value, distribution in conn.execute(
        query.where(where(PARAMS)).order_by(p.param_id)
    ).all():
        if trial_id in wanted:
            decode = decoders.get(distribution) or decoders.setdefault(
                distribution, _to_external(distribution)
            )
            params.setdefault(trial_id, []).append((name, decode(value)))
    attrs: dict[int, dict[str, Any]] = {}
    a = ATTRS.c
    query = select(a.trial_id, a.key, a.value_json).where(where(ATTRS))
    rows = conn.execute(query.order_by(a.trial_user_attribute_id)).all()
    # Each value is a JSON text: parsed as one JSON array, which costs a third of parsing them
    # one by one (most are short numbers, where json.loads' own overhead is most of the cost).
    decoded = json.loads("[" + ",".join(r[2] for r in rows) + "]")
    for (trial_id, key, _), value in zip(rows, decoded, strict=True):
        if trial_id in wanted:
            attrs.setdefault(trial_id, {})[key] = value
    return values, params, attrs


def _named(values: dict[int, float], objectives: tuple[str, ...]) -> dict[str, float]:
    if len(values) != len(objectives):
        return {}
    return {objectives[i]: values[i] for i in range(len(objectives))}


def _objective_value(value: float | None, value_type: Any) -> float:
    """Optuna stores an infinite objective as NULL with its sign in `value_type`."""
    kind = state_name(value_type)
    if kind == "INF_POS":
        return math.inf
    if kind == "INF_NEG":
        return -math.inf
    return float(value)


@functools.lru_cache(maxsize=1024)
def _to_external(distribution_json: str) -> Callable[[float], Any]:
    """The stored float -> the value the trial saw, by the distribution Optuna stored with it.
    A search has a handful of distinct distributions: each is parsed once."""
    from optuna.distributions import json_to_distribution

    return json_to_distribution(distribution_json).to_external_repr
