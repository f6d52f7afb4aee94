"""Searching on Ray Tune: the only package that imports Ray (lazily, when a search starts).

`autonn.search(...)` is this package's `search`. Names load on first use (PEP 562), so the CLI can
read the config's choices without importing Optuna.
"""

import importlib

_WHERE = {
    "SAMPLERS": "autonn.tune._config",
    "SCHEDULERS": "autonn.tune._config",
    "RunConfig": "autonn.tune._config",
    "SearchConfig": "autonn.tune._config",
    "default_name": "autonn.tune._run",
    "search": "autonn.tune._run",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autonn.tune' has no attribute {name!r}")


__all__ = sorted(_WHERE)
