"""The training loop. Knows nothing of Ray: progress goes out through a `report` callback.

The task (classification by default) gives the loss, the targets and the validation metric, so
the loop itself is the same for classes and for a regression target.

A run ends with the weights of its best validation epoch (by the metric's direction), not its
last: that is the model a trial prunes, fine-tunes and ships. Its curve still holds every epoch.

Data sets here are small, so the whole split lives as tensors on the trial's device and batches are
taken by index; a DataLoader's workers and collation would cost more than the model's step.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from autonn.errors import TrialFailed
from autonn.space import Augmentation, Training
from autonn.task import CLASSIFICATION, TargetScaling, Task
from autonn.train._augment import augmented_loss
from autonn.train._distill import Distillation
from autonn.train._precision import MixedPrecision

Report = Callable[[int, float], None]  # (epoch, validation metric)
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (outputs, targets) -> scalar
# onecycle's warm-up share of the run when warmup_epochs does not set one (torch's OneCycleLR's).
_ONECYCLE_WARMUP = 0.3
_EVAL_BATCH = 4096


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def train(*args, report: Report | None = None, **kwargs) -> list[float]:
    """Train a model in place; returns the validation metric after each epoch (see `epochs_of`,
    which takes the same arguments). report(epoch, score) is called after each epoch."""
    curve: list[float] = []
    for epoch, score in enumerate(epochs_of(*args, **kwargs), start=1):
        curve.append(score)
        if report is not None:
            report(epoch, score)
    return curve


def epochs_of(
    model: nn.Module,
    training: Training,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    epochs: int,
    seed: int,
    device: str | torch.device = "cpu",
    task: Task = CLASSIFICATION,
    metric: str | None = None,
    scaling: TargetScaling | None = None,
    loss: Loss | None = None,
    distill: Distillation | None = None,
    augment: Augmentation | None = None,
    precision: str = "fp32",  # "auto", "fp32", "bf16" or "fp16": see autonn.train._precision
) -> list[float]:
    """Train `model` in place for `epochs`, yielding the validation `metric` after each epoch.

    A generator, so that several models (the folds of a k-fold score) can train in lockstep and
    be reported epoch by epoch. Run to its end, it leaves `model` with the weights of its best
    epoch; closed early, with those of the last epoch it yielded.

    y_train and y_val are what the Dataset holds: class indices, or targets in their own units
    (regression; `scaling` standardises them for the loss and undoes it for the metric).
    metric: one of the task's (default: its first). loss: a user's own `loss(outputs, targets)`
    (targets as the task makes them: class indices, or standardised values shaped (n, 1)); None
    uses the task's. distill: blend the loss with a teacher's outputs on x_train (see
    Distillation). augment: transforms of each training batch, on its device (see
    autonn.train._augment). Raises TrialFailed when the loss stops being finite (learning rate
    too high, usually).
    """
    m = task.metric(metric)
    model.to(device)
    xt, yt = _tensor(x_train, device), _tensor(task.targets(y_train, scaling), device)
    xv = _tensor(x_val, device)
    optimizer = _optimizer(model, training)
    mp = MixedPrecision(precision, device)
    steps = epochs * math.ceil(len(xt) / training.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(training, epochs, steps))
    loss_fn = _batch_loss(loss or task.loss(label_smoothing=training.label_smoothing), distill, xt)
    step_loss = augmented_loss(loss_fn, augment, xt, seed)
    generator = torch.Generator().manual_seed(seed)
    curve: list[float] = []
    best: dict | None = None
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(xt), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, len(order), training.batch_size):
            idx = order[start : start + training.batch_size]
            if len(idx) < 2 and len(order) > 1:
                continue  # a batch of one breaks BatchNorm and adds only noise
            optimizer.zero_grad(set_to_none=True)
            with mp.autocast():  # the forward pass and the loss; backward follows its dtypes
                batch_loss = step_loss(model, xt[idx], yt[idx], idx)
            mp.backward(batch_loss)
            if training.grad_clip is not None:
                mp.unscale(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), training.grad_clip)
            mp.step(optimizer)
            schedule.step()
            total += batch_loss.detach()
        # Checked once an epoch, not every step: a NaN stays NaN, and .item() syncs the device.
        # The outputs too: huge but finite weights can overflow the forward pass.
        logits = predict_logits(model, xv)
        if not torch.isfinite(total) or not torch.isfinite(logits).all():
            what = "training loss" if not torch.isfinite(total) else "the model's outputs"
            raise TrialFailed(
                f"{what} became NaN or infinite in epoch {epoch} (lr={training.lr:g}); "
                "the learning rate is probably too high"
            )
        curve.append(task.score(m.name, y_val, logits.cpu().numpy(), scaling))
        if best is None or m.better(curve[-1], max(curve[:-1], key=m.signed)):
            best = copy.deepcopy(model.state_dict())
        yield curve[-1]
    if best is not None:
        model.load_state_dict(best)


def _batch_loss(label_loss: Loss, distill: Distillation | None, xt: torch.Tensor):
    """The loss of one batch as `f(outputs, targets, rows)`, rows being its training indices."""
    if distill is None or distill.alpha == 0:
        return lambda outputs, targets, rows: label_loss(outputs, targets)
    if len(distill.teacher_outputs) != len(xt):
        raise ValueError(
            f"the teacher's outputs cover {len(distill.teacher_outputs)} samples, but the "
            f"training split has {len(xt)}"
        )
    outputs = distill.teacher_outputs.to(xt.device)
    return dataclasses.replace(distill, teacher_outputs=outputs).loss(label_loss)


def best_epoch(curve: list[float], metric: str) -> int:
    """The 1-based epoch whose weights a run ends with (the first of equal best values)."""
    from autonn.task import get_metric

    m = get_metric(metric)
    return max(range(len(curve)), key=lambda i: (m.signed(curve[i]), -i)) + 1


def _lr_factor(training: Training, epochs: int, steps: int) -> Callable[[int], float]:
    """The multiplier of `lr` at each optimizer step: linear warm-up, then the schedule."""
    warm_epochs = training.warmup_epochs
    if training.schedule == "onecycle" and not warm_epochs:
        warm = max(1, round(_ONECYCLE_WARMUP * steps))
    else:
        warm = min(steps - 1, warm_epochs * steps // max(epochs, 1)) if warm_epochs else 0

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        if training.schedule == "constant":
            return 1.0
        progress = (step - warm) / max(1, steps - warm)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray | torch.Tensor) -> torch.Tensor:
    model.eval()
    device = next(model.parameters()).device
    x = _tensor(x, device)
    return torch.cat([model(x[i : i + _EVAL_BATCH]) for i in range(0, len(x), _EVAL_BATCH)])


def accuracy(model: nn.Module, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    logits = predict_logits(model, x)
    y = _tensor(y, logits.device)
    return float((logits.argmax(dim=1) == y).float().mean())


def _tensor(a: np.ndarray | torch.Tensor, device) -> torch.Tensor:
    return (
        a.to(device) if isinstance(a, torch.Tensor) else torch.from_numpy(np.asarray(a)).to(device)
    )


def _optimizer(model: nn.Module, training: Training) -> torch.optim.Optimizer:
    params, lr, wd = model.parameters(), training.lr, training.weight_decay
    if training.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if training.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    return torch.optim.SGD(params, lr=lr, weight_decay=wd, momentum=0.9, nesterov=True)
