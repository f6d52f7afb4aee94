"""Made-up searches in a temporary SQLite file (written through Optuna, no training), for the
dashboard's page and query tests; the real-search tests use the session's `digits_search`."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from autonn.store import Search, SearchInfo, TrialRecord, open_storage
from tests.dashboard.synthetic import write_search


@pytest.fixture(autouse=True)
def page_on_loopback():
    """AppTest runs the page with Streamlit's server.address unset, which for a real server means
    every address, where the page shows nothing without a token (autonn/dashboard/_auth.py). The
    page tests are of a dashboard on loopback, as `autonn dashboard` serves it by default."""
    if "streamlit" not in sys.modules:  # no AppTest in this test: nothing to set
        yield
        return
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    try:
        yield
    finally:
        config.set_option("server.address", before)


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


@dataclass(frozen=True)
class MadeLimited:
    storage: str
    limited: str  # a search of autonn 0.3 with a RAM limit, an accuracy limit and a floor
    costs: str  # flash, RAM and MACs stored, but no limit, no floor, no scheduler named


# The limited search's limits and floor: a few trials are refused for their RAM, a few trained
# ones miss the accuracy, and the floor (0.1 + 0.9 of the way to the best, about 0.874) keeps
# some trials that keep every limit off the front all the same.
LIMITS = ("ram_bytes<=1600", "accuracy>=0.8")
FLOOR = 0.9


@pytest.fixture(scope="session")
def made_limited(tmp_path_factory) -> MadeLimited:
    storage = f"sqlite:///{tmp_path_factory.mktemp('dashboard-limited')}/made.db"
    write_search(storage, "costs", trials=30, seed=9, costs=True)
    write_search(
        storage, "limited", trials=40, seed=8, limits=LIMITS, floor=FLOOR, scheduler="moasha"
    )
    return MadeLimited(storage, "limited", "costs")


@pytest.fixture
def empty_db(tmp_path) -> str:
    """A database with Optuna's tables and no search in it."""
    url = f"sqlite:///{tmp_path}/empty.db"
    open_storage(url, create=True)
    return url


# --- made-up trial records (no database), for the query and figure tests ----------------------

T0 = datetime(2026, 1, 1, 12, 0, 0)


def trial(
    number, acc=None, size=None, *, state="COMPLETE", minute=None, attrs=None, **params
) -> TrialRecord:
    """A trial of a search by accuracy; `attrs` adds to (or replaces) the attributes it would
    have, e.g. ram_bytes or broken_limits."""
    values = {} if acc is None else {"accuracy": acc, "size_bytes": float(size)}
    extra = attrs or {}
    attrs = {}
    if state == "COMPLETE":
        attrs = {
            "test_accuracy": acc - 0.01,
            "size_bytes": size,
            "curve": [acc / 2, acc],
            "epochs": 2,
            "compression": {"prune": params.get("prune", 0.0), "quantize": "fp32"},
        }
    return _record(number, state, values, params, attrs, minute, stopped_curve=[0.3], extra=extra)


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


def _record(number, state, values, params, attrs, minute, *, stopped_curve, extra=None, **metric):
    """What `trial` and `reg_trial` share: the stopped and failed trials' attributes, and the
    times (a trial starts a minute after the one before and takes 30 s, unless told)."""
    if state == "PRUNED":
        attrs = {"curve": stopped_curve, "epochs": 1, "stopped_at_epoch": 1}
    elif state == "FAIL":
        attrs = {"fail_reason": "NaN loss"}
    attrs = {**attrs, **(extra or {})}
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


def search(trials, objectives=("accuracy", "size_bytes"), space="mlp", config=None) -> Search:
    """A search of these records; `config` adds to its stored config (limits_applied, floor,
    trivial, target, scheduler)."""
    stored = {"space": space, "objectives": list(objectives), **(config or {})}
    info = SearchInfo("s", stored, tuple(objectives))
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


def refused_trial(number, size, broken, **costs) -> TrialRecord:
    """A trial refused before training for breaking a limit: PRUNED, epochs 0, its costs, no
    metric and no curve."""
    rec = trial(number, state="PRUNED")
    attrs = {"epochs": 0, "size_bytes": size, "broken_limits": broken, **costs}
    return TrialRecord(rec.number, "PRUNED", {}, {}, attrs, rec.started, rec.finished)


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
    """Builders of made-up records: mk.trial, mk.refused_trial, mk.search, mk.random_trials, and
    mk.hand; the same for a regression search by rmse: mk.reg_trial, mk.reg_search,
    mk.random_reg_trials, mk.reg_hand."""
    return SimpleNamespace(
        trial=trial,
        refused_trial=refused_trial,
        search=search,
        random_trials=random_trials,
        hand=HAND,
        reg_trial=reg_trial,
        reg_search=reg_search,
        random_reg_trials=random_reg_trials,
        reg_hand=REG_HAND,
    )
