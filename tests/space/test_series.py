"""The series_cnn family (autonn.SeriesCNN, the built-in `series` space) on a univariate and a
multivariate series: it builds with weights independent of the length, a pruned trial ships in
every number format of every target, with augmentation on the exported model takes the same
inputs, and a small real search runs the built-in space."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest
import torch

import autonn
from autonn.measure import onnx_logits
from autonn.train import predict_logits
from autonn.trial import ARTIFACT, WEIGHTS, rebuild_model, run_trial
from tests.target.conftest import FORMATS, target_or_skip

SERIES = {"univariate": (1, 48), "multivariate": (3, 32)}
TRAINING = autonn.Training(lr=3e-3, batch_size=16)
AUGMENT = autonn.Augmentation(shift=0.1, scale=0.1, jitter=0.05, window=0.2, mixup=0.2)


def _series(n: int, shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k: a sine of frequency k + 1 in the last channel, noise in the others."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.linspace(0, 2 * np.pi, shape[1], dtype=np.float32)
    x = rng.normal(0, 0.3, (n, *shape)).astype(np.float32)
    x[:, -1] += np.sin((y[:, None] + 1) * t[None, :] + rng.uniform(0, 1, (n, 1)))
    return x, y


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, autonn.Dataset]:
    """Each as a .npz with its own test split, as bench/ucr.py saves the UCR archive's."""
    out = {}
    for name, shape in SERIES.items():
        x, y = _series(150, shape, 0)
        x_test, y_test = _series(60, shape, 1)
        path = tmp_path_factory.mktemp(name) / f"{name}.npz"
        np.savez(path, x=x, y=y, x_test=x_test, y_test=y_test)
        out[name] = autonn.load_dataset(str(path), seed=0)
    return out


def _config(residual: bool, prune: float, quantize: str, augment=AUGMENT) -> autonn.SeriesCNN:
    compress = autonn.Compression(prune=prune, finetune_epochs=1 if prune else 0, quantize=quantize)
    return autonn.SeriesCNN(channels=(8, 16), kernel_sizes=(5, 3), residual=residual,
                            train=TRAINING, compress=compress, augment=augment)  # fmt: skip


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("series", SERIES)
def test_it_builds_conv1d_blocks_with_batch_norm_and_weights_that_ignore_the_length(
    series, residual
):
    channels, length = SERIES[series]
    config = _config(residual, 0.0, "fp32")
    model = config.build((channels, length), 3)
    assert model(torch.randn(4, channels, length)).shape == (4, 3)
    kinds = {type(m) for m in model.modules()}
    assert {torch.nn.Conv1d, torch.nn.BatchNorm1d, torch.nn.AdaptiveAvgPool1d} <= kinds
    longer = config.build((channels, 10 * length), 3)
    assert longer(torch.randn(2, channels, 10 * length)).shape == (2, 3)
    assert autonn.compress.count_parameters(longer) == autonn.compress.count_parameters(model)


def test_a_series_without_its_channel_axis_is_refused_saying_how_to_fix_it():
    with pytest.raises(autonn.UsageError, match=r"\(n, 1, length\)"):
        autonn.SeriesCNN().build((48,), 3)
    with pytest.raises(ValueError, match="odd"):
        autonn.SeriesCNN(kernel_sizes=(8, 5, 3))


@pytest.mark.parametrize("quantize", FORMATS["onnx"])
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("series", SERIES)
def test_a_pruned_augmented_trial_ships_in_every_number_format(series, residual, quantize, datasets,
                                                               tmp_path):  # fmt: skip
    data = datasets[series]
    config = _config(residual, 0.5, quantize)
    out = run_trial(config, data, seed=0, max_epochs=2, out_dir=tmp_path)
    assert out.attrs["n_params"] < 0.6 * out.attrs["n_params_trained"]  # pruning really shrank it
    assert out.attrs["family"] == "series_cnn"
    assert 0.0 <= out.values["accuracy"] <= 1.0 and out.values["size_bytes"] > 0
    # The exported model takes what the data holds, (batch, channels, length): augmentation
    # changed the training batches, not the model's inputs.
    graph = onnx.load(str(tmp_path / ARTIFACT)).graph
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim][1:]
    assert tuple(dims) == data.input_shape
    unaugmented = config.build(data.input_shape, data.n_outputs).state_dict()
    plain = dataclasses.replace(config, augment=autonn.Augmentation())
    assert {k: v.shape for k, v in plain.build(data.input_shape, 3).state_dict().items()} == {
        k: v.shape for k, v in unaugmented.items()
    }
    if quantize == "fp32":
        model = rebuild_model(config, data, tmp_path / WEIGHTS)
        np.testing.assert_allclose(onnx_logits(tmp_path / ARTIFACT, data.x_test),
                                   predict_logits(model, data.x_test).numpy(),
                                   rtol=1e-4, atol=1e-4)  # fmt: skip


DEVICE_CASES = [
    pytest.param(target, fmt, series, id=f"{target}-{fmt}-{series}")
    for target in ("litert", "tflm")
    for fmt in FORMATS[target]
    for series in SERIES
]


@pytest.mark.integration
@pytest.mark.parametrize("target, quantize, series", DEVICE_CASES)
def test_a_pruned_residual_trial_runs_on_the_device_targets(
    target, quantize, series, datasets, tmp_path
):
    target_or_skip(target)
    data = datasets[series]
    out = run_trial(_config(True, 0.5, quantize), data, seed=0, max_epochs=2, out_dir=tmp_path,
                    target=target)  # fmt: skip
    assert out.attrs["target"] == target
    assert out.values["ram_bytes"] > 0 and out.values["flash_bytes"] > 0
    assert 0.0 <= out.values["accuracy"] <= 1.0
    assert out.attrs["n_params"] < 0.6 * out.attrs["n_params_trained"]


@pytest.mark.integration
def test_a_small_search_of_the_built_in_series_space(datasets, tmp_path):
    """Two enqueued trials of the `series` space, one multivariate data set: a plain fp32 FCN and
    a pruned, augmented, int8 residual net. Both complete and the front reads their accuracy."""
    base = {"blocks": 2, "convs_per_block": 2, "channels_0": 8, "channels_1": 16, "kernel_0": 5,
            "kernel_1": 3, "dropout": 0.0, "lr": 3e-3, "batch_size": 16, "weight_decay": 1e-5,
            "optimizer": "adam"}  # fmt: skip
    plain = {**base, "residual": False, "augment": False, "prune": 0.0, "quantize": "fp32"}
    packed = {**base, "residual": True, "augment": True, "aug_shift": 0.1, "aug_scale": 0.1,
              "aug_jitter": 0.05, "aug_window": 0.2, "aug_mixup": 0.2, "prune": 0.25,
              "finetune_epochs": 2, "quantize": "int8-static"}  # fmt: skip
    path = tmp_path / "multivariate.npz"
    data = datasets["multivariate"]
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    np.savez(path, x=x, y=y, x_test=data.x_test, y_test=data.y_test)
    config = autonn.SearchConfig(
        space="series", data=str(path), name="series-test", trials=2, max_epochs=3, seed=0,
        early_stop=False, enqueue=(plain, packed),
    )  # fmt: skip
    run = autonn.RunConfig(storage=f"sqlite:///{tmp_path}/autonn.db",
                           artifacts=str(tmp_path / "art"), max_concurrent=2)  # fmt: skip
    try:
        result = autonn.search(config, run)
    finally:
        import ray

        ray.shutdown()
    done = {t.params["residual"]: t for t in result.trials if t.state == "COMPLETE"}
    assert set(done) == {False, True}
    assert done[True].attrs["compression"]["quantize"] == "int8-static"
    assert done[True].attrs["n_params"] < done[True].attrs["n_params_trained"]
    assert all(0.0 <= t.attrs["test_accuracy"] <= 1.0 for t in done.values())
    assert result.pareto
