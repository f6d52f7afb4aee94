"""Reading searches and trials back from the database: all through _query's one read path."""

from __future__ import annotations

from autonn.errors import StoreError
from autonn.store import _query
from autonn.store._open import DEFAULT_STORAGE, display_url, open_reader
from autonn.store._records import Search, SearchInfo


def list_searches(storage: str = DEFAULT_STORAGE) -> list[SearchInfo]:
    """Every search in the database, oldest first, with trial counts by state (taken in SQL, so
    a database of many large searches lists in milliseconds)."""
    return _query.run(open_reader(storage), _query.search_infos)


def load_search(name: str, storage: str = DEFAULT_STORAGE) -> Search:
    """A search's info and all its trials, in trial-number order: a `LiveSearch`'s first read."""
    from autonn.store._live import LiveSearch

    return LiveSearch(name, storage).refresh()


def find_study(reader, name: str) -> int:
    """The study id of search `name`; a StoreError naming the searches there if it is not."""

    def find(conn) -> tuple[int | None, list[str]]:
        found = _query.study_id(conn, name)
        return found, [] if found is not None else _query.study_names(conn)

    found, known = _query.run(reader, find)
    if found is None:
        hint = f"searches there: {', '.join(known)}" if known else "it holds no search yet"
        raise StoreError(f"no search named {name!r} in {display_url(reader.url)}; {hint}")
    return found


def study_id_of(rdb, name: str, storage: str) -> int:
    """`find_study` through an Optuna storage already open (for the writers)."""
    import optuna

    try:
        return rdb.get_study_id_from_name(name)
    except KeyError:
        known = [s.study_name for s in rdb.get_all_studies()]
        hint = f"searches there: {', '.join(known)}" if known else "it holds no search yet"
        raise StoreError(f"no search named {name!r} in {display_url(storage)}; {hint}") from None
    except optuna.exceptions.OptunaError as exc:
        raise StoreError(str(exc)) from exc
