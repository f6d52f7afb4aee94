"""Reading searches and trials back from the database."""

from __future__ import annotations

from collections import Counter

from autonn.errors import StoreError
from autonn.store._open import DEFAULT_STORAGE, display_url, open_storage
from autonn.store._records import CONFIG_ATTR, Search, SearchInfo, trial_record


def list_searches(storage: str = DEFAULT_STORAGE) -> list[SearchInfo]:
    """Every search in the database, oldest first, with trial counts by state."""
    rdb = open_storage(storage)
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
