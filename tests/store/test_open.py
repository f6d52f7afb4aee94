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
