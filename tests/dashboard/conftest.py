"""Made-up searches in a temporary SQLite file (written through Optuna, no training), for the
dashboard's page and query tests; the real-search tests use the session's `digits_search`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from autonn.store import Search, SearchInfo, TrialRecord, open_storage
from tests.dashboard.synthetic import write_search


@dataclass(frozen=True)
class Made:
    storage: str
    full: str  # 60 finished trials (some stopped early or failed) and 2 running
    other: str  # a second search, to compare with
    none_done: str  # trials stopped early, failed or running, none complete
    latency: str  # three objectives: accuracy, size_bytes, latency_ms


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> Made:
    storage = f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/made.db"
    write_search(storage, "made-full", trials=60, seed=1, running=2)
    write_search(storage, "made-other", trials=30, seed=2)
    write_search(storage, "made-none-done", trials=4, seed=3, states=(0.75, 0.25), running=1)
    objectives = ("accuracy", "size_bytes", "latency_ms")
    write_search(storage, "made-latency", trials=40, seed=4, objectives=objectives)
    return Made(storage, "made-full", "made-other", "made-none-done", "made-latency")


@dataclass(frozen=True)
class MadeRegression:
    storage: str
    full: str  # a regression search by rmse: 50 finished trials and 1 running
    other: str  # another search by rmse, to compare with
    classified: str  # a search by accuracy in the same database, which compares with neither


@pytest.fixture(scope="session")
def made_regression(tmp_path_factory) -> MadeRegression:
    storage = f"sqlite:///{tmp_path_factory.mktemp('dashboard-regression')}/made.db"
    write_search(storage, "reg-classified", trials=10, seed=5)
    write_search(storage, "reg-other", trials=20, seed=6, objectives=("rmse", "size_bytes"))
    objectives = ("rmse", "size_bytes")
    write_search(storage, "reg-full", trials=50, seed=7, objectives=objectives, running=1)
    return MadeRegression(storage, "reg-full", "reg-other", "reg-classified")


@pytest.fixture
def empty_db(tmp_path) -> str:
    """A database with Optuna's tables and no search in it."""
    url = f"sqlite:///{tmp_path}/empty.db"
    open_storage(url, create=True)
    return url


# --- made-up trial records (no database), for the query and figure tests ----------------------

T0 = datetime(2026, 1, 1, 12, 0, 0)


def trial(number, acc=None, size=None, *, state="COMPLETE", minute=None, **params) -> TrialRecord:
    values = {} if acc is None else {"accuracy": acc, "size_bytes": float(size)}
    attrs = {}
    if state == "COMPLETE":
        attrs = {
            "test_accuracy": acc - 0.01,
            "size_bytes": size,
            "curve": [acc / 2, acc],
            "epochs": 2,
            "compression": {"prune": params.get("prune", 0.0), "quantize": "fp32"},
        }
    return _record(number, state, values, params, attrs, minute, stopped_curve=[0.3])


def reg_trial(number, rmse=None, size=None, *, state="COMPLETE", minute=None, **params):
    """A trial of a regression search by rmse (lower is better), as `trial` makes one by
    accuracy: its test rmse is 2 above its validation rmse, its curve falls to it."""
    values = {} if rmse is None else {"rmse": rmse, "size_bytes": float(size)}
    attrs = {}
    if state == "COMPLETE":
        attrs = {
            "test_rmse": rmse + 2,
            "size_bytes": size,
            "curve": [2 * rmse, rmse],
            "epochs": 2,
            "compression": {"prune": params.get("prune", 0.0), "quantize": "fp32"},
        }
    return _record(
        number, state, values, params, attrs, minute, stopped_curve=[150.0], metric="rmse"
    )


def _record(number, state, values, params, attrs, minute, *, stopped_curve, **metric):
    """What `trial` and `reg_trial` share: the stopped and failed trials' attributes, and the
    times (a trial starts a minute after the one before and takes 30 s, unless told)."""
    if state == "PRUNED":
        attrs = {"curve": stopped_curve, "epochs": 1, "stopped_at_epoch": 1}
    elif state == "FAIL":
        attrs = {"fail_reason": "NaN loss"}
    start = T0 + timedelta(minutes=number if minute is None else minute)
    return TrialRecord(
        number=number,
        state=state,
        values=values,
        params=params,
        attrs=attrs,
        started=start,
        finished=start + timedelta(seconds=30) if state != "RUNNING" else None,
        **metric,
    )


def search(trials, objectives=("accuracy", "size_bytes"), space="mlp") -> Search:
    info = SearchInfo("s", {"space": space, "objectives": list(objectives)}, tuple(objectives))
    return Search(info=info, trials=list(trials), storage="sqlite:///unused.db")


def random_trials(n: int, seed: int = 0) -> list[TrialRecord]:
    rng = random.Random(seed)
    return [
        trial(i, rng.uniform(0.5, 1.0), rng.randint(1_000, 100_000), width=rng.randint(8, 64))
        for i in range(n)
    ]


def reg_search(trials, objectives=("rmse", "size_bytes")) -> Search:
    return search(trials, objectives)


def random_reg_trials(n: int, seed: int = 0) -> list[TrialRecord]:
    rng = random.Random(seed)
    return [
        reg_trial(i, rng.uniform(40, 120), rng.randint(1_000, 100_000), width=rng.randint(8, 64))
        for i in range(n)
    ]


# A small hand-made search: 0, 1 and 3 are the front; 2 is beaten by 1 (smaller and better).
HAND = [
    trial(0, 0.80, 1_000, width=8),
    trial(1, 0.90, 4_000, width=32),
    trial(2, 0.85, 5_000, width=40),
    trial(3, 0.95, 20_000, width=64),
    trial(4, state="PRUNED", width=16),
    trial(5, state="FAIL", width=16),
    trial(6, state="RUNNING", width=24),
]


# The same by rmse: 0, 1 and 3 are the front (the lowest rmse for their size); 2 is beaten by 1.
REG_HAND = [
    reg_trial(0, 70.0, 1_000, width=8),
    reg_trial(1, 60.0, 4_000, width=32),
    reg_trial(2, 65.0, 5_000, width=40),
    reg_trial(3, 50.0, 20_000, width=64),
    reg_trial(4, state="PRUNED", width=16),
    reg_trial(5, state="FAIL", width=16),
    reg_trial(6, state="RUNNING", width=24),
]


@pytest.fixture
def mk() -> SimpleNamespace:
    """Builders of made-up records: mk.trial, mk.search, mk.random_trials, and mk.hand; the same
    for a regression search by rmse: mk.reg_trial, mk.reg_search, mk.random_reg_trials,
    mk.reg_hand."""
    return SimpleNamespace(
        trial=trial,
        search=search,
        random_trials=random_trials,
        hand=HAND,
        reg_trial=reg_trial,
        reg_search=reg_search,
        random_reg_trials=random_reg_trials,
        reg_hand=REG_HAND,
    )
