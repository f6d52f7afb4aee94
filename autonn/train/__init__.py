"""Training: a plain PyTorch loop over in-memory tensors; reports validation accuracy per epoch."""

from autonn.train._loop import accuracy, predict_logits, seed_everything, train

__all__ = ["accuracy", "predict_logits", "seed_everything", "train"]
