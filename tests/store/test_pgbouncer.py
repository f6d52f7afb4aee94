"""PostgreSQL behind PgBouncer (a real one: .ci/start-pgbouncer.sh), which refuses libpq startup
options as RDS Proxy does: autonn sets synchronous_commit with SET once connected instead."""

import uuid

import optuna
import pytest
from sqlalchemy import text

from autonn.errors import StoreError
from autonn.store import load_search, open_storage

pytestmark = pytest.mark.integration


def test_a_search_is_stored_through_pgbouncer_without_waiting_for_the_wal(pgbouncer_url):
    storage = open_storage(pgbouncer_url, create=True)
    name = f"bouncer-{uuid.uuid4().hex[:8]}"  # the database outlives test runs
    study = optuna.create_study(storage=storage, study_name=name, directions=["maximize"])
    study.add_trial(optuna.trial.create_trial(value=0.5))
    assert [t.values for t in load_search(name, pgbouncer_url).trials] == [{"value_0": 0.5}]
    with storage.engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"


def test_pgbouncer_refuses_a_startup_option(pgbouncer_url):
    """What autonn sent before: the reason it now uses SET (and that this PgBouncer is real)."""
    with pytest.raises(StoreError, match="unsupported startup parameter"):
        open_storage(f"{pgbouncer_url}?options=-c%20synchronous_commit%3Doff")
