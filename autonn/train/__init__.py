"""Training: a PyTorch loop over in-memory tensors; reports the validation metric each epoch."""

from autonn.train._distill import Distillation
from autonn.train._loop import (
    accuracy,
    best_epoch,
    epochs_of,
    predict_logits,
    seed_everything,
    train,
)

__all__ = [
    "Distillation",
    "accuracy",
    "best_epoch",
    "epochs_of",
    "predict_logits",
    "seed_everything",
    "train",
]
