"""Searching: the only package that imports Ray (lazily, when a search starts)."""

from autonn.search._config import SAMPLERS, RunConfig, SearchConfig
from autonn.search._run import default_name, search

__all__ = ["SAMPLERS", "RunConfig", "SearchConfig", "default_name", "search"]
