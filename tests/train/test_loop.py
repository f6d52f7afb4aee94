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
