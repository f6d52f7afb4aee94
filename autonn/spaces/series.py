"""Time-series classification (FCN/ResNet style, autonn.SeriesCNN) for series shaped
(channels, length): the number of blocks and the width of each, the convolutions of a block and
their kernel sizes, residual connections or not, plus the standard training, augmentation (random
shift, scaling, jitter, window slicing, mixup; no flips) and compression dimensions.

    autonn search series --data my_series.npz     # x: (n, channels, length), y: (n,)
"""

import optuna

import autonn


def space(trial: optuna.Trial) -> autonn.SeriesCNN:
    blocks = trial.suggest_int("blocks", 1, 4)
    convs = trial.suggest_int("convs_per_block", 1, 3)
    return autonn.SeriesCNN(
        channels=tuple(trial.suggest_int(f"channels_{i}", 8, 64, log=True) for i in range(blocks)),
        kernel_sizes=tuple(
            trial.suggest_categorical(f"kernel_{j}", [3, 5, 7, 9]) for j in range(convs)
        ),
        residual=trial.suggest_categorical("residual", [False, True]),
        dropout=trial.suggest_float("dropout", 0.0, 0.3),
        # Small batches too: a UCR training split can hold a few dozen series.
        train=autonn.suggest_training(trial, batch_sizes=(8, 16, 32, 64)),
        augment=autonn.suggest_augmentation(trial, kind="series"),
        # Sampled last, so a trial's params read: architecture, training, compression.
        compress=autonn.suggest_compression(trial),
    )
