"""One driver per search: a lease with a heartbeat, in a table of autonn's own (autonn_leases).

A driver that resumes a search another driver is still running would close that driver's
running trials as FAIL and sample on top of it. So the running driver renews its lease every
HEARTBEAT seconds; a resume refuses while the lease is fresh (renewed less than STALE ago) unless
forced, and takes over a stale one, left by a driver that was killed or lost its machine.

Taking the lease is one conditional UPDATE (a compare-and-swap): of two drivers resuming at once,
the database lets exactly one match "no owner, or a stale heartbeat". Every time is the
database's own clock, never a machine's, so drivers on machines whose clocks differ agree.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from sqlalchemy import Column, Float, MetaData, String, Table, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from autonn.errors import UsageError

logger = logging.getLogger("autonn.tune")

HEARTBEAT = 10.0  # seconds between two renewals of a running driver
STALE = 60.0  # a lease not renewed for this long belongs to a driver that is gone

LEASES = Table(
    "autonn_leases",
    MetaData(),
    Column("search", String(512), primary_key=True),  # the study's name
    Column("owner", String(256), nullable=True),  # host:pid:random; None when released
    Column("heartbeat", Float, nullable=False),  # seconds since 1970, by the database's clock
)
# The database's clock in seconds since 1970, as each dialect says it.
_NOW = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "EXTRACT(EPOCH FROM now())",
    "mysql": "UNIX_TIMESTAMP(NOW(6))",
}


class Lease:
    """This driver's hold on a search (taken by `take`); `close()` stops the heartbeat and
    releases it."""

    def __init__(self, engine, search: str, owner: str) -> None:
        self.engine = engine
        self.search = search
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autonn-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                if not self._renew():
                    logger.warning("another driver took search %s over (--force)", self.search)
                    return
            except Exception:  # a database hiccup must not end the search; the next beat retries
                logger.debug("could not renew the lease on the search", exc_info=True)

    def _renew(self) -> bool:
        with self.engine.begin() as conn:
            mine = _mine(self.search, self.owner)
            return conn.execute(mine.values(heartbeat=_now(conn))).rowcount == 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self.engine.begin() as conn:  # only if still ours: a forced successor keeps it
            conn.execute(_mine(self.search, self.owner).values(owner=None))


def take(storage, search: str, *, force: bool = False) -> Lease:
    """Hold `search` (a study in the Optuna RDBStorage `storage`), refusing while another
    driver's lease is fresh, unless `force`."""
    engine = storage.engine
    _ensure_row(engine, search)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:  # for the messages only; the claim decides
        held, age = _holder_and_age(conn, search)
    # The UPDATE opens its own transaction: on SQLite a transaction that read first could not
    # write after a rival's commit ("database is locked"); this one waits for the rival, then
    # finds the row taken.
    with engine.begin() as conn:
        now = _now(conn)
        claim = update(LEASES).where(LEASES.c.search == search)
        if not force:
            claim = claim.where(or_(LEASES.c.owner.is_(None), LEASES.c.heartbeat < now - STALE))
        taken = conn.execute(claim.values(owner=owner, heartbeat=now)).rowcount == 1
    if not taken:
        with engine.connect() as conn:  # who holds it now (perhaps a driver that just won)
            held, age = _holder_and_age(conn, search)
        raise UsageError(
            f"search {search!r} is being run by another driver ({held}, heartbeat {age:.0f}s "
            f"ago); wait for it to finish, or if that driver is gone, resume after "
            f"{max(STALE - age, 0):.0f}s or add --force now"
        )
    if held and age < STALE:
        logger.warning("taking search %s over from %s (--force)", search, held)
    return Lease(engine, search, owner)


def holder(storage, search: str) -> str | None:
    """The driver holding `search` now (None when released or never taken)."""
    with storage.engine.connect() as conn:
        return _holder_and_age(conn, search)[0]


def _ensure_row(engine, search: str) -> None:
    """The table and the search's row, made once; two drivers making them at once is fine."""
    try:
        LEASES.create(engine, checkfirst=True)
    except (OperationalError, ProgrammingError) as exc:  # created by another driver meanwhile
        if "already exists" not in str(exc) and "duplicate" not in str(exc).lower():
            raise
    try:
        with engine.begin() as conn:
            conn.execute(LEASES.insert().values(search=search, owner=None, heartbeat=0.0))
    except IntegrityError:
        pass  # the row is there: taken before, or by a driver at the same moment


def _holder_and_age(conn, search: str) -> tuple[str | None, float]:
    row = conn.execute(
        select(LEASES.c.owner, _now(conn) - LEASES.c.heartbeat).where(LEASES.c.search == search)
    ).first()
    return (row[0], float(row[1])) if row else (None, float("inf"))


def _mine(search: str, owner: str):
    return update(LEASES).where(LEASES.c.search == search, LEASES.c.owner == owner)


def _now(conn):
    return literal_column(_NOW[conn.dialect.name], Float)
