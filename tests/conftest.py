"""Shared fixtures. `digits_search`: one real search (Ray, training, SQLite) per session."""

from __future__ import annotations

import logging
import os

import pytest
import torch

import autonn


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Train on one thread, as a one-CPU trial does: on a busy 2-core machine two torch threads
    made the tests' tiny trainings 20-60x slower (they spin waiting for each other)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


_LOG = logging.getLogger("autonn")
_LOG_AT_START = (list(_LOG.handlers), _LOG.level, _LOG.propagate)


@pytest.fixture(autouse=True)
def autonn_logging_as_it_was():
    """No test leaks logging state into the next: the CLI's main() sets handlers, a level and
    propagate on the "autonn" logger, and a handler left on a closed stream broke later tests.
    Each test starts from the state before any test ran, not from what a module or session
    fixture that ran the CLI left (it turned propagate off, so caplog saw nothing)."""
    _LOG.handlers[:], _LOG.level, _LOG.propagate = _LOG_AT_START[0][:], *_LOG_AT_START[1:]
    yield
    _LOG.handlers[:], _LOG.level, _LOG.propagate = _LOG_AT_START[0][:], *_LOG_AT_START[1:]


def service_url(variable: str, service: str, script: str) -> str:
    """The URL of an optional service the tests use, from `variable`: skipped with the reason
    outside CI when unset, failed in CI (where .ci/run starts the service with `script`)."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set; .ci/run starts {service} and sets it")
        pytest.skip(f"set {variable} (see {script}) to test {service}")
    return url


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL URL from AUTONN_TEST_POSTGRES_URL (.ci/run starts a server and sets it)."""
    return service_url("AUTONN_TEST_POSTGRES_URL", "PostgreSQL", ".ci/start-postgres.sh")


# The kinds of trial the tests need, built on purpose: which trial wins, which finishes first and
# what a sampler draws depend on the machine and on timing, so no test may rely on them.
_BASE = {"depth": 1, "width_0": 64, "activation": "relu", "dropout": 0.0, "lr": 3e-3,
         "batch_size": 32, "weight_decay": 1e-5, "optimizer": "adam"}  # fmt: skip
DIGITS_TRIALS = (
    {**_BASE, "prune": 0.0, "quantize": "fp32"},
    {**_BASE, "prune": 0.0, "quantize": "int8-static"},
    {**_BASE, "prune": 0.5, "finetune_epochs": 2, "quantize": "fp32"},
    {**_BASE, "width_0": 32, "prune": 0.3, "finetune_epochs": 2, "quantize": "fp16"},
)


@pytest.fixture(scope="session")
def digits_search(tmp_path_factory) -> autonn.Search:
    """A real 6-trial search of the built-in mlp space on digits: the four DIGITS_TRIALS, then
    two the seeded sampler draws. Every trial trains to the end (early stopping has a test of
    its own), so each kind is there as COMPLETE whatever the timing."""
    root = tmp_path_factory.mktemp("digits-search")
    config = autonn.SearchConfig(
        space="mlp",
        data="digits",
        name="digits-test",
        trials=6,
        max_epochs=4,
        seed=0,
        early_stop=False,
        enqueue=DIGITS_TRIALS,
    )
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/autonn.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    result = autonn.search(config, run)
    yield result
    import ray

    ray.shutdown()


def trial_of_kind(search: autonn.Search, quantize: str, pruned: bool) -> autonn.TrialRecord:
    """The search's COMPLETE trial with that number format, channel-pruned or not."""
    for t in search.trials:
        c = t.attrs.get("compression", {})
        if t.state == "COMPLETE" and c["quantize"] == quantize and (c["prune"] > 0) == pruned:
            return t
    raise LookupError(f"no COMPLETE {quantize} trial with pruned={pruned} in {search.name}")


@pytest.fixture(scope="session")
def fp32_trial(digits_search) -> autonn.TrialRecord:
    """The unpruned fp32 trial: torch and ONNX must agree on it to float precision."""
    return trial_of_kind(digits_search, "fp32", pruned=False)


@pytest.fixture(scope="session")
def int8_trial(digits_search) -> autonn.TrialRecord:
    return trial_of_kind(digits_search, "int8-static", pruned=False)


@pytest.fixture(scope="session")
def channel_pruned_trial(digits_search) -> autonn.TrialRecord:
    return trial_of_kind(digits_search, "fp32", pruned=True)
