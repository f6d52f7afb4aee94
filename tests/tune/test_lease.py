"""One driver per search: the lease, taken by compare-and-swap on the database's clock, on
SQLite and PostgreSQL."""

import threading
import time
import uuid

import pytest
from sqlalchemy import update

from autonn.errors import UsageError
from autonn.store import open_storage
from autonn.tune import _lease


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def storage(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/l.db"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    return open_storage(url, create=True)


@pytest.fixture
def name() -> str:
    return f"lease-{uuid.uuid4().hex[:8]}"  # a PostgreSQL database outlives test runs


def _age_heartbeat(storage, name: str, seconds: float) -> None:
    """Make the lease's heartbeat `seconds` old by the database's clock, as a driver that died
    that long ago leaves it."""
    with storage.engine.begin() as conn:
        now = _lease._now(conn)
        conn.execute(
            update(_lease.LEASES)
            .where(_lease.LEASES.c.search == name)
            .values(heartbeat=now - seconds)
        )


def test_a_fresh_lease_refuses_a_second_driver_until_released(storage, name):
    first = _lease.take(storage, name)
    try:
        assert _lease.holder(storage, name) == first.owner
        with pytest.raises(UsageError, match=r"is being run by another driver .*--force"):
            _lease.take(storage, name)
    finally:
        first.close()
    assert _lease.holder(storage, name) is None
    _lease.take(storage, name).close()  # released: the next driver takes it


def test_of_two_drivers_taking_it_at_once_exactly_one_wins(storage, name):
    def contend(start: threading.Barrier, won: list, refused: list) -> None:
        start.wait()
        try:
            won.append(_lease.take(storage, name))
        except UsageError:
            refused.append(1)

    for _ in range(5):
        start, won, refused = threading.Barrier(2), [], []
        threads = [threading.Thread(target=contend, args=(start, won, refused)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert (len(won), len(refused)) == (1, 1)
        assert _lease.holder(storage, name) == won[0].owner
        won[0].close()


def test_force_takes_a_fresh_lease_over(storage, name):
    first = _lease.take(storage, name)
    second = _lease.take(storage, name, force=True)
    assert _lease.holder(storage, name) == second.owner != first.owner
    first.close()  # the old driver, if it lives on, does not release the new one's lease
    assert _lease.holder(storage, name) == second.owner
    second.close()


def test_a_stale_lease_is_taken_over_by_the_databases_clock(storage, name, monkeypatch):
    gone = _lease.take(storage, name)
    gone._stop.set()  # a driver killed: its heartbeat stops, its lease stays
    _age_heartbeat(storage, name, _lease.STALE - 5)
    # This machine's clock says nothing: a driver on a machine an hour ahead still waits.
    monkeypatch.setattr(time, "time", lambda: 1e10)
    with pytest.raises(UsageError, match="another driver"):
        _lease.take(storage, name)
    _age_heartbeat(storage, name, _lease.STALE + 1)
    lease = _lease.take(storage, name)
    assert _lease.holder(storage, name) == lease.owner
    lease.close()


def test_the_heartbeat_is_renewed(storage, name, monkeypatch):
    monkeypatch.setattr(_lease, "HEARTBEAT", 0.05)
    lease = _lease.take(storage, name)
    _age_heartbeat(storage, name, _lease.STALE + 1)  # would be stale, were it not renewed
    deadline = time.monotonic() + 10
    with storage.engine.connect() as conn:
        while _lease._holder_and_age(conn, name)[1] > _lease.STALE:
            assert time.monotonic() < deadline, "the heartbeat was never renewed"
            time.sleep(0.05)
            conn.rollback()  # a fresh snapshot for the next look
    lease.close()
