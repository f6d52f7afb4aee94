"""What the driver makes of limits and the floor when a trial ends: its broken limits, and the
constraints Optuna's samplers learn from (no Ray, no training)."""

from __future__ import annotations

import optuna
import pytest

from autonn.limits import Limit
from autonn.tune._searcher import Feasibility
from autonn.tune._study import sampler

RAM = Limit("ram_bytes", "<=", 1000.0)
ACC = Limit("accuracy", ">=", 0.5)


def test_a_trained_trial_breaks_what_its_measurements_break():
    f = Feasibility("accuracy", (RAM, ACC), trivial=0.1, floor=0.8)
    assert f.broken({"accuracy": 0.4, "ram_bytes": 500}) == {"accuracy>=0.5": pytest.approx(0.2)}
    assert f.broken({"accuracy": 0.9, "ram_bytes": 500}) == {}


def test_constraints_hold_one_entry_per_limit_and_one_for_the_floor():
    f = Feasibility("accuracy", (RAM, ACC), trivial=0.1, floor=0.8)
    first = f.constraints("COMPLETE", {"ram_bytes": 500}, {"accuracy": 0.9})
    assert first == {"ram_bytes<=1000": 0.0, "accuracy>=0.5": 0.0, "floor": 0.0}
    assert f.best == 0.9  # the best so far sets the floor: 0.74
    below = f.constraints("COMPLETE", {"ram_bytes": 500}, {"accuracy": 0.42})
    assert below["accuracy>=0.5"] == pytest.approx(0.16)
    assert below["floor"] == pytest.approx(0.5)  # 0.32 short of 0.74, of a 0.64 gap
    broke = {"ram_bytes<=1000": 0.5}
    refused = f.constraints("PRUNED", {"ram_bytes": 1500, "broken_limits": broke}, None)
    assert refused == {"ram_bytes<=1000": pytest.approx(0.5), "accuracy>=0.5": 0.0}
    # A model the target cannot run: its refusal is a constraint of its own.
    cannot = f.constraints("PRUNED", {"broken_limits": {"tflm runs it": 1.0}}, None)
    assert cannot == {"ram_bytes<=1000": 0.0, "accuracy>=0.5": 0.0, "tflm runs it": 1.0}
    assert f.constraints("PRUNED", {}, None) == {}  # stopped early: nothing known
    assert f.constraints("FAIL", {}, None) == {}


def test_a_trial_that_breaks_a_limit_never_sets_the_floor():
    f = Feasibility("accuracy", (RAM,), trivial=0.1, floor=0.8)
    f.constraints("COMPLETE", {"ram_bytes": 500, "broken_limits": {"x": 1}}, {"accuracy": 0.99})
    assert f.best is None


@pytest.mark.parametrize("name", ["tpe", "nsga2"])
def test_the_samplers_see_the_constraints_the_searcher_sets(name):
    """Optuna's public constraints (Trial.set_constraint): a trial with one > 0 is infeasible to
    TPE and NSGA-II, which rank it below every feasible trial."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.sampler = sampler(name, 0, study)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_constraint("ram_bytes<=1000", 0.5)
    study.tell(trial, [0.9, 100.0])
    assert study.trials[0].constraints == {"ram_bytes<=1000": 0.5}
