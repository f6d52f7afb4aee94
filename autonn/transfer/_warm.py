"""Warm start: the Pareto front of an earlier search, as the first trials of a new one."""

from __future__ import annotations

from typing import Any

from autonn.errors import UsageError
from autonn.store import display_url, load_search


def front_params(search: str, storage: str) -> list[dict[str, Any]]:
    """The params of each trial on `search`'s Pareto front, in trial-number order.

    They are enqueued as a new search's first trials, so the new search starts from what worked
    and its sampler learns from them as from any trial. Trials with equal params (a front can hold
    two runs of one config) are enqueued once.
    """
    front = sorted(load_search(search, storage).pareto, key=lambda t: t.number)
    if not front:
        raise UsageError(
            f"search {search!r} in {display_url(storage)} has no complete trial, so there is no "
            "front to warm-start from; let it finish some trials, or drop --warm-start"
        )
    unique: list[dict[str, Any]] = []
    for trial in front:
        if trial.params not in unique:
            unique.append(dict(trial.params))
    return unique
