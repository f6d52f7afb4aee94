"""Augmentation of training batches: every transform keeps the batch's shape and is the identity at
strength 0, a flip happens only where it is allowed, and the built-in spaces never allow it."""

from __future__ import annotations

import optuna
import pytest
import torch

import autonn
from autonn.space import load_space
from autonn.train._augment import augmented_loss, cutout, shift, transform, window_slice

STRONG = {"shift": 0.25, "cutout": 0.5, "scale": 0.2, "jitter": 0.1, "window": 0.3}
SHAPES = {"series": (16, 3, 40), "image": (16, 2, 8, 8)}


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _ramp(shape) -> torch.Tensor:
    """Asymmetric along the last axis: strictly increasing, different in every sample."""
    n, length = shape[0], shape[-1]
    ramp = torch.arange(1, length + 1, dtype=torch.float32) + torch.arange(n).view(-1, 1)
    return ramp.view(n, *[1] * (len(shape) - 2), length).expand(shape).contiguous()


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("name", [*STRONG, "flip", "mixup"])
def test_each_transform_keeps_the_shape_and_is_the_identity_at_strength_0(kind, name):
    x = torch.randn(SHAPES[kind], generator=_gen(1))
    value = True if name == "flip" else STRONG.get(name, 0.4)
    on = autonn.Augmentation(**{name: value})
    off = autonn.Augmentation(**{name: False if name == "flip" else 0.0})
    changed = transform(x, on, _gen())
    assert changed.shape == x.shape and changed.dtype == x.dtype
    if name != "mixup":  # mixup acts in the loss, below
        assert not torch.equal(changed, x), name
    assert not off.active
    assert torch.equal(transform(x, off, _gen()), x)


def test_a_flip_never_happens_unless_allowed():
    # Every transform that keeps a row's order keeps an increasing ramp non-decreasing; a flip
    # is the only one that makes it decrease.
    x = _ramp((64, 2, 30))
    keeps_order = {"shift": 0.25, "window": 0.3, "scale": 0.1}
    for seed in range(5):
        out = transform(x, autonn.Augmentation(**keeps_order), _gen(seed))
        assert (out.diff(dim=-1) >= -1e-5).all()
    step = transform(x, autonn.Augmentation(**keeps_order, flip=True), _gen(0)).diff(dim=-1)
    # Mirrored rows: never increasing, decreasing somewhere (shifted edges repeat a value).
    mirrored = ((step <= 1e-5).all(dim=-1) & (step < 0).any(dim=-1)).all(dim=-1)
    kept = (step >= -1e-5).all(dim=-1).all(dim=-1)
    assert int(mirrored.sum()) + int(kept.sum()) == len(x)
    assert 0.3 * len(x) < int(mirrored.sum()) < 0.7 * len(x)  # about half, only with flip=True


@pytest.mark.parametrize("space", ["cnn", "dscnn", "autonn.spaces.residual_cnn:space", "series"])
def test_the_built_in_spaces_search_augmentation_but_never_flips(space):
    sampled = load_space(space)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    augmented = 0
    for _ in range(30):
        trial = study.ask()
        config = sampled.sample(trial)
        assert "aug_flip" not in trial.params and config.augment.flip is False
        augmented += config.augment.active
        study.tell(trial, 0.0)
    assert 0 < augmented < 30


def test_suggest_augmentation_searches_flips_only_when_allowed_and_by_kind():
    def params(**kwargs) -> set[str]:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        study.enqueue_trial({"augment": True})
        trial = study.ask()
        autonn.suggest_augmentation(trial, **kwargs)
        return set(trial.params)

    assert params(kind="image") == {"augment", "aug_shift", "aug_cutout", "aug_mixup"}
    assert params(kind="image", allow_flips=True, mixup=False) == {
        "augment", "aug_shift", "aug_cutout", "aug_flip"
    }  # fmt: skip
    assert params(kind="series") == {
        "augment", "aug_shift", "aug_scale", "aug_jitter", "aug_window", "aug_mixup"
    }  # fmt: skip
    assert params(kind="any") == {"augment", "aug_mixup"}
    with pytest.raises(ValueError, match="kind"):
        params(kind="text")


def test_a_trial_stored_before_augmentation_was_searched_rebuilds_without_it():
    before = {"blocks": 1, "channels_0": 8, "kernel_size": 3, "pool": "max", "head_width": 16,
              "activation": "relu", "dropout": 0.0, "lr": 1e-3, "batch_size": 32,
              "weight_decay": 1e-4, "optimizer": "adam", "prune": 0.0,
              "quantize": "fp32"}  # fmt: skip
    config = load_space("cnn").rebuild(before)
    assert config.augment == autonn.Augmentation() and not config.augment.active
    # Only a FixedTrial gets this leniency: a live trial's error goes on.
    with pytest.raises(ValueError, match="live"):
        autonn.suggest_augmentation(_Live(), kind="image")


class _Live:
    def suggest_categorical(self, name, choices):
        raise ValueError("a live trial's own error")


def test_shift_repeats_the_edges_and_cutout_erases_a_segment_of_its_size():
    x = _ramp((200, 1, 20))
    moved = shift(x, 0.25, _gen())
    # Each row is its ramp moved by at most 5 places, the edges repeated.
    starts = moved[:, 0, 0] - x[:, 0, 0]
    assert starts.abs().max() <= 5 and starts.abs().max() >= 4
    erased = cutout(torch.ones(200, 1, 20), 0.25, _gen())
    zeros = (erased == 0).sum(dim=-1).flatten()
    assert zeros.max() == 5 and zeros.min() >= 3  # 5 places, fewer where clipped at an edge


def test_window_slicing_stretches_a_window_back_to_the_length():
    x = _ramp((50, 1, 21))
    out = window_slice(x, 0.5, _gen())
    # A ramp stays a ramp: its slope becomes (width - 1) / (length - 1) = 10 / 20.
    torch.testing.assert_close(out.diff(dim=-1), torch.full((50, 1, 20), 0.5))
    assert (out[:, 0, 0] >= x[:, 0, 0]).all() and (out[:, 0, -1] <= x[:, 0, -1]).all()


def test_mixup_blends_losses_and_a_config_without_augmentation_leaves_the_loss_alone():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 3))
    x, y, rows = torch.randn(6, 1, 8, generator=_gen()), torch.tensor([0, 1, 2, 0, 1, 2]), None

    def loss(out, targets, r):
        return torch.nn.functional.cross_entropy(out, targets)

    plain = augmented_loss(loss, autonn.Augmentation(), x, seed=0)
    torch.testing.assert_close(plain(model, x, y, torch.arange(6)), loss(model(x), y, rows))
    mixed = augmented_loss(loss, autonn.Augmentation(mixup=0.4), x, seed=0)
    value = mixed(model, x, y, torch.arange(6))
    assert torch.isfinite(value) and not torch.equal(value, loss(model(x), y, rows))


def test_spatial_transforms_on_vectors_fail_the_trial_saying_what_to_use():
    x = torch.randn(10, 5)
    with pytest.raises(autonn.TrialFailed, match="kind='any'"):
        augmented_loss(lambda o, t, r: o.sum(), autonn.Augmentation(shift=0.1), x, seed=0)
    augmented_loss(lambda o, t, r: o.sum(), autonn.Augmentation(mixup=0.2, jitter=0.1), x, 0)


def test_augmentation_values_are_checked():
    with pytest.raises(ValueError, match="shift"):
        autonn.Augmentation(shift=0.8)
    with pytest.raises(ValueError, match="mixup"):
        autonn.Augmentation(mixup=-1.0)
