"""Teachers and starting weights: naming them, checking them, loading them."""

import optuna
import pytest
import torch
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial
from torch import nn

from autonn.errors import UsageError
from autonn.store import CONFIG_ATTR
from autonn.transfer import load_matching, resolve_source
from autonn.transfer._source import best_trial_source

DISTS = {"lr": FloatDistribution(1e-4, 1e-1)}


def _study(storage, name, objectives, directions, rows):
    study = optuna.create_study(storage=storage, study_name=name, directions=directions)
    study.set_user_attr(CONFIG_ATTR, {"objectives": objectives, "space": "mlp"})
    for i, (state, values) in enumerate(rows):
        study.add_trial(
            create_trial(
                state=state, params={"lr": 1e-3 * (i + 1)}, distributions=DISTS, values=values,
                user_attrs={"artifacts": f"/art/trial_{i}"},
            )
        )  # fmt: skip
    return study


@pytest.mark.parametrize(
    ("objectives", "directions", "best"),
    [
        (["accuracy", "size_bytes"], ["maximize", "minimize"], 2),
        (["size_bytes", "rmse"], ["minimize", "minimize"], 1),  # lower is better; any position
    ],
)
def test_the_default_teacher_is_the_best_complete_trial_so_far(objectives, directions, best):
    c = TrialState.COMPLETE
    metric_first = objectives[0] != "size_bytes"

    def values(metric, size):
        return [metric, size] if metric_first else [size, metric]

    study = _study(None, "s", objectives, directions, [
        (c, values(0.5, 10.0)),
        (c, values(0.2, 99.0)),
        (c, values(0.9, 50.0)),
        (TrialState.PRUNED, None),
    ])  # fmt: skip
    source = best_trial_source(study, "s", tuple(objectives), "mlp")
    assert source.label == f"s:{best}"
    assert source.location == f"/art/trial_{best}"
    assert source.params == {"lr": pytest.approx(1e-3 * (best + 1))}


def test_no_teacher_before_any_trial_completes():
    study = _study(None, "s", ["accuracy", "size_bytes"], ["maximize", "minimize"],
                   [(TrialState.FAIL, None)])  # fmt: skip
    assert best_trial_source(study, "s", ("accuracy", "size_bytes"), "mlp") is None


def test_naming_a_teacher_that_is_not_a_finished_trial_says_so(tmp_path):
    storage = f"sqlite:///{tmp_path}/a.db"
    _study(storage, "old", ["accuracy", "size_bytes"], ["maximize", "minimize"],
           [(TrialState.COMPLETE, [0.9, 1.0]), (TrialState.PRUNED, None)])  # fmt: skip
    kw = {"storage": storage, "copy_to": str(tmp_path / "art"), "role": "teacher"}
    assert resolve_source("old:0", **kw).label == "old:0"
    with pytest.raises(UsageError, match="trial 1 is PRUNED, not COMPLETE"):
        resolve_source("old:1", **kw)
    with pytest.raises(UsageError, match="has no trial 7"):
        resolve_source("old:7", **kw)
    with pytest.raises(UsageError, match="give SEARCH:TRIAL"):
        resolve_source("old", **kw)
    (tmp_path / "pkg").mkdir()
    with pytest.raises(UsageError, match="has no model.pt2"):
        resolve_source(str(tmp_path / "pkg"), **kw)


def test_a_package_teacher_is_copied_to_the_search_artifacts(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    model = nn.Sequential(nn.Linear(4, 3))
    torch.export.save(torch.export.export(model, (torch.zeros(2, 4),)), pkg / "model.pt2")
    source = resolve_source(str(pkg), storage="sqlite://", copy_to=str(tmp_path / "art" / "s"),
                            role="teacher")  # fmt: skip
    assert source.label == f"package:{pkg}"
    assert (tmp_path / "art" / "s" / "teacher" / "model.pt2").read_bytes() == (
        pkg / "model.pt2"
    ).read_bytes()


def test_starting_weights_are_copied_where_name_and_shape_match():
    torch.manual_seed(0)
    source = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    target = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 5))  # a new task's head
    head = target[2].weight.detach().clone()
    assert load_matching(target, source.state_dict()) == (2, 4)
    assert torch.equal(target[0].weight, source[0].weight)
    assert torch.equal(target[0].bias, source[0].bias)
    assert torch.equal(target[2].weight, head)  # shape differs: left as initialised


def test_a_package_and_a_trial_load_as_the_model_they_hold(tmp_path):
    from autonn.data import load_dataset
    from autonn.transfer import source_model, source_state
    from autonn.transfer._source import ModelSource

    data = load_dataset("wine", seed=0)
    x = torch.from_numpy(data.x_val[:5])
    torch.manual_seed(0)
    params = {"depth": 1, "width_0": 20, "activation": "relu", "dropout": 0.0, "lr": 1e-3,
              "batch_size": 32, "weight_decay": 1e-5, "optimizer": "adam", "prune": 0.0,
              "quantize": "fp32"}  # fmt: skip
    import autonn

    model = autonn.load_space("mlp").rebuild(params).build(data.input_shape, data.n_outputs).eval()
    (tmp_path / "trial").mkdir()
    torch.save(model.state_dict(), tmp_path / "trial" / "weights.pt")
    trial = ModelSource("s:0", str(tmp_path / "trial"), "mlp", params)
    (tmp_path / "pkg").mkdir()
    torch.export.save(torch.export.export(model, (x,)), tmp_path / "pkg" / "model.pt2")
    package = resolve_source(str(tmp_path / "pkg"), storage="sqlite://",
                             copy_to=str(tmp_path / "art"), role="init-from")  # fmt: skip
    with torch.no_grad():
        expected = model(x)
        for source in (trial, package):
            torch.testing.assert_close(source_model(source, data)(x), expected)
            state = source_state(source)
            assert state.keys() == model.state_dict().keys()
            for name, tensor in model.state_dict().items():
                assert torch.equal(state[name], tensor)


def test_a_teacher_for_other_inputs_or_classes_is_refused_before_the_search(tmp_path):
    from autonn.data import load_dataset
    from autonn.transfer._source import ModelSource, check_teacher

    wine, digits = load_dataset("wine", seed=0), load_dataset("digits", seed=0)
    (tmp_path / "pkg").mkdir()
    head = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))  # digits' inputs, wine's 3 classes
    example = torch.from_numpy(digits.x_train[:2])
    torch.export.save(torch.export.export(head, (example,)), tmp_path / "pkg" / "model.pt2")
    source = ModelSource("package:x", str(tmp_path / "pkg"))
    with pytest.raises(UsageError, match="gives 3 outputs per sample, but this data needs 10"):
        check_teacher(source, digits)
    with pytest.raises(UsageError, match=r"cannot take this data's inputs \(13,\)"):
        check_teacher(source, wine)


def test_teacher_outputs_come_batch_by_batch_on_the_trials_device():
    from autonn.transfer._source import teacher_outputs

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3)).eval()
    x = torch.randn(23, 4).numpy()
    sizes = []
    model.register_forward_hook(lambda mod, args, out: sizes.append(len(args[0])))
    got = teacher_outputs(model, x, device="cpu", batch=10)
    assert sizes == [10, 10, 3]  # never all of x at once
    assert got.device.type == "cpu" and got.shape == (23, 3)
    with torch.no_grad():
        torch.testing.assert_close(got, model(torch.from_numpy(x)))
