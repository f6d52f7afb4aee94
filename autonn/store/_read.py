"""Reading searches and trials back from the database."""

from __future__ import annotations

import json
import logging
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from autonn.errors import StoreError
from autonn.store._open import DEFAULT_STORAGE, display_url, open_reader, open_storage
from autonn.store._records import CONFIG_ATTR, Search, SearchInfo, trial_record
from autonn.store._tables import DIRECTIONS, STUDIES, STUDY_ATTRS, TRIALS, state_name

logger = logging.getLogger("autonn.store")


def list_searches(storage: str = DEFAULT_STORAGE) -> list[SearchInfo]:
    """Every search in the database, oldest first, with trial counts by state.

    The counts are taken in SQL: building every trial through Optuna's API (`_list_via_optuna`)
    costs about 0.75 s per thousand trials (bench/dashboard.py), too slow for a cluster's database
    of many large searches. If these SELECTs fail (a schema they do not know), Optuna's API
    reads instead.
    """
    reader = open_reader(storage)
    try:
        return _list_in_sql(reader)
    except SQLAlchemyError as exc:
        # Opening Optuna's storage raises what open_storage would (a schema of another
        # version, say); a database without Optuna's tables gets them, as before.
        rdb = reader.rdb
        where = display_url(storage)
        logger.warning("plain read of %s failed (%s); using Optuna's API", where, exc)
    try:
        return _list_via_optuna(rdb)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read {display_url(storage)}: {exc}") from exc


def _list_in_sql(reader) -> list[SearchInfo]:
    with reader.connect() as conn:
        studies = conn.execute(select(STUDIES).order_by(STUDIES.c.study_id)).all()
        counts: dict[int, Counter] = {s.study_id: Counter() for s in studies}
        by_state = select(TRIALS.c.study_id, TRIALS.c.state, func.count()).group_by(
            TRIALS.c.study_id, TRIALS.c.state
        )
        for study_id, state, n in conn.execute(by_state):
            counts.setdefault(study_id, Counter())[state_name(state)] = n
        n_objectives = Counter(r.study_id for r in conn.execute(select(DIRECTIONS.c.study_id)))
        configs = select(STUDY_ATTRS.c.study_id, STUDY_ATTRS.c.value_json).where(
            STUDY_ATTRS.c.key == CONFIG_ATTR
        )
        config = {r.study_id: json.loads(r.value_json) for r in conn.execute(configs)}
    return [
        SearchInfo.from_config(
            s.study_name, config.get(s.study_id, {}), n_objectives[s.study_id], counts[s.study_id]
        )
        for s in studies
    ]


def _list_via_optuna(rdb) -> list[SearchInfo]:
    infos = []
    for study in rdb.get_all_studies():
        study_id = rdb.get_study_id_from_name(study.study_name)
        trials = rdb.get_all_trials(study_id, deepcopy=False)
        counts = Counter(t.state.name for t in trials)
        infos.append(
            SearchInfo.from_config(
                study.study_name, study.user_attrs.get(CONFIG_ATTR), len(study.directions), counts
            )
        )
    return infos


def load_search(name: str, storage: str = DEFAULT_STORAGE) -> Search:
    """A search's info and all its trials, in trial-number order."""
    rdb = open_storage(storage)
    study_id = study_id_of(rdb, name, storage)
    attrs = rdb.get_study_user_attrs(study_id)
    frozen = rdb.get_all_trials(study_id, deepcopy=False)
    info = SearchInfo.from_config(
        name, attrs.get(CONFIG_ATTR), len(rdb.get_study_directions(study_id)), Counter()
    )
    trials = [trial_record(t, info.objectives) for t in frozen]
    counts = Counter(t.state for t in trials)
    info = SearchInfo(info.name, info.config, info.objectives, dict(counts))
    return Search(info=info, trials=trials, storage=storage)


def study_id_in_sql(reader, name: str, storage: str) -> int:
    """`study_id_of` with a plain SELECT; Optuna's API if that fails."""
    try:
        with reader.connect() as conn:
            found = conn.execute(
                select(STUDIES.c.study_id).where(STUDIES.c.study_name == name)
            ).scalar()
    except SQLAlchemyError as exc:
        logger.debug("plain read of %s failed (%s); using Optuna's API", name, exc)
        return study_id_of(reader.rdb, name, storage)
    return found if found is not None else study_id_of(reader.rdb, name, storage)


def study_id_of(rdb, name: str, storage: str) -> int:
    import optuna

    try:
        return rdb.get_study_id_from_name(name)
    except KeyError:
        known = [s.study_name for s in rdb.get_all_studies()]
        hint = f"searches there: {', '.join(known)}" if known else "it holds no search yet"
        raise StoreError(f"no search named {name!r} in {display_url(storage)}; {hint}") from None
    except optuna.exceptions.OptunaError as exc:
        raise StoreError(str(exc)) from exc
