"""A real search: real Ray, training and SQLite. Asserts what a user finds in the database."""

import numpy as np
import optuna
import pytest

import autonn
from autonn.measure import onnx_accuracy

pytestmark = pytest.mark.integration

EXPECTED_ATTRS = {
    "n_params", "size_bytes", "epochs", "curve", "test_accuracy", "train_seconds",
    "ray_trial_id", "node", "artifacts", "latency_ms", "fp32_bytes", "compression",
}  # fmt: skip


def test_every_trial_is_stored_complete_with_the_enqueued_params_first(digits_search):
    from tests.conftest import DIGITS_TRIALS

    assert [t.state for t in digits_search.trials] == ["COMPLETE"] * 6  # no early stopping
    for t, params in zip(digits_search.trials, DIGITS_TRIALS, strict=False):
        assert {k: t.params[k] for k in params} == params
    sampled = [t.params for t in digits_search.trials[len(DIGITS_TRIALS) :]]
    assert len(sampled) == 2 and sampled[0] != sampled[1]


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


# Four trials that learn, then one that cannot (SGD at lr 1e-4 stays near chance). One trial at
# a time, so the fifth reaches the first rung (epoch 1) after the four others: the rung then holds
# enough peers to decide, and the fifth is the worst there, so ASHA stops it whatever the machine.
_LEARNS = {"depth": 1, "width_0": 32, "activation": "relu", "dropout": 0.0, "batch_size": 32,
           "weight_decay": 1e-5, "optimizer": "adam", "prune": 0.0, "quantize": "fp32"}  # fmt: skip
_STUCK = {**_LEARNS, "lr": 1e-4, "batch_size": 128, "optimizer": "sgd"}


# Four wide trials, then a narrow, slow-learning one that is far behind them at the first rung but
# ships a fraction of their bytes: on the accuracy-vs-size front, not below it.
_TINY = {**_LEARNS, "width_0": 16, "lr": 5e-4}


@pytest.mark.parametrize(("scheduler", "tiny_state"), [("moasha", "COMPLETE"), ("asha", "PRUNED")])
def test_moasha_lets_a_small_model_on_the_front_go_on_where_asha_stops_it(
    tmp_path, scheduler, tiny_state
):
    wide = [{**_LEARNS, "width_0": 128, "lr": lr} for lr in (5e-3, 1e-2, 1.5e-2, 2e-2)]
    result = autonn.search(
        # floor 0: the tiny model is at 0.14 after one epoch, barely above chance; what is tested
        # here is the ranking on size, which a floor would overrule (test_moasha.py tests that).
        autonn.SearchConfig(space="mlp", data="digits", name="mo", trials=5, max_epochs=4,
                            scheduler=scheduler, enqueue=[*wide, _TINY], floor=0.0),
        autonn.RunConfig(storage=f"sqlite:///{tmp_path}/m.db", artifacts=str(tmp_path / "art"),
                         max_concurrent=1),
    )  # fmt: skip
    tiny = result.trials[4]
    assert tiny.params["width_0"] == 16 and tiny.state == tiny_state
    first_rung = [t.attrs["curve"][0] for t in result.trials[:4]]
    assert tiny.attrs["curve"][0] < min(first_rung)  # behind every wide trial at epoch 1
    if scheduler == "moasha":  # every rung report carried the size the trial ships
        assert tiny.size_bytes < min(t.size_bytes for t in result.trials[:4]) / 4


def test_a_trial_early_stopping_stopped_is_pruned_with_its_curve(tmp_path):
    config = autonn.SearchConfig(
        space="mlp", data="digits", name="early", trials=5, max_epochs=4,
        enqueue=[*({**_LEARNS, "lr": lr} for lr in (3e-3, 5e-3, 1e-2, 2e-2)), _STUCK],
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{tmp_path}/e.db", artifacts=str(tmp_path / "art"), max_concurrent=1
    )
    result = autonn.search(config, run)
    stuck = result.trials[4]
    assert stuck.params["lr"] == 1e-4 and stuck.state == "PRUNED"
    assert stuck.values == {} and stuck.attrs["stopped_at_epoch"] == 1
    assert len(stuck.attrs["curve"]) == 1 and stuck.attrs["curve"][0] < 0.5, stuck.attrs["curve"]
    assert result.trials[0].state == "COMPLETE"  # the first has no peers to be compared with
    pruned = {t.number for t in result.trials if t.state == "PRUNED"}
    assert not pruned & {t.number for t in result.pareto}


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
            assert sum(p.numel() for p in model.parameters()) == t.attrs["n_params_trained"]
        assert config.train.lr == t.params["lr"]


def test_plain_optuna_can_open_the_database(digits_search):
    study = optuna.load_study(study_name="digits-test", storage=digits_search.storage)
    assert len(study.trials) == 6
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


def test_the_search_leaves_the_calling_processs_environment_and_logging_as_they_were(digits_search):
    import logging
    import os

    from autonn.tune._run import TUNE_ENVIRONMENT

    assert not set(TUNE_ENVIRONMENT) & set(os.environ)  # none set before the search either
    assert logging.getLogger("ray.tune").level != logging.CRITICAL  # quiet during the run only
