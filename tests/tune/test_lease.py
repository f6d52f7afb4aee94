"""One driver per search: the lease in the study's attributes, on SQLite and PostgreSQL."""

import time
import uuid

import optuna
import pytest

from autonn.errors import UsageError
from autonn.store import open_storage
from autonn.tune import _lease


@pytest.fixture(params=["sqlite", "postgres"])
def study(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/l.db"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    return optuna.create_study(
        storage=open_storage(url, create=True), study_name=f"lease-{uuid.uuid4().hex[:8]}"
    )


def test_a_fresh_lease_refuses_a_second_driver_until_released(study):
    first = _lease.take(study)
    try:
        assert _lease.holder(study) == first.owner
        with pytest.raises(UsageError, match=r"is being run by another driver .*--force"):
            _lease.take(study)
    finally:
        first.close()
    assert _lease.holder(study) is None
    _lease.take(study).close()  # released: the next driver takes it


def test_force_takes_a_fresh_lease_over(study):
    first = _lease.take(study)
    second = _lease.take(study, force=True)
    assert _lease.holder(study) == second.owner != first.owner
    first.close()  # the old driver, if it lives on, does not release the new one's lease
    assert _lease.holder(study) == second.owner
    second.close()


def test_a_stale_lease_is_taken_over(study):
    stale = time.time() - _lease.STALE - 1
    study.set_user_attr(_lease.LEASE_ATTR, {"owner": "gone:1:x", "heartbeat": stale})
    lease = _lease.take(study)
    assert _lease.holder(study) == lease.owner
    lease.close()


def test_the_heartbeat_is_renewed(study, monkeypatch):
    monkeypatch.setattr(_lease, "HEARTBEAT", 0.05)
    lease = _lease.take(study)
    first = study.user_attrs[_lease.LEASE_ATTR]["heartbeat"]
    deadline = time.monotonic() + 10
    while study.user_attrs[_lease.LEASE_ATTR]["heartbeat"] == first:
        assert time.monotonic() < deadline, "the heartbeat was never renewed"
        time.sleep(0.05)
    lease.close()
