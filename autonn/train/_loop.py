"""The training loop. Knows nothing of Ray: progress goes out through a `report` callback.

The task (classification by default) gives the loss, the targets and the validation metric, so
the loop itself is the same for classes and for a regression target.

Data sets here are small, so the whole split lives as tensors on the trial's device and batches are
taken by index; a DataLoader's workers and collation would cost more than the model's step.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from autonn.errors import TrialFailed
from autonn.space import Training
from autonn.task import CLASSIFICATION, TargetScaling, Task

Report = Callable[[int, float], None]  # (epoch, validation metric)
_EVAL_BATCH = 4096


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def train(
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
    report: Report | None = None,
    task: Task = CLASSIFICATION,
    metric: str | None = None,
    scaling: TargetScaling | None = None,
) -> list[float]:
    """Train `model` in place for `epochs`; returns the validation `metric` after each epoch.

    y_train and y_val are what the Dataset holds: class indices, or targets in their own units
    (regression; `scaling` standardises them for the loss and undoes it for the metric).
    metric: one of the task's (default: its first). Raises TrialFailed when the loss stops being
    finite (learning rate too high, usually).
    """
    metric = task.metric(metric).name
    model.to(device)
    xt, yt = _tensor(x_train, device), _tensor(task.targets(y_train, scaling), device)
    xv = _tensor(x_val, device)
    optimizer = _optimizer(model, training)
    loss_fn = task.loss()
    generator = torch.Generator().manual_seed(seed)
    curve: list[float] = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(xt), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, len(order), training.batch_size):
            idx = order[start : start + training.batch_size]
            if len(idx) < 2 and len(order) > 1:
                continue  # a batch of one breaks BatchNorm and adds only noise
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += loss.detach()
        # Checked once an epoch, not every step: a NaN stays NaN, and .item() syncs the device.
        # The outputs too: huge but finite weights can overflow the forward pass.
        logits = predict_logits(model, xv)
        if not torch.isfinite(total) or not torch.isfinite(logits).all():
            what = "training loss" if not torch.isfinite(total) else "the model's outputs"
            raise TrialFailed(
                f"{what} became NaN or infinite in epoch {epoch} (lr={training.lr:g}); "
                "the learning rate is probably too high"
            )
        curve.append(task.score(metric, y_val, logits.cpu().numpy(), scaling))
        if report is not None:
            report(epoch, curve[-1])
    return curve


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
