"""A user's own model (a ModelConfig subclass, autonn/spaces/residual_mlp.py) end to end: a real
search with Ray, resume, rebuild from params, export and predict; then the other worked example
and the dscnn family through a search and an export. Every trial is built pruned and int8-static
by the space itself, so the tests never depend on what the sampler draws or which trial wins."""

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_wine

import autonn
from autonn.spaces.residual_mlp import ResidualMLP

pytestmark = pytest.mark.integration

SPACE = """
import autonn
from autonn.spaces.residual_mlp import ResidualMLP, architecture

def space(trial):
    # The example's architecture is searched; pruning and the number format are fixed.
    return ResidualMLP(
        **architecture(trial),
        train=autonn.Training(lr=3e-3, batch_size=32),
        compress=autonn.Compression(prune=0.5, finetune_epochs=2, quantize="int8-static"),
    )
"""


def test_own_model_searches_pruned_int8_resumes_rebuilds_exports_and_predicts(tmp_path):
    (tmp_path / "space.py").write_text(SPACE)
    config = autonn.SearchConfig(
        space=f"{tmp_path}/space.py:space", data="wine", name="own-model", trials=2,
        max_epochs=6, sampler="random", seed=0, early_stop=False,
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{tmp_path}/own.db", artifacts=str(tmp_path / "art"), max_concurrent=2
    )
    autonn.search(config, run)
    result = autonn.search(dataclasses.replace(config, trials=3), run, resume=True)

    assert [t.state for t in result.trials] == ["COMPLETE"] * 3, [
        t.attrs.get("fail_reason") for t in result.trials
    ]
    space = autonn.load_space(result.info.config["space"])
    for t in result.trials:
        assert t.attrs["family"] == "residual_mlp"
        assert t.attrs["compression"] == {
            "prune": 0.5, "finetune_epochs": 2, "quantize": "int8-static"
        }  # fmt: skip
        assert t.attrs["n_params"] < 0.6 * t.attrs["n_params_trained"]
        rebuilt = space.rebuild(t.params)
        assert isinstance(rebuilt, ResidualMLP) and rebuilt.width == t.params["width"]
        data = autonn.load_dataset("wine", seed=0)
        model = rebuilt.build(data.input_shape, data.n_classes)
        assert sum(p.numel() for p in model.parameters()) == t.attrs["n_params_trained"]

    chosen = result.trials[-1]  # the resumed trial, whatever its rank
    exported = autonn.export(
        "own-model", tmp_path / "export", storage=run.storage, trial=chosen.number
    )
    assert exported.trial == chosen.number
    assert exported.test_accuracy == pytest.approx(chosen.test_accuracy, abs=0.005)
    predictor = autonn.load(tmp_path / "export")
    wine = load_wine()
    x, y = wine.data, wine.target_names[wine.target]  # raw rows; labels are wine's class names
    labels = predictor.predict(x)
    assert labels.shape == (len(x),)
    assert set(np.asarray(labels).tolist()) <= set(predictor.classes.tolist())
    np.testing.assert_array_equal(labels, predictor.classes[predictor.predict_proba(x).argmax(1)])
    assert (labels == y).mean() > 0.5  # chance is about 0.4


OTHER_SPACES = {
    "residual_cnn": """
import autonn
from autonn.spaces.residual_cnn import ResidualCNN, architecture

def space(trial):
    return ResidualCNN(
        **architecture(trial),
        train=autonn.Training(lr=3e-3, batch_size=32),
        compress=autonn.Compression(prune=0.5, finetune_epochs=1, quantize="int8-static"),
    )
""",
    "dscnn": """
import autonn

def space(trial):
    return autonn.DSCNN(
        width=trial.suggest_categorical("width", [0.5, 0.75]),
        depth=trial.suggest_int("depth", 2, 3),
        expansion=2,
        train=autonn.Training(lr=3e-3, batch_size=32),
        compress=autonn.Compression(prune=0.5, finetune_epochs=1, quantize="int8-static"),
    )
""",
}


@pytest.mark.parametrize("family", OTHER_SPACES)
def test_a_pruned_int8_static_trial_searches_and_exports(family, tmp_path):
    (tmp_path / "space.py").write_text(OTHER_SPACES[family])
    config = autonn.SearchConfig(
        space=f"{tmp_path}/space.py:space", data="digits", name=family, trials=1,
        max_epochs=3, sampler="random", seed=0, early_stop=False,
    )  # fmt: skip
    run = autonn.RunConfig(storage=f"sqlite:///{tmp_path}/s.db", artifacts=str(tmp_path / "art"))
    (trial,) = autonn.search(config, run).trials
    assert trial.state == "COMPLETE", trial.attrs.get("fail_reason")
    assert trial.attrs["family"] == family
    assert trial.attrs["compression"]["quantize"] == "int8-static"
    assert trial.attrs["n_params"] < 0.6 * trial.attrs["n_params_trained"]
    exported = autonn.export(family, tmp_path / "export", storage=run.storage, trial=trial.number)
    assert exported.test_accuracy == pytest.approx(trial.test_accuracy, abs=0.005)
    digits = load_digits()
    labels = autonn.load(tmp_path / "export").predict(digits.data)
    assert (labels.astype(int) == digits.target).mean() > 0.5  # chance is 0.1
