"""Helpers a search space calls to search the standard dimensions with standard names."""

from __future__ import annotations

from collections.abc import Sequence

import optuna

from autonn.space._configs import OPTIMIZERS, QUANTIZATIONS, SCHEDULES, Compression, Training


def suggest_training(
    trial: optuna.Trial,
    *,
    lr: tuple[float, float] = (1e-4, 3e-2),
    batch_sizes: Sequence[int] = (16, 32, 64, 128),
    weight_decay: tuple[float, float] = (1e-6, 1e-2),
    optimizers: Sequence[str] = OPTIMIZERS,
    epochs: int | None = None,
    recipe: bool = False,
) -> Training:
    """Learning rate and weight decay (log scale), batch size and optimizer.

    recipe: also search the learning-rate schedule (constant, cosine, onecycle), 0-3 warm-up
    epochs, label smoothing 0-0.2 (classification; regression ignores it) and the gradient-norm
    clip 0.5-10 (log). Off by default: the built-in spaces and every stored trial keep their
    params, so a stored trial rebuilds exactly as it trained.
    """
    base = {
        "lr": trial.suggest_float("lr", *lr, log=True),
        "batch_size": trial.suggest_categorical("batch_size", list(batch_sizes)),
        "weight_decay": trial.suggest_float("weight_decay", *weight_decay, log=True),
        "optimizer": trial.suggest_categorical("optimizer", list(optimizers)),
    }
    if recipe:
        base.update(
            schedule=trial.suggest_categorical("schedule", list(SCHEDULES)),
            warmup_epochs=trial.suggest_int("warmup_epochs", 0, 3),
            label_smoothing=trial.suggest_float("label_smoothing", 0.0, 0.2),
            grad_clip=trial.suggest_float("grad_clip", 0.5, 10.0, log=True),
        )
    return Training(epochs=epochs, **base)


def suggest_compression(
    trial: optuna.Trial,
    *,
    prune: tuple[float, float] = (0.0, 0.9),
    finetune_epochs: tuple[int, int] = (2, 10),
    quantize: Sequence[str] = QUANTIZATIONS,
) -> Compression:
    """Structured pruning ratio, fine-tuning epochs after pruning, and the deployed number format.

    Fine-tuning is only searched when something is pruned, so unpruned trials do not carry a
    meaningless parameter that would confuse the sampler. It starts at 2 epochs: a freshly
    pruned model has lost much of its accuracy (0.6 from 0.99 for a CNN on digits at 50%).
    """
    ratio = trial.suggest_float("prune", *prune, step=0.05)
    epochs = trial.suggest_int("finetune_epochs", *finetune_epochs) if ratio > 0 else 0
    return Compression(
        prune=ratio,
        finetune_epochs=epochs,
        quantize=trial.suggest_categorical("quantize", list(quantize)),
    )
