"""LiveSearch: the dashboard's incremental read gives exactly what load_search gives, cheaply."""

from __future__ import annotations

import random
import uuid
from datetime import datetime

import optuna
import pytest

from autonn.errors import StoreError
from autonn.store import LiveSearch, list_searches, load_search, open_storage
from tests.dashboard.synthetic import _distributions, add_trials, write_search


def test_the_first_read_equals_load_search(made):
    live = LiveSearch(made.full, made.storage)
    got = live.refresh()
    want = load_search(made.full, made.storage)
    assert got.trials == want.trials  # records compare field by field: params, attrs, dates
    assert got.info == want.info
    assert live.fetched == len(want.trials) == 62


def test_a_refresh_reads_only_new_and_unfinished_trials(tmp_path):
    storage = f"sqlite:///{tmp_path}/live.db"
    write_search(storage, "s", trials=20, seed=0, running=2)
    live = LiveSearch("s", storage)
    first = live.refresh()
    assert first.info.counts["RUNNING"] == 2 and live.fetched == 22

    again = live.refresh()
    assert live.fetched == 2  # the two running trials, nothing else
    assert again is first and live.version == 1  # nothing changed: same snapshot

    study = optuna.load_study(study_name="s", storage=open_storage(storage))
    running = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]
    study.tell(running[0].number, [0.9, 1234.0])
    add_trials(
        study,
        3,
        rng=random.Random(1),
        objectives=("accuracy", "size_bytes"),
        start=datetime(2026, 1, 2),
    )
    later = live.refresh()
    assert live.fetched == 2 + 3  # the two that were running, and the three new ones
    assert later.trials == load_search("s", storage).trials
    assert later.info.counts["RUNNING"] == 1 and live.version == 2
    assert later.trial(running[0].number).values == {"accuracy": 0.9, "size_bytes": 1234.0}


def test_listing_in_sql_counts_like_optunas_api(made):
    from collections import Counter

    fast = {i.name: i for i in list_searches(made.storage)}
    names = [made.full, made.other, made.none_done, made.latency]
    assert list(fast) == names
    for name in names:
        study = optuna.load_study(study_name=name, storage=open_storage(made.storage))
        assert fast[name].counts == dict(Counter(t.state.name for t in study.trials))
        assert fast[name].config == study.user_attrs["autonn"]


def test_unknown_search_and_missing_database_are_store_errors(made, tmp_path):
    with pytest.raises(StoreError, match="no search named 'nope'"):
        LiveSearch("nope", made.storage)
    with pytest.raises(StoreError, match="no database at"):
        list_searches(f"sqlite:///{tmp_path}/missing.db")
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.integration
def test_a_search_written_by_a_real_run_reads_back_the_same(digits_search):
    live = LiveSearch(digits_search.name, digits_search.storage)
    assert live.refresh().trials == load_search(digits_search.name, digits_search.storage).trials


@pytest.mark.integration
def test_incremental_reads_on_postgres(pg_url):
    name = f"dash-{uuid.uuid4().hex[:8]}"  # the database outlives test runs
    write_search(pg_url, name, trials=12, seed=4, running=1)
    live = LiveSearch(name, pg_url)
    assert live.refresh().trials == load_search(name, pg_url).trials
    study = optuna.load_study(study_name=name, storage=open_storage(pg_url))
    study.ask(_distributions())
    live.refresh()
    assert live.fetched == 2  # the one that was running and the new one
    assert live.refresh().trials == load_search(name, pg_url).trials
    assert name in {i.name for i in list_searches(pg_url)}


def test_a_search_deleted_and_made_again_is_read_afresh(tmp_path):
    storage = f"sqlite:///{tmp_path}/again.db"
    write_search(storage, "s", trials=5, seed=0)
    live = LiveSearch("s", storage)
    live.refresh()
    optuna.delete_study(study_name="s", storage=open_storage(storage))
    write_search(storage, "s", trials=3, seed=1)
    assert live.refresh().trials == load_search("s", storage).trials
    optuna.delete_study(study_name="s", storage=open_storage(storage))
    with pytest.raises(StoreError, match="no longer in the database"):
        live.refresh()
