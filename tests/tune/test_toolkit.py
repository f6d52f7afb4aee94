"""The compression toolkit end to end: a search with warm start, starting weights, distillation
and low-rank factorisation all on, through search, export and predict.

Trials run one at a time and the kinds the asserts need are enqueued, so each trial's teacher
(the best trial complete when it starts) is known whatever the timing or the sampler."""

import dataclasses
import json

import numpy as np
import optuna
import pytest

import autonn
from tests.conftest import _BASE

pytestmark = pytest.mark.integration

PLAIN = {**_BASE, "prune": 0.0, "rank_ratio": 1.0, "distill_alpha": 0.0, "quantize": "fp32"}
STUDENT = {**_BASE, "prune": 0.25, "rank_ratio": 0.3, "finetune_epochs": 2, "distill_alpha": 0.5,
           "distill_temperature": 2.0, "quantize": "int8-static"}  # fmt: skip


@pytest.fixture(scope="module")
def toolkit_run(digits_search, fp32_trial, tmp_path_factory):
    root = tmp_path_factory.mktemp("toolkit")
    config = autonn.SearchConfig(
        space="autonn.spaces.mlp:toolkit",
        data="digits",
        name="toolkit-test",
        trials=len(_front(digits_search)) + 2,
        max_epochs=3,
        seed=1,  # another split of the data: the earlier search's work moves to it
        early_stop=False,
        enqueue=(PLAIN, STUDENT),
        warm_start=digits_search.name,
        init_from=f"{digits_search.name}:{fp32_trial.number}",
        from_storage=digits_search.storage,
    )
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/toolkit.db", artifacts=str(root / "art"), max_concurrent=1
    )
    return config, run


@pytest.fixture(scope="module")
def toolkit_search(toolkit_run) -> autonn.Search:
    return autonn.search(*toolkit_run)


def _front(search):
    params = []
    for t in sorted(search.pareto, key=lambda t: t.number):
        if t.params not in params:
            params.append(t.params)
    return params


def test_warm_start_runs_exactly_the_earlier_front_first(toolkit_search, digits_search):
    front = _front(digits_search)
    first = toolkit_search.trials[: len(front)]
    # The toolkit space adds rank_ratio and distill_alpha, which the sampler chose.
    assert [{k: t.params[k] for k in p} for t, p in zip(first, front, strict=True)] == front
    assert toolkit_search.trials[len(front)].params == PLAIN
    assert toolkit_search.trials[len(front) + 1].params == STUDENT


def test_every_trial_starts_from_the_named_weights(toolkit_search, digits_search, fp32_trial):
    assert [t.state for t in toolkit_search.trials] == ["COMPLETE"] * len(toolkit_search.trials)
    for t in toolkit_search.trials:
        assert t.attrs["init_from"] == f"{digits_search.name}:{fp32_trial.number}"
    plain = toolkit_search.trials[-2]  # fp32_trial's architecture: every tensor matches
    assert plain.attrs["init_tensors"] == "4 of 4"


def test_the_student_learnt_from_the_best_trial_before_it_and_was_factorised(toolkit_search):
    *before, student = toolkit_search.trials
    best = max(before, key=lambda t: (t.score, -t.number))
    assert student.attrs["teacher"] == f"{toolkit_search.name}:{best.number}"
    assert student.attrs["distilled"] is True
    assert student.attrs["compression"] == {
        "prune": 0.25, "finetune_epochs": 2, "quantize": "int8-static", "rank_ratio": 0.3,
        "distill_alpha": 0.5, "distill_temperature": 2.0,
    }  # fmt: skip
    assert student.attrs["factorised_layers"] == ["1", "3"]
    assert student.attrs["n_params"] < 0.5 * student.attrs["n_params_trained"]


def test_the_distilled_factorised_student_exports_and_predicts(toolkit_search, tmp_path):
    student = toolkit_search.trials[-1]
    out = tmp_path / "student"
    result = autonn.export(
        toolkit_search.name, out, storage=toolkit_search.storage, trial=student.number
    )
    assert result.test_score == pytest.approx(student.test_score, abs=1e-9)
    data = autonn.load_dataset("digits", seed=1)
    raw = data.x_test * data.std + data.mean  # the predictor takes raw inputs
    predicted = autonn.load(out).predict(raw)
    # Raw inputs standardised again differ from the stored ones in the last float bit.
    assert np.mean(predicted == data.y_test) == pytest.approx(student.test_score, abs=0.005)
    card = json.loads((out / "model_card.json").read_text())["compression"]
    assert card["rank_ratio"] == 0.3 and card["factorised_layers"] == ["1", "3"]
    assert card["distillation"]["teacher"] == student.attrs["teacher"]
    assert card["init_from"]["model"] == student.attrs["init_from"]
    text = (out / "MODEL_CARD.md").read_text()
    assert "low-rank factorisation: rank ratio 0.3; layers `1`, `3`" in text
    assert f"teacher `{student.attrs['teacher']}`" in text


def test_a_resumed_search_takes_its_students_teacher_from_the_stored_trials(
    toolkit_search, toolkit_run
):
    config, run = toolkit_run
    n = len(toolkit_search.trials)
    study = optuna.load_study(study_name=toolkit_search.name, storage=run.storage)
    study.enqueue_trial({**STUDENT, "width_0": 48})
    resumed = autonn.search(dataclasses.replace(config, trials=n + 1), run, resume=True)
    # The warm start is not enqueued again: the search grows by the one trial asked for.
    assert len(resumed.trials) == n + 1
    *before, student = resumed.trials
    assert student.state == "COMPLETE" and student.params["width_0"] == 48
    best = max(before, key=lambda t: (t.score, -t.number))
    assert student.attrs["teacher"] == f"{resumed.name}:{best.number}"
