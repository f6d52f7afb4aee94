import optuna
import pytest

import autonn
from autonn.space import load_space

SPACE_FILE = """
import autonn

def space(trial):
    n = trial.suggest_int("n", 1, 2)
    hidden = tuple(trial.suggest_int(f"w{i}", 4, 8) for i in range(n))
    return autonn.MLP(hidden=hidden, train=autonn.suggest_training(trial))

def not_a_config(trial):
    trial.suggest_int("n", 1, 2)
    return {"n": 1}

def raises(trial):
    raise RuntimeError("boom")

def slashed(trial):
    trial.suggest_int("a/b", 1, 2)
    return autonn.MLP()

def slow(trial):  # the test's clock says each call takes 2 s: no sleep, no race with the limit
    return autonn.MLP()
"""


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "my_space.py"
    path.write_text(SPACE_FILE)
    return path


def test_builtin_names_resolve_to_ready_made_spaces():
    assert load_space("mlp").spec == "autonn.spaces.mlp:space"
    assert load_space("cnn").spec == "autonn.spaces.cnn:space"
    assert load_space("dscnn").spec == "autonn.spaces.dscnn:space"
    assert isinstance(load_space("dscnn").check(), autonn.DSCNN)


def test_file_spec_is_stored_with_an_absolute_path(space_file, monkeypatch):
    monkeypatch.chdir(space_file.parent)
    space = load_space("my_space.py:space")
    assert space.spec == f"{space_file}:space"


def test_stored_params_rebuild_the_exact_config(space_file):
    space = load_space(f"{space_file}:space")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    trial = study.ask()
    sampled = space.sample(trial)
    assert space.rebuild(trial.params) == sampled
    assert len(sampled.hidden) == trial.params["n"]


def test_conditional_params_rebuild_for_every_depth(space_file):
    space = load_space(f"{space_file}:space")
    for n in (1, 2):
        params = {"n": n, **{f"w{i}": 5 for i in range(n)}}
        params.update(lr=1e-3, batch_size=32, weight_decay=1e-4, optimizer="adam")
        assert space.rebuild(params).hidden == (5,) * n


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        ("not_a_config", "must return an autonn config"),
        ("raises", "raised RuntimeError: boom"),
        ("slashed", "must not contain '/'"),
        ("slow", "to sample one trial"),
    ],
)
def test_broken_spaces_get_a_clear_error(space_file, fn, message, monkeypatch):
    if fn == "slow":
        import itertools
        import types

        from autonn.space import _loader

        ticks = itertools.count(step=2.0)  # every reading of the clock is 2 s after the last
        monkeypatch.setattr(
            _loader, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks))
        )
    space = load_space(f"{space_file}:{fn}")
    with pytest.raises(autonn.UsageError, match=message):
        space.check(samples=1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch", "unknown search space"),
        ("missing.py:space", "no such file"),
        ("json:space", "has no function named 'space'"),
        ("not_a_module_xyz:space", "cannot import module"),
    ],
)
def test_bad_specs_get_a_clear_error(spec, message):
    with pytest.raises(autonn.UsageError, match=message):
        load_space(spec)


def test_rebuild_with_missing_param_fails_clearly():
    with pytest.raises(autonn.UsageError, match="depth"):
        load_space("mlp").rebuild({"lr": 0.1})
