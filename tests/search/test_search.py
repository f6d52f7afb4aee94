"""A real search: real Ray, training and SQLite. Asserts what a user finds in the database."""

import numpy as np
import optuna
import pytest

import autonn
from autonn.measure import onnx_accuracy

pytestmark = pytest.mark.integration

EXPECTED_ATTRS = {
    "params", "size_bytes", "epochs", "curve", "test_accuracy", "train_seconds",
    "ray_trial_id", "node", "artifacts", "latency_ms", "fp32_bytes", "compression",
}  # fmt: skip


def test_every_trial_is_stored_with_its_state(digits_search):
    states = [t.state for t in digits_search.trials]
    assert len(states) == 8
    assert set(states) <= {"COMPLETE", "PRUNED"}
    assert "COMPLETE" in states and "PRUNED" in states  # ASHA stopped some


def test_complete_trials_carry_both_objectives_and_their_measurements(digits_search):
    for t in digits_search.trials:
        if t.state != "COMPLETE":
            continue
        assert set(t.values) == {"accuracy", "size_bytes"}
        assert 0.0 <= t.accuracy <= 1.0  # a heavily pruned 4-epoch trial can score low
        assert EXPECTED_ATTRS <= set(t.attrs)
        assert t.attrs["epochs"] == 4 and len(t.attrs["curve"]) >= 4
        assert 0.0 <= t.test_accuracy <= 1.0
    best = max(t.accuracy for t in digits_search.pareto)
    assert best > 0.85  # digits: far above chance (0.1) even with 4 epochs


def test_pruned_trials_stopped_before_the_budget_and_are_not_on_the_front(digits_search):
    pruned = [t for t in digits_search.trials if t.state == "PRUNED"]
    for t in pruned:
        assert t.values == {}
        assert 1 <= t.attrs["stopped_at_epoch"] < 4
        assert len(t.attrs["curve"]) == t.attrs["stopped_at_epoch"]
    assert not {t.number for t in pruned} & {t.number for t in digits_search.pareto}


def test_size_is_the_stored_artifact_and_its_accuracy_reproduces(digits_search):
    data = autonn.load_dataset("digits", seed=0)
    for t in (t for t in digits_search.trials if t.state == "COMPLETE"):
        artifact = f"{t.attrs['artifacts']}/model.onnx"
        with open(artifact, "rb") as f:
            assert len(f.read()) == t.size_bytes
        assert onnx_accuracy(artifact, data.x_val, data.y_val) == pytest.approx(t.accuracy)


def test_a_stored_trial_rebuilds_exactly_from_its_params(digits_search):
    space = autonn.load_space(digits_search.info.config["space"])
    data = autonn.load_dataset("digits", seed=0)
    for t in digits_search.trials:
        config = space.rebuild(t.params)
        model = config.build(data.input_shape, data.n_classes)
        if t.state == "COMPLETE":
            assert sum(p.numel() for p in model.parameters()) == t.attrs["params_trained"]
        assert config.train.lr == t.params["lr"]


def test_plain_optuna_can_open_the_database(digits_search):
    study = optuna.load_study(study_name="digits-test", storage=digits_search.storage)
    assert len(study.trials) == 8
    assert {t.number for t in study.best_trials} == {t.number for t in digits_search.pareto}
    config = study.user_attrs["autonn"]
    assert config["data"] == "digits" and config["seed"] == 0
    assert config["objectives"] == ["accuracy", "size_bytes"]


DIVERGING_SPACE = """
import autonn

def space(trial):
    # lr 1e8 with SGD overflows within two epochs: those trials must FAIL, the others complete.
    lr = trial.suggest_categorical("lr", [1e-2, 1e8])
    return autonn.MLP(hidden=(16,), train=autonn.Training(lr=lr, optimizer="sgd"))
"""


def test_failing_trials_keep_their_reason_and_the_search_goes_on(tmp_path):
    (tmp_path / "space.py").write_text(DIVERGING_SPACE)
    result = autonn.search(
        autonn.SearchConfig(
            space=f"{tmp_path}/space.py:space", data="wine", trials=6, max_epochs=3,
            sampler="random", seed=1, early_stop=False,
        ),
        autonn.RunConfig(storage=f"sqlite:///{tmp_path}/a.db", artifacts=str(tmp_path / "art")),
    )  # fmt: skip
    by_lr = {lr: [t for t in result.trials if t.params["lr"] == lr] for lr in (1e-2, 1e8)}
    assert by_lr[1e8] and by_lr[1e-2], "the seeded sampler should pick both values"
    for t in by_lr[1e8]:
        assert t.state == "FAIL"
        assert "learning rate" in t.attrs["fail_reason"]
    assert all(t.state == "COMPLETE" for t in by_lr[1e-2])
    assert np.isfinite([t.accuracy for t in by_lr[1e-2]]).all()


def test_latency_can_be_a_third_objective(tmp_path):
    result = autonn.search(
        autonn.SearchConfig(
            space="mlp", data="wine", trials=3, max_epochs=2,
            objectives=("accuracy", "size_bytes", "latency_ms"),
        ),
        autonn.RunConfig(storage=f"sqlite:///{tmp_path}/l.db", artifacts=str(tmp_path / "art")),
    )  # fmt: skip
    complete = [t for t in result.trials if t.state == "COMPLETE"]
    assert complete and result.pareto
    for t in complete:
        assert set(t.values) == {"accuracy", "size_bytes", "latency_ms"}
        assert t.values["latency_ms"] == t.attrs["latency_ms"] > 0
