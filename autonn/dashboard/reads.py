"""The page's reads, cached for the life of the server: one `LiveSearch` per search (finished
trials are read once), and the frames derived from it once per change of the search.

In a module of its own, not in app.py, so that the server can fill the same caches before the
first visitor comes (`warm`): Streamlit keys a cached function by its module and name, and app.py
runs as a fresh `__main__` on every visit.
"""

from __future__ import annotations

import logging

import streamlit as st

from autonn.store import LiveSearch, list_searches

logger = logging.getLogger("autonn.dashboard")


# figures.pareto's keywords as the page opens (y is the search's metric, x `queries.default_x`).
DEFAULT_OPTIONS = dict(
    color_by="quantization",
    show_stopped=False,
    show_failed=False,
    show_infeasible=False,
    max_size=None,
    bound=None,
    selected=None,
)


@st.cache_resource(show_spinner=False, max_entries=32)
def live_search(storage: str, name: str) -> LiveSearch:
    return LiveSearch(name, storage)


@st.cache_resource(show_spinner=False, max_entries=32)
def derived(storage: str, name: str, version: int, what: str, _live: LiveSearch):
    from autonn.dashboard import queries

    search = _live.refresh()
    if what == "frame":
        return queries.trials_frame(search)
    df = derived(storage, name, version, "frame", _live)
    if what == "hypervolume":
        return queries.hypervolume_history(df)
    if what == "throughput":
        return queries.throughput(df)
    if what == "importance":
        return queries.importance(df)
    raise ValueError(what)


def pareto_figure(storage: str, name: str, live: LiveSearch, **options):
    """The Pareto figure for the search as read now, built once per change of the search and of
    the options (figures.pareto's keywords): 2,000 points take 0.05-0.1 s to build, on every
    visit and every rerun otherwise. Shared by sessions: nothing changes a figure once drawn."""
    return _pareto_figure(storage, name, live.version, tuple(sorted(options.items())), live)


@st.cache_resource(show_spinner=False, max_entries=16)
def _pareto_figure(storage: str, name: str, version: int, options: tuple, _live: LiveSearch):
    from autonn.dashboard import figures

    return figures.pareto(derived(storage, name, version, "frame", _live), **dict(options))


def load(storage: str, name: str):
    """The search as stored now, and its trial frame (read incrementally)."""
    live = live_search(storage, name)
    search = live.refresh()
    return live, search, derived(storage, name, live.version, "frame", live)


def warm(storage: str) -> None:
    """What the first visitor would otherwise wait for, done before the server listens: imports,
    opening the database, reading the search the page opens by default (the latest) and building
    its Pareto figure as the page first shows it.
    Never raises: a problem shows on the page, with its message, when someone opens it."""
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext": expected outside a page run
    try:
        from autonn.dashboard import queries

        infos = list_searches(storage)
        if infos:
            name = infos[-1].name
            live, _, df = load(storage, name)
            # The options the page opens with (app.py's sidebar defaults): the same cache entry.
            x = queries.default_x(df.attrs["objectives"])
            pareto_figure(storage, name, live, **DEFAULT_OPTIONS, y=queries.metric_of(df), x=x)
    except Exception as exc:  # noqa: BLE001 - the page reports it to the person
        logger.debug("warming the dashboard for %s failed: %s", storage, exc)
    finally:
        quiet.setLevel(level)


__all__ = ["DEFAULT_OPTIONS", "derived", "live_search", "load", "pareto_figure", "warm"]
