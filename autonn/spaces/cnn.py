"""A convolutional network for 1-D signals (C, L) and images (C, H, W): number of conv blocks,
channels per block, kernel size, pooling and head width, plus the standard training,
augmentation and compression dimensions (pruning ratio, fine-tuning epochs, number format).

`uncompressed` is the same space without the compression dimensions (fp32, no pruning)."""

import optuna

import autonn


def space(trial: optuna.Trial) -> autonn.CNN:
    return _cnn(trial, compressed=True)


def uncompressed(trial: optuna.Trial) -> autonn.CNN:
    return _cnn(trial, compressed=False)


def _cnn(trial: optuna.Trial, compressed: bool) -> autonn.CNN:
    blocks = trial.suggest_int("blocks", 1, 3)
    channels = tuple(trial.suggest_int(f"channels_{i}", 8, 64, log=True) for i in range(blocks))
    return autonn.CNN(
        channels=channels,
        kernel_size=trial.suggest_categorical("kernel_size", [3, 5]),
        pool=trial.suggest_categorical("pool", ["max", "avg"]),
        head_width=trial.suggest_int("head_width", 16, 128, log=True),
        activation=trial.suggest_categorical("activation", ["relu", "silu"]),
        dropout=trial.suggest_float("dropout", 0.0, 0.3),
        train=autonn.suggest_training(trial),
        # Shifts, cutout and mixup; never flips (a mirrored digit is another digit).
        augment=autonn.suggest_augmentation(trial, kind="image"),
        # Sampled last, so a trial's params read: architecture, training, compression.
        compress=autonn.suggest_compression(trial) if compressed else autonn.Compression(),
    )
