"""Helpers a search space calls to search the standard dimensions with standard names."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence

import optuna

from autonn.space._configs import (
    OPTIMIZERS,
    QUANTIZATIONS,
    SCHEDULES,
    Augmentation,
    Compression,
    Training,
)

# The number formats the search's target offers, while a space is sampled for it (SearchSpace
# sets them): suggest_compression offers those unless the space names its own.
_FORMATS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "autonn_formats", default=QUANTIZATIONS
)


@contextlib.contextmanager
def target_formats(formats: Sequence[str]) -> Iterator[None]:
    token = _FORMATS.set(tuple(formats))
    try:
        yield
    finally:
        _FORMATS.reset(token)


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
    quantize: Sequence[str] | None = None,
    low_rank: bool = False,
    distill: bool = False,
) -> Compression:
    """Structured pruning ratio, fine-tuning epochs after pruning, and the deployed number format.

    quantize: the number formats to search; None offers those the search's target runs (onnx
    and litert: fp32, fp16, int8-dynamic, int8-static; tflm: fp32 and int8-static).

    Fine-tuning is only searched when something is pruned or factorised, so other trials do not
    carry a meaningless parameter that would confuse the sampler. It starts at 2 epochs: a freshly
    pruned model has lost much of its accuracy (0.6 from 0.99 for a CNN on digits at 50%).

    low_rank: also search `rank_ratio`, 0.1 to 1.0 in steps of 0.1 (1.0 = not factorised).
    distill: also search `distill_alpha`, 0 to 0.9 in steps of 0.1 (0 = no teacher), and, when
        it is on, `distill_temperature` 1 to 8 (log). The teacher is the search's most accurate
        complete trial so far, or the one `--teacher` names.
    Both are off by default: the built-in spaces and every stored trial keep their params.
    """
    ratio = trial.suggest_float("prune", *prune, step=0.05)
    rank_ratio = trial.suggest_float("rank_ratio", 0.1, 1.0, step=0.1) if low_rank else 1.0
    changed = ratio > 0 or rank_ratio < 1.0
    epochs = trial.suggest_int("finetune_epochs", *finetune_epochs) if changed else 0
    extra = {}
    if distill:
        alpha = trial.suggest_float("distill_alpha", 0.0, 0.9, step=0.1)
        extra["distill_alpha"] = alpha
        if alpha > 0:
            extra["distill_temperature"] = trial.suggest_float(
                "distill_temperature", 1.0, 8.0, log=True
            )
    return Compression(
        prune=ratio,
        finetune_epochs=epochs,
        quantize=trial.suggest_categorical("quantize", list(quantize or _FORMATS.get())),
        rank_ratio=rank_ratio,
        **extra,
    )


AUGMENTATION_KINDS = ("image", "series", "any")


def suggest_augmentation(
    trial: optuna.Trial, *, kind: str, allow_flips: bool = False, mixup: bool = True
) -> Augmentation:
    """Whether to augment the training batches, and how strongly (see Augmentation).

    kind: "image": random shifts (crops of an edge-padded image) of up to 25% and cutout of up
        to 50% of a side; "series": a random shift of up to 20% of the length, amplitude scaling
        (std up to 0.2), jitter (noise std up to 0.1) and window slicing (up to 30% cut away);
        "any" (vectors, say): mixup only. The transforms work on either shape, so a space for
        both images and signals (the built-in cnn) may pick either kind.
    allow_flips: also search left-right flips (time reversal for series). Off by default, and off
        in the built-in spaces: a flip changes the meaning of digits, text and most series.
    mixup: also search mixup's alpha, 0 to 0.4.

    One switch, `augment`, comes first, and the strengths are only searched when it is on, so a
    sampler sees at once whether augmenting pays. A trial stored before its space searched
    augmentation rebuilds with it off, as it trained.
    """
    if kind not in AUGMENTATION_KINDS:
        raise ValueError(f"`kind` must be one of {AUGMENTATION_KINDS}, but got {kind!r}.")
    if not _switch(trial):
        return Augmentation()
    steps = {
        "image": {"shift": (0.25, 0.0625), "cutout": (0.5, 0.125)},
        "series": {"shift": (0.2, 0.05), "scale": (0.2, 0.05), "jitter": (0.1, 0.025),
                   "window": (0.3, 0.1)},
        "any": {},
    }[kind]  # fmt: skip
    found: dict[str, float | bool] = {
        name: trial.suggest_float(f"aug_{name}", 0.0, high, step=step)
        for name, (high, step) in steps.items()
    }
    if allow_flips and kind != "any":
        found["flip"] = trial.suggest_categorical("aug_flip", [False, True])
    if mixup:
        found["mixup"] = trial.suggest_float("aug_mixup", 0.0, 0.4, step=0.1)
    return Augmentation(**found)


def _switch(trial: optuna.Trial) -> bool:
    try:
        return trial.suggest_categorical("augment", [False, True])
    except ValueError:
        # A FixedTrial of a trial stored before this space searched augmentation: it trained
        # without, and rebuilds so.
        if isinstance(trial, optuna.trial.FixedTrial):
            return False
        raise
