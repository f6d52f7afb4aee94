"""Shared fixtures. `digits_search`: one real search (Ray, training, SQLite) per session."""

from __future__ import annotations

import pytest

import autonn


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
