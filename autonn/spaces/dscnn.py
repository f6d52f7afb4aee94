"""Depthwise-separable convolutions (MobileNet style) for 1-D signals (C, L) and images (C, H, W),
the usual family for small devices: width multiplier, depth, kernel size and inverted-residual
expansion, plus the standard training, augmentation (shifts, cutout, mixup) and compression
dimensions (pruning ratio, fine-tuning epochs, number format).

`uncompressed` is the same space without the compression dimensions (fp32, no pruning)."""

import optuna

import autonn


def space(trial: optuna.Trial) -> autonn.DSCNN:
    return _dscnn(trial, compressed=True)


def uncompressed(trial: optuna.Trial) -> autonn.DSCNN:
    return _dscnn(trial, compressed=False)


def _dscnn(trial: optuna.Trial, compressed: bool) -> autonn.DSCNN:
    return autonn.DSCNN(
        # The stem has round(16 * width) channels; every second block doubles them.
        width=trial.suggest_categorical("width", [0.25, 0.5, 0.75, 1.0]),
        depth=trial.suggest_int("depth", 1, 5),
        kernel_size=trial.suggest_categorical("kernel_size", [3, 5]),
        expansion=trial.suggest_categorical("expansion", [1, 2, 4]),
        activation=trial.suggest_categorical("activation", ["relu", "silu"]),
        dropout=trial.suggest_float("dropout", 0.0, 0.3),
        train=autonn.suggest_training(trial),
        # Shifts, cutout and mixup; never flips (a mirrored digit is another digit).
        augment=autonn.suggest_augmentation(trial, kind="image"),
        # Sampled last, so a trial's params read: architecture, training, compression.
        compress=autonn.suggest_compression(trial) if compressed else autonn.Compression(),
    )
