"""The same search path on PostgreSQL: a real server (.ci/run starts one), a real small search."""

import uuid

import optuna
import pytest

import autonn

pytestmark = pytest.mark.integration


def test_a_search_on_postgres_stores_every_trial(pg_url, tmp_path):
    name = f"pg-{uuid.uuid4().hex[:8]}"  # the database outlives test runs
    result = autonn.search(
        autonn.SearchConfig(space="mlp", data="wine", name=name, trials=3, max_epochs=2),
        autonn.RunConfig(storage=pg_url, artifacts=str(tmp_path)),
    )
    assert len(result.trials) == 3
    assert all(t.state in {"COMPLETE", "PRUNED", "FAIL"} for t in result.trials)
    assert result.pareto, "at least one trial should complete"
    assert name in {s.name for s in autonn.list_searches(pg_url)}
    study = optuna.load_study(study_name=name, storage=pg_url)
    assert study.user_attrs["autonn"]["data"] == "wine"


def test_a_storage_connection_does_not_wait_for_the_wal(pg_url):
    from sqlalchemy import text

    with autonn.store.open_storage(pg_url).engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"
