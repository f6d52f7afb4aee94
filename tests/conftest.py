"""Shared fixtures. `digits_search`: one real search (Ray, training, SQLite) per session."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL URL from AUTONN_TEST_POSTGRES_URL (.ci/run starts a server and sets it)."""
    url = os.environ.get("AUTONN_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                "AUTONN_TEST_POSTGRES_URL is not set; .ci/run starts PostgreSQL and sets it"
            )
        pytest.skip("set AUTONN_TEST_POSTGRES_URL (see .ci/start-postgres.sh) to test PostgreSQL")
    return url


@pytest.fixture(scope="session")
def digits_search(tmp_path_factory) -> autonn.Search:
    """A real 8-trial search of the built-in mlp space on digits; ASHA stops some trials."""
    root = tmp_path_factory.mktemp("digits-search")
    config = autonn.SearchConfig(
        space="mlp", data="digits", name="digits-test", trials=8, max_epochs=4, seed=0
    )
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/autonn.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    result = autonn.search(config, run)
    yield result
    import ray

    ray.shutdown()
