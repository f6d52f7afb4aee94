"""The autonn dashboard: a Streamlit page over a search database (read only).

    from dashboard import serve
    serve("sqlite:///autonn.db")          # blocks; http://127.0.0.1:8501

`app.py` holds the widgets; `queries` turns trials into frames and `figures` frames into plotly
figures, both pure so they are tested without a browser.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

APP = Path(__file__).with_name("app.py")
STORAGE_ENV = "AUTONN_STORAGE"


def command(storage: str, host: str = "127.0.0.1", port: int = 8501) -> list[str]:
    """The `streamlit run` command line that serves the dashboard for `storage`."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        # The page's code does not change while it is served: watching files only costs CPU.
        "--server.fileWatcherType",
        "none",
    ]
    # A URL with a password goes through the environment only: argv is visible to `ps`.
    return cmd if _has_password(storage) else [*cmd, "--", "--storage", storage]


def serve(storage: str, host: str = "127.0.0.1", port: int = 8501) -> int:
    """Serve the dashboard until interrupted; returns Streamlit's exit code."""
    env = {**os.environ, STORAGE_ENV: storage}
    return subprocess.call(command(storage, host, port), env=env)


def storage_from(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The database the page reads: `--storage URL` after `--`, else $AUTONN_STORAGE, else the
    default (sqlite:///autonn.db in the folder the server started in)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--storage")
    known, _ = parser.parse_known_args(list(argv))
    if known.storage:
        return known.storage
    from autonn.store import DEFAULT_STORAGE

    return environ.get(STORAGE_ENV) or DEFAULT_STORAGE


def _has_password(url: str) -> bool:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password is not None
    except Exception:
        return False


__all__ = ["APP", "STORAGE_ENV", "command", "serve", "storage_from"]
