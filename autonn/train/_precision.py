"""The number format training computes in: fp32, or mixed precision with bf16 or fp16.

Mixed precision runs the forward pass and the loss under `torch.autocast` (matrix products and
convolutions in 16 bits, reductions and the loss in fp32) while the weights, the optimizer and
the gradients stay fp32. fp16's narrow range can flush small gradients to zero, so its loss is
scaled by a `GradScaler`; bf16 has fp32's range and needs none. "auto" is bf16 on a GPU that has
bf16 units (compute capability 8.0 on: A100, H100, RTX 30xx) and fp32 elsewhere: on a CPU, or an
older GPU, 16-bit autocast is slower or needs loss scaling. On a GPU, fp32 matrix products use
TF32 (10-bit mantissa, fp32 range), as cuDNN and cuBLAS intend for training.

Validation and the exported model stay fp32: what a trial ships is measured in fp32 (or in the
number format its config quantizes to), whatever it trained in.
"""

from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(precision: str, device: str | torch.device) -> str:
    """What `precision` means on `device`: "fp32", "bf16" or "fp16" ("auto" decided there)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8:
        return "bf16"
    return "fp32"


class MixedPrecision:
    """One training run's precision: its autocast context, and the loss scaling fp16 needs.

    The step goes `with mp.autocast(): loss = ...`, then `mp.backward(loss)`, `mp.unscale(opt)`
    before clipping gradients, and `mp.step(opt)`; with fp32 or bf16 these are the plain calls.
    """

    def __init__(self, precision: str, device: str | torch.device) -> None:
        self.device_type = torch.device(device).type
        self.name = resolve_precision(precision, device)
        self.dtype = _DTYPES.get(self.name)
        self.scaler = torch.amp.GradScaler(self.device_type, enabled=self.name == "fp16")
        if self.device_type == "cuda":
            allow_tf32()

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        self.scaler.scale(loss).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Gradients back to their true size, so clipping sees them as they are."""
        if self.scaler.is_enabled():
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        # With fp16, a step whose gradients overflowed is skipped and the scale lowered.
        self.scaler.step(optimizer)
        self.scaler.update()


def allow_tf32() -> None:
    """TF32 for fp32 matrix products and convolutions on the GPU (process-wide)."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):  # torch 2.9 on: the legacy flags are deprecated
        matmul.fp32_precision = "tf32"
        torch.backends.cudnn.conv.fp32_precision = "tf32"
    else:
        matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
