import dataclasses

import pytest
import torch

import autonn


def test_configs_are_frozen_and_keyword_only():
    cfg = autonn.MLP(hidden=[8, 4])
    assert cfg.hidden == (8, 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.dropout = 0.5
    with pytest.raises(TypeError):
        autonn.MLP((8,))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: autonn.Training(lr=0), "lr > 0"),
        (lambda: autonn.Training(optimizer="rmsprop"), "optimizer"),
        (lambda: autonn.MLP(hidden=()), "hidden"),
        (lambda: autonn.MLP(activation="swish"), "activation"),
        (lambda: autonn.CNN(kernel_size=4), "odd"),
        (lambda: autonn.DSCNN(width=0), "width"),
        (lambda: autonn.DSCNN(depth=0), "depth"),
        (lambda: autonn.DSCNN(kernel_size=2), "odd"),
        (lambda: autonn.DSCNN(expansion=0), "expansion"),
        (lambda: autonn.Compression(prune=0.95), "prune"),
        (lambda: autonn.Compression(quantize="int4"), "quantize"),
    ],
)
def test_invalid_values_are_rejected_with_the_rule(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_mlp_builds_for_any_input_shape():
    model = autonn.MLP(hidden=(16, 8)).build((1, 8, 8), 10)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)


@pytest.mark.parametrize("shape", [(2, 50), (1, 8, 8), (3, 17, 9)])
def test_cnn_picks_conv1d_or_conv2d_from_the_data(shape):
    model = autonn.CNN(channels=(4, 8, 8)).build(shape, 5)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d | torch.nn.Conv2d)]
    expected = torch.nn.Conv1d if len(shape) == 2 else torch.nn.Conv2d
    assert convs and all(type(c) is expected for c in convs)
    assert model(torch.zeros(2, *shape)).shape == (2, 5)


def test_cnn_on_tabular_data_says_what_to_do():
    with pytest.raises(autonn.UsageError, match="use the mlp family"):
        autonn.CNN().build((30,), 2)


@pytest.mark.parametrize("shape", [(2, 50), (3, 7), (1, 8, 8), (3, 17, 9)])
@pytest.mark.parametrize("expansion", [1, 4])
def test_dscnn_picks_conv1d_or_conv2d_and_uses_depthwise_blocks(shape, expansion):
    cfg = autonn.DSCNN(width=0.5, depth=4, expansion=expansion, kernel_size=5)
    model = cfg.build(shape, 5)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d | torch.nn.Conv2d)]
    expected = torch.nn.Conv1d if len(shape) == 2 else torch.nn.Conv2d
    assert all(type(c) is expected for c in convs)
    depthwise = [c for c in convs if c.groups > 1]
    assert len(depthwise) == 4 and all(
        c.groups == c.in_channels == c.out_channels for c in depthwise
    )
    assert all(c.kernel_size == (5,) * (len(shape) - 1) for c in depthwise)
    # An expansion adds a 1x1 conv per block, to `expansion` times the block's input channels.
    assert len(convs) == 1 + 4 * (3 if expansion > 1 else 2)
    assert depthwise[0].in_channels == cfg.channels()[0] * expansion
    assert model(torch.zeros(2, *shape)).shape == (2, 5)


def test_dscnn_width_and_depth_set_the_channels_and_the_skips():
    cfg = autonn.DSCNN(width=0.5, depth=4)
    assert cfg.channels() == (8, 8, 16, 16, 32)
    blocks = [m for m in cfg.build((1, 8, 8), 10).modules() if hasattr(m, "skip")]
    # A skip wherever a block keeps its channels (and so its resolution).
    assert [b.skip for b in blocks] == [True, False, True, False]
    wider = autonn.DSCNN(width=1.0, depth=4).build((1, 8, 8), 10)
    narrow = sum(p.numel() for p in cfg.build((1, 8, 8), 10).parameters())
    assert sum(p.numel() for p in wider.parameters()) > 2.5 * narrow  # 1x1 convs grow as width²


def test_dscnn_on_tabular_data_says_what_to_do():
    with pytest.raises(autonn.UsageError, match="use the mlp family"):
        autonn.DSCNN().build((30,), 2)


def test_suggest_training_searches_the_recipe_only_when_asked():
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    plain = study.ask()
    assert autonn.suggest_training(plain) == autonn.Training(**plain.params)  # 0.1's params only
    assert set(plain.params) == {"lr", "batch_size", "weight_decay", "optimizer"}
    trial = study.ask()
    training = autonn.suggest_training(trial, recipe=True)
    assert {"schedule", "warmup_epochs", "label_smoothing", "grad_clip"} <= set(trial.params)
    assert training.schedule in ("constant", "cosine", "onecycle")
    again = autonn.suggest_training(optuna.trial.FixedTrial(trial.params), recipe=True)
    assert again == training  # a stored trial rebuilds its recipe exactly
