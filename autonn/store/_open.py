"""Opening the database: the one place that turns a SQLAlchemy URL into an Optuna RDBStorage."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from autonn.errors import MissingDependency, StoreError

DEFAULT_STORAGE = "sqlite:///autonn.db"
CONNECT_TIMEOUT = 5  # seconds to reach a database server
logger = logging.getLogger("autonn.store")


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for in-memory or other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_storage(url: str) -> None:
    """Fail on a malformed URL or an unreachable database server now, before a search starts
    Ray; a SQLite file is not created here."""
    if _sqlite_file(url) is None and not url.startswith("sqlite"):
        _open(url)


def open_storage(url: str, *, create: bool = False):
    """An RDBStorage for `url`. Reading never creates a SQLite file that is not there."""
    path = _sqlite_file(url)
    if path is not None and not create and not path.exists():
        raise StoreError(
            f"no database at {path}; run `autonn search` first, or point --storage at the database"
        )
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _open(url)


class Reader:
    """Plain SELECTs on Optuna's tables, for reading only: a SQLAlchemy engine with the same
    settings as the storage's, without setting up Optuna's RDBStorage (importing alembic,
    creating missing tables and checking the schema version: about 0.4 s on a fresh process).
    `rdb` opens that storage when a read fails, to create or check the schema (_query.run)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _read_engine(url)

    @functools.cached_property
    def rdb(self):
        return _open(self.url)

    def connect(self):
        """A connection; not reaching the database is a StoreError at once (with the message
        open_storage gives), not a reason to try Optuna's API and wait for the server again."""
        try:
            return self.engine.connect()
        except Exception as exc:  # the driver's and SQLAlchemy's errors
            raise _cannot_open(self.url, exc) from exc


def open_reader(url: str) -> Reader:
    """A `Reader` for `url`; the same errors as `open_storage` for a malformed URL or a SQLite
    file that is not there (never created). A server out of reach shows on `connect`."""
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        raise StoreError(
            f"no database at {path}; run `autonn search` first, or point --storage at the database"
        )
    try:
        return Reader(url)
    except ModuleNotFoundError as exc:
        if "psycopg" in str(exc):
            raise MissingDependency(exc.name or "psycopg", "postgres") from exc
        raise StoreError(f"cannot open database {display_url(url)}: {exc}") from exc
    except Exception as exc:  # SQLAlchemy's errors for a URL it cannot use
        raise _cannot_open(url, exc) from exc


@functools.lru_cache(maxsize=8)
def _read_engine(url: str):
    from sqlalchemy import create_engine

    engine = create_engine(url, **_engine_kwargs(url))
    if url.startswith("sqlite"):
        _tune_sqlite(engine)
    return engine


def _sqlite_file(url: str) -> Path | None:
    try:
        return sqlite_path(url)
    except ArgumentError:
        raise StoreError(
            f"{url!r} is not a database URL; use e.g. sqlite:///autonn.db or "
            "postgresql://user:password@host/dbname"
        ) from None


@functools.lru_cache(maxsize=8)
def _open(url: str):

    try:
        storage = _rdb_storage(url)
    except ModuleNotFoundError as exc:
        if "psycopg" in str(exc):
            raise MissingDependency(exc.name or "psycopg", "postgres") from exc
        raise StoreError(f"cannot open database {display_url(url)}: {exc}") from exc
    except Exception as exc:  # SQLAlchemy's errors: bad host, auth, version of the schema, ...
        raise _cannot_open(url, exc) from exc
    if url.startswith("sqlite"):
        _tune_sqlite(storage.engine)
    elif _sets_synchronous_commit(url):
        _tune_postgres(storage.engine)
    return storage


def _cannot_open(url: str, exc: Exception) -> StoreError:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"cannot open database {display_url(url)}: {first_line}")


def _rdb_storage(url: str):
    """Optuna's RDBStorage, once more if another process created the schema at the same time.

    Opening a new database creates Optuna's tables; two processes doing it at once (a search
    starting while a dashboard or a script opens the same fresh file) collide on "table already
    exists" or the schema version row. The second try finds the schema made and goes on.
    """
    import optuna
    from sqlalchemy.exc import IntegrityError, OperationalError

    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url))
    except (IntegrityError, OperationalError) as exc:
        if "already exists" not in str(exc) and "alembic_version" not in str(exc):
            raise
        logger.debug("schema created by another process meanwhile; opening again", exc_info=True)
        return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url))


def _engine_kwargs(url: str) -> dict:
    if url.startswith("sqlite"):
        return {}
    # pool_pre_ping: a dashboard or a long search outlives idle PostgreSQL connections.
    kwargs: dict = {"pool_pre_ping": True}
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # libpq waits for an unanswered host as long as the OS does (minutes): fail in seconds.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    return kwargs


def _sets_synchronous_commit(url: str) -> bool:
    """PostgreSQL, unless the URL gives its own `options` (they may set synchronous_commit)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and "options" not in parsed.query


def _tune_postgres(engine) -> None:
    """synchronous_commit=off on every connection of the storage, set with SET once connected.

    Optuna commits every write on its own, and each commit waited for the WAL to reach disk: the
    driver spent 183 ms a trial storing it (bench/soak.py), 95 ms without the wait. A server
    crash can lose the last fraction of a second of commits, never corrupt them: the same trade
    as SQLite's synchronous=NORMAL here. Not a libpq startup option (`-c synchronous_commit=off`):
    PgBouncer and RDS Proxy refuse those. Behind PgBouncer's transaction pooling the SET holds
    for the server connection it ran on, which other clients of the pool may then share.
    """
    from sqlalchemy import event

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit = off")
        cursor.close()
        dbapi_connection.commit()  # the driver opened a transaction for the SET

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened before the listener get replaced


def _tune_sqlite(engine) -> None:
    """WAL journal and synchronous=NORMAL on every connection.

    Optuna commits each attribute on its own; with SQLite's defaults every commit waits for an
    fsync, which on the search driver (the only writer) cost about 0.17 s per trial and held up
    the next trial. WAL also lets the dashboard read while a search writes. A crash can lose the
    last commits, never corrupt the file.
    """
    from sqlalchemy import event

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened before the listener get replaced
