import pytest

import autonn
from autonn.store import display_url, open_storage


def test_reading_never_creates_a_sqlite_file(tmp_path):
    path = tmp_path / "none.db"
    with pytest.raises(autonn.StoreError, match="no database at"):
        autonn.list_searches(f"sqlite:///{path}")
    assert not path.exists()


def test_not_a_url():
    with pytest.raises(autonn.StoreError, match="not a database URL"):
        open_storage("autonn.db")


def test_messages_hide_the_password():
    assert "secret" not in display_url("postgresql://me:secret@db:5432/autonn")


def test_unreachable_postgres_is_one_clear_error():
    with pytest.raises(autonn.StoreError, match="cannot open database postgresql://me:\\*\\*\\*"):
        open_storage("postgresql://me:secret@127.0.0.1:1/autonn")


def test_empty_database_lists_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/e.db"
    open_storage(url, create=True)
    assert autonn.list_searches(url) == []
    with pytest.raises(autonn.StoreError, match="holds no search yet"):
        autonn.load_search("x", url)


def test_reading_does_not_set_up_optunas_storage(tmp_path):
    """list_searches, load_search and LiveSearch read with plain SELECTs: Optuna's storage is not
    set up (that imports alembic and checks the schema, 0.4 s); Optuna decodes the params."""
    import subprocess
    import sys

    from tests.dashboard.synthetic import write_search

    url = f"sqlite:///{tmp_path}/r.db"
    write_search(url, "s", trials=5, seed=0)
    code = (
        "import sys; from autonn.store import LiveSearch, list_searches, load_search; "
        f"assert [i.name for i in list_searches({url!r})] == ['s']; "
        f"assert len(LiveSearch('s', {url!r}).refresh().trials) == 5; "
        f"assert len(load_search('s', {url!r}).trials) == 5; "
        "print(sorted(m for m in sys.modules if m.startswith('alembic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_sqlite_file_without_optunas_tables_lists_nothing(tmp_path):
    import sqlite3

    path = tmp_path / "bare.db"
    sqlite3.connect(path).close()  # a database file, no tables in it
    url = f"sqlite:///{path}"
    assert autonn.list_searches(url) == []
    with pytest.raises(autonn.StoreError, match="no search named 'x'"):
        autonn.store.LiveSearch("x", url)


def test_an_unreachable_server_is_one_clear_error_when_listing():
    with pytest.raises(autonn.StoreError, match="cannot open database postgresql://me:\\*\\*\\*"):
        autonn.list_searches("postgresql://me:secret@127.0.0.1:1/autonn")
