"""GPU workers without a GPU: Ray's logical GPUs (`num_gpus`) schedule trials by GPU share exactly
as on a GPU node, so packing, the GPU each trial records, the failure of a share on a worker
without CUDA, and the retry of a CUDA out-of-memory error are all tested on this CPU machine.

What needs a real device (autocast speed, TF32, freed memory) is measured by bench/gpu.py.
"""

import os

import pytest
import torch

import autonn
from autonn.errors import ConfigError, TrialFailed
from autonn.tune._failures import RESOURCE_FAILED, RetryLog
from autonn.tune._gpu import is_out_of_memory, out_of_memory_reason, trial_device

NO_CUDA = not torch.cuda.is_available()
# torch's own message, as a full GPU gives it (one long line of allocator advice after it).
OOM_MESSAGE = (
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of "
    "which 1.06 GiB is free. Of the allocated memory 70.1 GiB is allocated by PyTorch. If "
    "reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF"
)


# --- without Ray ----------------------------------------------------------------------------------


@pytest.mark.skipif(not NO_CUDA, reason="this torch has CUDA")
def test_a_gpu_share_without_cuda_fails_in_one_line_and_never_falls_back_to_the_cpu():
    assert trial_device(False) == "cpu"
    with pytest.raises(TrialFailed) as failed:
        trial_device(True)
    reason = str(failed.value)
    assert "\n" not in reason
    assert "given a GPU share (--gpus-per-trial)" in reason and "has no CUDA" in reason
    assert "CPU-only build" in reason and "--gpus-per-trial 0" in reason


def test_only_an_out_of_memory_error_is_a_resource_failure():
    assert is_out_of_memory(torch.OutOfMemoryError(OOM_MESSAGE))
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert out_of_memory_reason(torch.OutOfMemoryError(OOM_MESSAGE)) == (
        "CUDA out of memory: Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB "
        "of which 1.06 GiB is free."
    )


class _Trial:  # what RetryLog reads of Tune's Trial
    def __init__(self, trial_id: str, number: int) -> None:
        self.trial_id, self.config = trial_id, {"_autonn_trial": number}


def test_the_retry_log_tells_a_resource_failure_from_a_lost_worker():
    log, a = RetryLog(max_failures=1), _Trial("a", 0)
    log.on_trial_result(0, [], a, {RESOURCE_FAILED: "CUDA out of memory: Tried to allocate 2 GiB"})
    log.on_trial_recover(0, [], a)  # its first try ran out; Tune runs it again
    assert log.failure("b") == {
        "fail_reason": "its worker process or node died (1 try, --max-failures 1); see the Ray logs"
    }
    log.on_trial_result(0, [], a, {RESOURCE_FAILED: "CUDA out of memory: Tried to allocate 2 GiB"})
    failed = log.failure("a")  # its second try ran out too
    assert failed["resource_failure"] is True
    assert failed["fail_reason"].startswith(
        "CUDA out of memory: Tried to allocate 2 GiB (2 tries, --max-failures 1); a resource "
        "failure, not this configuration's"
    )


def test_precision_is_checked_and_offered_on_the_command_line():
    with pytest.raises(ConfigError, match="precision"):
        autonn.SearchConfig(space="mlp", data="wine", precision="fp8")
    from autonn.cli._parser import build_parser

    args = build_parser().parse_args(["search", "mlp", "--data", "wine", "--precision", "bf16"])
    assert args.precision == "bf16"
    assert autonn.SearchConfig(space="mlp", data="wine").as_dict()["precision"] == "auto"


# --- on Ray, with one logical GPU -----------------------------------------------------------------

# Trials meet here: each of the first `N` adds a file and waits until all `N` are present. A
# trial can only be inside this space function while Ray has granted it its GPU share, so if the
# shares did not let N trials run at once, the wait would end in the error below instead.
PACKED_SPACE = """
import os, time
import autonn

MEETING, N = {meeting!r}, {n}


def space(trial):
    width = trial.suggest_int("width", 8, 32)
    if _in_a_trial():
        open(os.path.join(MEETING, str(os.getpid())), "w").close()
        deadline = time.monotonic() + 240
        while len(os.listdir(MEETING)) < N:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {{len(os.listdir(MEETING))}} of {{N}} trials ran at once")
            time.sleep(0.05)
    return autonn.MLP(hidden=(width,))


def _in_a_trial():
    import ray

    return ray.is_initialized() and ray.get_runtime_context().get_actor_id() is not None
"""

# The first try of width 9 and every try of width 8 run out of GPU memory, as torch says it.
OOM_SPACE = """
import os
from dataclasses import dataclass

import torch

import autonn

MARKER, MESSAGE = {marker!r}, {message!r}


@dataclass(frozen=True, kw_only=True)
class RunsOut(autonn.MLP):
    def build(self, input_shape, n_classes):
        if _in_a_trial() and (self.hidden[0] == 8 or _first()):
            raise torch.OutOfMemoryError(MESSAGE)
        return super().build(input_shape, n_classes)


def _in_a_trial():
    import ray

    return ray.is_initialized() and ray.get_runtime_context().get_actor_id() is not None


def _first():
    try:
        os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


def space(trial):
    return RunsOut(hidden=(trial.suggest_int("width", 8, 32),))
"""


@pytest.fixture(scope="module")
def one_gpu_ray():
    """A local Ray with one logical GPU (and CPUs enough for four trials); autonn joins it.
    Another module's search may have left the session's Ray running: this one needs its own."""
    import ray

    ray.shutdown()
    ray.init(num_cpus=4, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _search(tmp_path, space: str, name: str, trials: int, **run):
    widths = tuple({"width": 8 + i} for i in range(trials))
    config = autonn.SearchConfig(space=space, data="wine", name=name, trials=trials,
                                 max_epochs=1, early_stop=False, enqueue=widths)  # fmt: skip
    run = autonn.RunConfig(storage=f"sqlite:///{tmp_path}/a.db", artifacts=str(tmp_path / "art"),
                           **run)  # fmt: skip
    return autonn.search(config, run)


@pytest.mark.integration
@pytest.mark.skipif(not NO_CUDA, reason="checks the failure of a worker without CUDA")
def test_a_quarter_gpu_runs_four_trials_on_one_gpu_and_each_records_it(one_gpu_ray, tmp_path):
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    space = tmp_path / "packed.py"
    space.write_text(PACKED_SPACE.format(meeting=str(meeting), n=4))
    result = _search(tmp_path, f"{space}:space", "packed", 4, gpus_per_trial=0.25)

    assert len(os.listdir(meeting)) == 4  # four worker processes held a quarter GPU at once
    for t in result.trials:
        # Each met the other three, then refused to train on the CPU instead of its GPU share.
        assert t.state == "FAIL", t.attrs
        reason = t.attrs["fail_reason"]
        assert reason.startswith("this trial was given a GPU share (--gpus-per-trial)"), reason
        assert "has no CUDA" in reason and "\n" not in reason
        assert t.attrs["gpu_ids"] == ["0"]  # the one logical GPU, as Ray gave it
        assert "retries" not in t.attrs  # its own failure: running it again would not help


@pytest.mark.integration
def test_out_of_gpu_memory_is_retried_and_stored_as_a_resource_failure(one_gpu_ray, tmp_path):
    space = tmp_path / "oom.py"
    space.write_text(OOM_SPACE.format(marker=str(tmp_path / "ran-out"), message=OOM_MESSAGE))
    result = _search(tmp_path, f"{space}:space", "oom", 2, max_failures=1, max_concurrent=1)

    by_width = {t.params["width"]: t for t in result.trials}
    retried = by_width[9]  # ran out once, then trained: a neighbour's memory, say
    assert retried.state == "COMPLETE" and retried.attrs["retries"] == 1
    assert "resource_failure" not in retried.attrs
    failed = by_width[8]  # ran out on both tries
    assert failed.state == "FAIL" and failed.attrs["retries"] == 1
    assert failed.attrs["resource_failure"] is True
    assert failed.attrs["fail_reason"].startswith(
        "CUDA out of memory: Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB "
        "of which 1.06 GiB is free. (2 tries, --max-failures 1); a resource failure"
    )
