"""Copies of the session's real search that a test may change: add a trial, point it elsewhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import optuna
import pytest

import autonn
from autonn.store import sqlite_path


class SearchCopy:
    """The digits search in a database of its own (the trial files are shared, read only)."""

    def __init__(self, search: autonn.Search, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "autonn.db"
        # SQLite's backup API, not a file copy: the search's database runs in WAL mode, and
        # its latest commits may still sit in the -wal file beside it.
        with sqlite3.connect(sqlite_path(search.storage)) as src, sqlite3.connect(db) as dst:
            src.backup(dst)
        self.name = search.name
        self.storage = f"sqlite:///{db}"
        self.search = search

    def add_trial(self, like: int, *, attrs: dict[str, Any] | None = None, **values) -> int:
        """A COMPLETE copy of trial `like` with some user attributes/values replaced; its number."""
        study = optuna.load_study(study_name=self.name, storage=self.storage)
        base = study.trials[like]
        objectives = self.search.objectives
        new_values = {**dict(zip(objectives, base.values, strict=True)), **values}
        study.add_trial(
            optuna.trial.create_trial(
                values=[new_values[o] for o in objectives],
                params=base.params,
                distributions=base.distributions,
                user_attrs={**base.user_attrs, **(attrs or {})},
            )
        )
        return len(study.trials) - 1


@pytest.fixture
def search_copy(digits_search, tmp_path) -> SearchCopy:
    return SearchCopy(digits_search, tmp_path / "db")


@pytest.fixture
def best(digits_search) -> autonn.TrialRecord:
    return max(digits_search.pareto, key=lambda t: (t.accuracy, -t.size_bytes))
