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


@st.cache_resource(show_spinner=False, max_entries=32)
def live_search(storage: str, name: str) -> LiveSearch:
    return LiveSearch(name, storage)


@st.cache_resource(show_spinner=False, max_entries=32)
def derived(storage: str, name: str, version: int, what: str, _live: LiveSearch):
    from dashboard import queries

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


def load(storage: str, name: str):
    """The search as stored now, and its trial frame (read incrementally)."""
    live = live_search(storage, name)
    search = live.refresh()
    return live, search, derived(storage, name, live.version, "frame", live)


def warm(storage: str) -> None:
    """What the first visitor would otherwise wait for, done before the server listens: imports,
    opening the database, reading the search the page opens by default (the latest) and drawing
    its Pareto figure once (plotly's first figure in a process costs several times the next).
    Never raises: a problem shows on the page, with its message, when someone opens it."""
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext": expected outside a page run
    try:
        from dashboard import figures

        infos = list_searches(storage)
        if infos:
            _, _, df = load(storage, infos[-1].name)
            figures.pareto(df).to_plotly_json()
    except Exception as exc:  # noqa: BLE001 - the page reports it to the person
        logger.debug("warming the dashboard for %s failed: %s", storage, exc)
    finally:
        quiet.setLevel(level)


__all__ = ["derived", "live_search", "load", "warm"]
