"""Knowledge distillation: the student learns from a teacher's outputs as well as the labels.

Classification follows Hinton et al. (2015): the KL divergence between the teacher's and the
student's class probabilities, both softened by a temperature T, scaled by T^2 so its gradients
keep their size as T changes. Regression has no probabilities: the student matches the teacher's
outputs (on the standardised target, as the loss sees the labels) by mean squared error.

    loss = (1 - alpha) * label_loss + alpha * teacher_term
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Distillation:
    """A teacher's outputs on the training split (row i for training sample i) and how much
    they count. `task` is "classification" or "regression"."""

    teacher_outputs: torch.Tensor
    alpha: float
    temperature: float
    task: str

    def loss(self, label_loss: Loss) -> Callable[..., torch.Tensor]:
        """`label_loss` blended with the teacher term, as `f(outputs, targets, rows)`; `rows`
        are the indices of the batch in the training split."""

        def blended(outputs: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor):
            teacher = self.teacher_outputs[rows]
            own = label_loss(outputs, targets)
            return (1.0 - self.alpha) * own + self.alpha * self.teacher_term(outputs, teacher)

        return blended

    def teacher_term(self, outputs: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        if self.task != "classification":
            return F.mse_loss(outputs, teacher.reshape(outputs.shape))
        t = self.temperature
        student = F.log_softmax(outputs / t, dim=-1)
        target = F.log_softmax(teacher / t, dim=-1)
        return F.kl_div(student, target, reduction="batchmean", log_target=True) * t * t
