"""Distillation: the student's loss really uses the teacher's outputs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import autonn
from autonn.data import load_dataset
from autonn.task import REGRESSION
from autonn.train import Distillation, seed_everything, train


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine", seed=0)


def _fit(data, distill=None, task=autonn.task.CLASSIFICATION, scaling=None, epochs=3):
    seed_everything(0)
    model = autonn.MLP(hidden=(16,)).build(data.input_shape, data.n_outputs)
    train(model, autonn.Training(lr=1e-2), data.x_train, data.y_train, data.x_val, data.y_val,
          epochs=epochs, seed=0, distill=distill, task=task, scaling=scaling)  # fmt: skip
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_the_teacher_term_is_zero_when_the_student_agrees_and_grows_as_it_does_not():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0]])
    d = Distillation(teacher, alpha=0.5, temperature=2.0, task="classification")
    assert d.teacher_term(teacher.clone(), teacher).item() == pytest.approx(0.0, abs=1e-7)
    near, far = teacher + 0.1 * torch.randn(2, 3), -teacher
    assert 0 < d.teacher_term(near, teacher) < d.teacher_term(far, teacher)
    # Hinton et al.: KL of the softened distributions, scaled by T^2.
    soft_teacher = F.softmax(teacher / 2, -1)
    expected = F.kl_div(F.log_softmax(far / 2, -1), soft_teacher, reduction="batchmean")
    assert d.teacher_term(far, teacher).item() == pytest.approx(4 * expected.item(), rel=1e-5)


def test_the_blended_loss_weights_labels_and_teacher_by_alpha():
    torch.manual_seed(0)
    teacher, outputs = torch.randn(6, 3), torch.randn(4, 3)
    targets, rows = torch.tensor([0, 1, 2, 0]), torch.tensor([5, 0, 2, 3])
    ce = torch.nn.CrossEntropyLoss()
    d = Distillation(teacher, alpha=0.3, temperature=4.0, task="classification")
    got = d.loss(ce)(outputs, targets, rows)
    # The batch's rows pick the teacher's outputs for those training samples, not the first ones.
    want = 0.7 * ce(outputs, targets) + 0.3 * d.teacher_term(outputs, teacher[rows])
    assert got.item() == pytest.approx(want.item(), rel=1e-6)


def test_regression_matches_the_teachers_outputs():
    teacher, outputs = torch.tensor([[1.0], [2.0]]), torch.tensor([[1.5], [2.0]])
    d = Distillation(teacher, alpha=1.0, temperature=4.0, task="regression")
    assert d.teacher_term(outputs, teacher).item() == pytest.approx(0.125)


def test_training_follows_the_teacher_and_alpha_zero_ignores_it(wine):
    n, k = len(wine.x_train), wine.n_outputs
    plain = _fit(wine)
    one = torch.randn(n, k, generator=torch.Generator().manual_seed(1))
    other = torch.randn(n, k, generator=torch.Generator().manual_seed(2))
    assert torch.equal(_fit(wine, Distillation(one, 0.0, 4.0, "classification")), plain)
    with_one = _fit(wine, Distillation(one, 0.5, 4.0, "classification"))
    assert not torch.equal(with_one, plain)
    assert not torch.equal(_fit(wine, Distillation(other, 0.5, 4.0, "classification")), with_one)
    # The same teacher gives the same student: the difference is the teacher, not noise.
    assert torch.equal(_fit(wine, Distillation(one.clone(), 0.5, 4.0, "classification")), with_one)


def test_a_regression_student_with_alpha_one_learns_the_teachers_function_not_the_labels():
    data = load_dataset("diabetes", seed=0, task="regression")
    # The teacher says every target is its standardised mean (0): a student that learns only
    # from it predicts nearly a constant, far from the labels' spread.
    teacher = torch.zeros(len(data.x_train), 1)
    d = Distillation(teacher, alpha=1.0, temperature=4.0, task="regression")
    seed_everything(0)
    model = autonn.MLP(hidden=(16,)).build(data.input_shape, 1)
    train(model, autonn.Training(lr=1e-2), data.x_train, data.y_train, data.x_val, data.y_val,
          epochs=20, seed=0, distill=d, task=REGRESSION, scaling=data.target)  # fmt: skip
    with torch.no_grad():
        predicted = model(torch.from_numpy(data.x_val)).numpy()
    assert np.std(predicted) < 0.1  # the standardised labels have std ~1


def test_a_teacher_for_another_split_is_refused(wine):
    wrong = Distillation(torch.zeros(3, wine.n_outputs), 0.5, 4.0, "classification")
    with pytest.raises(ValueError, match="teacher's outputs cover 3 samples"):
        _fit(wine, wrong)
