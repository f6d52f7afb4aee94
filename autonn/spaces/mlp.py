"""A fully connected network for tabular or vector data: depth, width per layer, activation,
dropout, plus the standard training and compression dimensions (pruning ratio, fine-tuning
epochs, number format).

`uncompressed` is the same space without the compression dimensions (fp32, no pruning).
`toolkit` adds the rest of the compression toolkit: low-rank factorisation (`rank_ratio`) and
knowledge distillation (`distill_alpha`, `distill_temperature`). Its other params are `space`'s,
so a `toolkit` search can warm-start from an `mlp` search's front."""

import optuna

import autonn


def space(trial: optuna.Trial) -> autonn.MLP:
    return _mlp(trial, compressed=True)


def uncompressed(trial: optuna.Trial) -> autonn.MLP:
    return _mlp(trial, compressed=False)


def toolkit(trial: optuna.Trial) -> autonn.MLP:
    return _mlp(trial, compressed=True, low_rank=True, distill=True)


def _mlp(trial: optuna.Trial, compressed: bool, **toolkit: bool) -> autonn.MLP:
    depth = trial.suggest_int("depth", 1, 3)
    # Widths on a log scale: 16 vs 32 matters as much as 128 vs 256 for size.
    hidden = tuple(trial.suggest_int(f"width_{i}", 16, 256, log=True) for i in range(depth))
    return autonn.MLP(
        hidden=hidden,
        activation=trial.suggest_categorical("activation", ["relu", "gelu", "tanh"]),
        dropout=trial.suggest_float("dropout", 0.0, 0.5),
        train=autonn.suggest_training(trial),
        # Sampled last, so a trial's params read: architecture, training, compression.
        compress=autonn.suggest_compression(trial, **toolkit)
        if compressed
        else autonn.Compression(),
    )
