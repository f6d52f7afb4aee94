"""One read path: what autonn reads from the database is what Optuna itself reads there, trial by
trial, on SQLite and PostgreSQL; and either layout of a trial's attributes reads the same."""

from __future__ import annotations

import math
import uuid
from collections import Counter

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial
from sqlalchemy.exc import OperationalError

from autonn.store import (
    CONFIG_ATTR,
    LiveSearch,
    list_searches,
    load_search,
    open_storage,
    pack_attrs,
    upgrade_attrs,
)

OBJECTIVES = ("accuracy", "size_bytes")
# Every kind of distribution and choice Optuna stores, with its own encoding of each.
DISTRIBUTIONS = {
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "dropout": FloatDistribution(0.0, 0.5, step=0.1),
    "depth": IntDistribution(1, 4),
    "width": IntDistribution(8, 256, log=True),
    "units": IntDistribution(4, 64, step=4),
    "quantize": CategoricalDistribution(["fp32", "int8-static", None]),
    "flag": CategoricalDistribution([True, False]),
    "ratio": CategoricalDistribution([0.25, 0.5, 1]),
}
PARAMS = {"lr": 3e-3, "dropout": 0.2, "depth": 3, "width": 37, "units": 12, "quantize": None,
          "flag": False, "ratio": 1}  # fmt: skip
MEASURED = {"test_accuracy": 0.9, "size_bytes": 1234, "ram_bytes": 2048, "macs": 5000,
            "curve": [0.5, 0.9], "compression": {"prune": 0.0, "quantize": "fp32"},
            "n_params": 900, "accuracy_channel_pruned": None,
            "label": "ünïcode \"quoted\" <b>"}  # fmt: skip
# What autonn 0.2 called two of them.
_RENAMED = ("n_params", "accuracy_channel_pruned")
OLD_NAMES = {**{k: v for k, v in MEASURED.items() if k not in _RENAMED},
             "params": 900, "accuracy_pruned": None}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/read.db"
    return request.getfixturevalue("pg_url")


def _write(url: str) -> str:
    """A search of every state, value and attribute layout there is, written by Optuna alone."""
    name = f"read-{uuid.uuid4().hex[:8]}"  # a PostgreSQL database outlives test runs
    study = optuna.create_study(
        storage=open_storage(url, create=True),
        study_name=name,
        directions=["maximize", "minimize"],
    )
    study.set_user_attr(CONFIG_ATTR, {"objectives": list(OBJECTIVES), "task": "classification"})
    kinds = [
        (TrialState.COMPLETE, [0.91, 1234.0], pack_attrs(MEASURED)),  # today's layout
        (TrialState.COMPLETE, [0.8, 99.0], OLD_NAMES),  # each attribute on its own (0.2)
        (TrialState.COMPLETE, [-math.inf, math.inf], {}),
        (TrialState.PRUNED, None, pack_attrs({"curve": [0.1], "stopped_at_epoch": 1})),
        (TrialState.FAIL, None, pack_attrs({"fail_reason": "nan loss", "node": "n1"})),
    ]
    for state, values, attrs in kinds:
        study.add_trial(
            create_trial(
                state=state,
                values=values,
                params=PARAMS,
                distributions=DISTRIBUTIONS,
                user_attrs=attrs,
            )
        )
    running = study.ask(DISTRIBUTIONS)  # params drawn by the sampler
    running.set_user_attr("node", "n2")
    study.enqueue_trial({"depth": 2})  # WAITING
    return name


def _assert_same(records, frozen) -> None:
    assert [t.number for t in records] == [t.number for t in frozen]
    for mine, theirs in zip(records, frozen, strict=True):
        assert mine.state == theirs.state.name
        named = dict(zip(OBJECTIVES, theirs.values, strict=True)) if theirs.values else {}
        assert mine.values == named
        assert mine.params == theirs.params
        assert list(map(type, mine.params.values())) == list(map(type, theirs.params.values()))
        assert mine.attrs == upgrade_attrs(theirs.user_attrs)
        assert (mine.started, mine.finished) == (theirs.datetime_start, theirs.datetime_complete)


def test_load_search_and_live_search_read_what_optuna_reads(url):
    name = _write(url)
    theirs = optuna.load_study(study_name=name, storage=open_storage(url)).trials
    assert len(theirs) == 7
    search = load_search(name, url)
    _assert_same(search.trials, theirs)
    _assert_same(LiveSearch(name, url).refresh().trials, theirs)
    listed = {i.name: i for i in list_searches(url)}[name]
    assert listed.counts == dict(Counter(t.state.name for t in theirs)) == search.info.counts
    assert listed.objectives == search.objectives == OBJECTIVES


def test_both_layouts_of_a_trials_attributes_read_the_same(tmp_path):
    url = f"sqlite:///{tmp_path}/layouts.db"
    search = load_search(_write(url), url)
    packed, flat = search.trials[0].attrs, search.trials[1].attrs
    assert packed == flat == MEASURED  # 0.2's names read as today's


def test_a_read_that_fails_checks_the_schema_and_reads_again(tmp_path, monkeypatch):
    from autonn.store import _query

    url = f"sqlite:///{tmp_path}/again.db"
    name = _write(url)
    want = load_search(name, url).trials
    real, failures = _query.trial_rows, []

    def once(conn, sid):
        if not failures:
            failures.append(1)
            raise OperationalError("SELECT ...", {}, Exception("database is locked"))
        return real(conn, sid)

    monkeypatch.setattr(_query, "trial_rows", once)
    assert load_search(name, url).trials == want and failures == [1]
