"""The autonn dashboard: a Streamlit page over a search database (read only).

    from autonn.dashboard import serve
    serve("sqlite:///autonn.db")          # blocks; http://127.0.0.1:8501
    serve(url, host="0.0.0.0", token=new_token())   # on a network: visitors need the token

`serve` runs Streamlit as a child process and passes SIGTERM, SIGINT and SIGHUP on to it, so
stopping `autonn dashboard` (Ctrl-C, `kill`, a service manager) stops the page's server too; on
Linux the child also gets SIGTERM if the parent dies without a word (`kill -9`).

On any address but loopback the page asks for a token (`_auth`): `serve` passes it to Streamlit
in the environment, and the page checks it before it reads the database.

`app.py` holds the widgets; `queries` turns trials into frames and `figures` frames into plotly
figures, both pure so they are tested without a browser.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from autonn.dashboard._auth import TOKEN_ENV, access_for, child_env, new_token

APP = Path(__file__).with_name("app.py")
SERVER = Path(__file__).with_name("_server.py")  # `streamlit run`, the caches warmed first
STORAGE_ENV = "AUTONN_STORAGE"


def command(storage: str, host: str = "127.0.0.1", port: int = 8501) -> list[str]:
    """The `streamlit run` command line that serves the dashboard for `storage` (through
    `_server.py`, which reads the latest search while the server starts)."""
    cmd = [
        sys.executable,
        str(SERVER),
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


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def serve(
    storage: str,
    host: str = "127.0.0.1",
    port: int = 8501,
    *,
    token: str | None = None,
    no_auth: bool = False,
) -> int:
    """Serve the dashboard until interrupted; returns Streamlit's exit code.

    Visitors need `token` (else $AUTONN_DASHBOARD_TOKEN); on any `host` but loopback one of them
    is required, unless `no_auth`. The token reaches Streamlit in its environment, not its argv.

    Not an exec: a caller in Python (a notebook, a service) keeps its process. The signals that
    stop a server are passed on to Streamlit, and serve returns once Streamlit has exited.
    Raises MissingDependency (one line: how to install it) without the dashboard extra, and
    UsageError for a network address with neither a token nor no_auth, or a token too short.
    """
    import importlib.util

    from autonn.errors import MissingDependency

    for package in ("streamlit", "plotly"):
        if importlib.util.find_spec(package) is None:
            raise MissingDependency(package, "dashboard")
    access = access_for(host, token=token, no_auth=no_auth, generate=False)
    env = {**child_env(access, os.environ), STORAGE_ENV: storage}
    parent = os.getpid()
    proc = subprocess.Popen(
        command(storage, host, port), env=env, preexec_fn=lambda: _die_with(parent)
    )

    def forward(signum: int, _frame) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    # Handlers can only be set from the main thread; from another thread the caller's stay.
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, forward) for s in FORWARDED} if main else {}
    try:
        return proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _die_with(parent: int) -> None:
    """In the child, before exec: on Linux, get SIGTERM when the parent dies, even by SIGKILL."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


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


__all__ = [
    "APP",
    "SERVER",
    "STORAGE_ENV",
    "TOKEN_ENV",
    "command",
    "new_token",
    "serve",
    "storage_from",
]
