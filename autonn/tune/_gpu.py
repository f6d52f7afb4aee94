"""A trial's GPU, on the worker: the device it trains on, the GPU Ray gave it, what is freed after.

Ray hands a trial a GPU share by setting CUDA_VISIBLE_DEVICES in its worker, so "cuda" is the GPU
it was given. A worker whose torch cannot see CUDA fails the trial at once: training on the CPU
while holding a GPU share would hide the mistake and make every trial many times slower.
"""

from __future__ import annotations

import gc
import socket
from typing import Any

from autonn.errors import TrialFailed


def trial_device(use_gpu: bool) -> str:
    """The device a trial trains on: "cuda" with a GPU share, "cpu" without; raises TrialFailed
    (one line) when the share cannot be used because this worker's torch has no CUDA."""
    import torch

    if not use_gpu:
        return "cpu"
    if not torch.cuda.is_available():
        raise TrialFailed(no_cuda_reason())
    return "cuda"


def no_cuda_reason() -> str:
    import os

    import torch

    if torch.version.cuda is None:
        why = f"torch {torch.__version__} is a CPU-only build"
    else:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        why = (
            f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no device "
            f"(CUDA_VISIBLE_DEVICES={visible}; is the NVIDIA driver loaded?)"
        )
    return (
        f"this trial was given a GPU share (--gpus-per-trial) but the worker on "
        f"{socket.gethostname()} has no CUDA: {why}; install a CUDA build of torch on the GPU "
        "nodes, or run with --gpus-per-trial 0"
    )


def given_gpus() -> list[str]:
    """The ids of the GPUs Ray gave this trial's worker ([] without a GPU share)."""
    import ray

    return [str(i) for i in ray.get_runtime_context().get_accelerator_ids().get("GPU", [])]


def placement(use_gpu: bool) -> dict[str, Any]:
    """Where the trial ran, stored with it whatever its outcome: the Ray node, and its GPUs."""
    import ray

    # The hostname alone cannot tell apart two nodes on one machine (or two pods on one host).
    where: dict[str, Any] = {"node_id": ray.get_runtime_context().get_node_id()}
    if use_gpu:
        where["gpu_ids"] = given_gpus()
    return where


def is_out_of_memory(exc: BaseException) -> bool:
    """A CUDA (or other accelerator) allocation failure: about the GPU's state, which a
    neighbour packed on the same GPU shares, not about the trial's configuration alone."""
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError)


def out_of_memory_reason(exc: BaseException) -> str:
    # torch's message goes on with allocator advice; what was asked and what was free says it.
    first = (str(exc).strip().splitlines() or ["(no message)"])[0]
    first = first.split(" Of the allocated memory")[0].split(" If reserved")[0]
    return f"CUDA out of memory: {first.removeprefix('CUDA out of memory. ')}"


def free_cached_memory() -> None:
    """Give back what the trial left to CUDA's caching allocator, so the next trial on this
    reused worker, and the trials packed beside it on the same GPU, find the memory free."""
    import torch

    gc.collect()  # tensors held in reference cycles (a model, its optimizer) go first
    if torch.cuda.is_initialized():
        torch.cuda.empty_cache()
