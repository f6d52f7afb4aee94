import numpy as np
import pytest

import autonn
from autonn.data import load_dataset
from autonn.train import seed_everything, train


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine", seed=0)


def _fit(data, training, epochs=5, seed=0):
    seed_everything(seed)
    model = autonn.MLP(hidden=(16,)).build(data.input_shape, data.n_classes)
    curve = train(
        model,
        training,
        data.x_train,
        data.y_train,
        data.x_val,
        data.y_val,
        epochs=epochs,
        seed=seed,
    )
    return model, curve


def test_reports_validation_accuracy_every_epoch_and_learns(wine):
    seen = []
    seed_everything(0)
    model = autonn.MLP(hidden=(16,)).build(wine.input_shape, wine.n_classes)
    curve = train(
        model,
        autonn.Training(lr=1e-2),
        wine.x_train,
        wine.y_train,
        wine.x_val,
        wine.y_val,
        epochs=8,
        seed=0,
        report=lambda epoch, acc: seen.append((epoch, acc)),
    )
    assert [e for e, _ in seen] == list(range(1, 9))
    assert [a for _, a in seen] == curve
    assert curve[-1] > 0.85  # wine is easy; chance is about 0.4


def test_same_seed_same_curve(wine):
    _, a = _fit(wine, autonn.Training(lr=1e-2), seed=7)
    _, b = _fit(wine, autonn.Training(lr=1e-2), seed=7)
    assert a == b


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_optimizer_trains(wine, optimizer):
    _, curve = _fit(wine, autonn.Training(lr=1e-2, optimizer=optimizer), epochs=6)
    assert curve[-1] > 0.6


def test_diverging_loss_fails_the_trial_with_the_reason(wine):
    x = wine.x_train * np.float32(1e30)  # makes the loss overflow to inf/nan at once
    model = autonn.MLP(hidden=(8,)).build(wine.input_shape, wine.n_classes)
    with pytest.raises(autonn.TrialFailed, match="learning rate"):
        train(
            model,
            autonn.Training(lr=10.0, optimizer="sgd"),
            x,
            wine.y_train,
            wine.x_val,
            wine.y_val,
            epochs=3,
            seed=0,
        )


def test_regression_reports_rmse_in_the_targets_units_and_learns():
    from autonn.task import REGRESSION

    d = load_dataset("diabetes", seed=0, task="regression")
    seed_everything(0)
    model = autonn.MLP(hidden=(32,)).build(d.input_shape, d.n_outputs)
    split = (d.x_train, d.y_train, d.x_val, d.y_val)
    fit = {"task": REGRESSION, "metric": "rmse", "scaling": d.target}
    curve = train(model, autonn.Training(lr=1e-2), *split, epochs=15, seed=0, **fit)
    mean_guess = float(np.sqrt(np.mean((d.y_val - d.y_train.mean()) ** 2)))
    assert len(curve) == 15 and curve[-1] > 10  # target units: diabetes rmse is tens, not < 1
    assert curve[-1] < 0.85 * mean_guess  # better than always predicting the training mean


def test_a_run_ends_with_the_weights_of_its_best_validation_epoch():
    from autonn.task import REGRESSION
    from autonn.train import best_epoch, predict_logits

    d = load_dataset("diabetes", seed=0, task="regression")
    seed_everything(0)
    model = autonn.MLP(hidden=(64,)).build(d.input_shape, d.n_outputs)
    split = (d.x_train, d.y_train, d.x_val, d.y_val)
    fit = {"task": REGRESSION, "scaling": d.target}
    curve = train(model, autonn.Training(lr=0.03), *split, epochs=12, seed=0, **fit)
    kept = best_epoch(curve, "rmse")
    assert kept < len(curve) and curve[kept - 1] < curve[-1]  # the last epoch is not the best
    outputs = predict_logits(model, d.x_val).numpy()
    assert REGRESSION.score("rmse", d.y_val, outputs, d.target) == pytest.approx(
        curve[kept - 1], rel=1e-5
    )


@pytest.mark.parametrize("schedule", ["constant", "cosine", "onecycle"])
def test_learning_rate_schedules_with_warm_up(schedule):
    from autonn.train._loop import _lr_factor

    steps = 100
    f = _lr_factor(autonn.Training(schedule=schedule, warmup_epochs=2), 10, steps)
    lrs = [f(s) for s in range(steps)]
    assert lrs[0] == pytest.approx(1 / 20) and lrs[19] == pytest.approx(1.0)  # 2 of 10 epochs
    assert all(a <= b for a, b in zip(lrs[:20], lrs[1:20], strict=False))  # rising warm-up
    if schedule == "constant":
        assert set(lrs[20:]) == {1.0}
    else:
        assert lrs[-1] < 0.01 and all(a >= b for a, b in zip(lrs[20:], lrs[21:], strict=False))
    plain = _lr_factor(autonn.Training(schedule=schedule), 10, steps)
    peak = max(range(steps), key=plain)
    assert peak == (29 if schedule == "onecycle" else 0)  # onecycle warms up 30% by itself


def test_gradient_clipping_bounds_each_step():
    def moved(training):
        seed_everything(0)
        model = autonn.MLP(hidden=(8,)).build((4,), 3)
        before = [p.detach().clone() for p in model.parameters()]
        x, y = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32), np.arange(32) % 3
        train(model, training, x, y, x, y, epochs=1, seed=0)
        after = [p.detach() for p in model.parameters()]
        return sum(float((a - b).abs().sum()) for a, b in zip(after, before, strict=True))

    sgd = {"lr": 0.1, "optimizer": "sgd", "batch_size": 32}
    assert moved(autonn.Training(**sgd, grad_clip=1e-6)) < 1e-3 * moved(autonn.Training(**sgd))


def test_label_smoothing_reaches_the_loss_and_regression_ignores_it():
    from autonn.task import CLASSIFICATION, REGRESSION

    assert CLASSIFICATION.loss(label_smoothing=0.1).label_smoothing == 0.1
    assert type(REGRESSION.loss(label_smoothing=0.1)).__name__ == "MSELoss"


def test_a_configs_own_loss_is_used_by_the_trial(tmp_path, wine):
    import dataclasses

    from torch import nn

    from autonn.trial import run_trial

    calls = []

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Counted(autonn.MLP):
        def loss(self, output, target):
            calls.append(len(target))
            return nn.functional.cross_entropy(output, target)

    config = Counted(hidden=(8,), train=autonn.Training(batch_size=64))
    outcome = run_trial(config, wine, seed=0, max_epochs=2, out_dir=tmp_path)
    assert len(calls) == 2 * -(-len(wine.y_train) // 64)  # every batch of both epochs
    assert outcome.attrs["best_epoch"] in (1, 2) and "accuracy" in outcome.values


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schedule": "step"}, "schedule"),
        ({"warmup_epochs": -1}, "warmup_epochs"),
        ({"label_smoothing": 0.5}, "label_smoothing"),
        ({"grad_clip": 0.0}, "grad_clip"),
    ],
)
def test_recipe_values_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        autonn.Training(**kwargs)
