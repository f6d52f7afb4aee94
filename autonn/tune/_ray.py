"""Connecting the driver to Ray: fail fast and in one line, keep Ray's noise out, leave no orphans.

Ray's own behaviour that this works around, as measured with Ray 2.60:
- `ray.init(address=...)` retries an unreachable address for many minutes, printing a warning every
  few seconds; a TCP check first answers in milliseconds (refused) or CONNECT_TIMEOUT (no route).
- A cluster started by `ray start --head` requires a token; without one `ray.init` gives up after
  about 20 s (8 s here) with "Failed to connect", the reason only in the C++ warnings on stderr.
- `ray.init()` without an address joins whatever `ray start` cluster this machine last started;
  "local" always starts a Ray of the search's own.
- When a driver that started a local Ray is killed, its DashboardAgent and RuntimeEnvAgent live on;
  a small reaper process kills what the driver started once the driver is gone.
- `ray.init` installs a SIGTERM handler that calls sys.exit mid-search: the driver then aborted
  (exit 134, a C++ stack dump) when Slurm or Kubernetes preempted it. autonn replaces it, so that
  SIGTERM stops a search as Ctrl-C does while it runs (see `sigterm_stops_search`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from autonn._environ import environ_defaults
from autonn.errors import Terminated, UsageError
from autonn.tune._config import RunConfig

logger = logging.getLogger("autonn.tune")

CONNECT_TIMEOUT = 5.0  # seconds for the TCP check of --address
DEFAULT_PORT = 6379  # Ray's GCS port when an address gives none
GCS_WAIT_SECONDS = 8
_AUTH_FAILED = ("InvalidAuthToken", "Unauthenticated", "authentication token")
_TOKEN_HELP = (
    "set RAY_AUTH_MODE=token and give this machine the cluster's token: copy ~/.ray/auth_token "
    "from the head node (or set RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH)"
)


def connect(run: RunConfig) -> None:
    """Start a local Ray, or join run.address; raises UsageError with the fix when that fails."""
    import ray

    if ray.is_initialized():
        return
    wait = {}
    if run.address is None:
        logger.info("starting Ray")
    else:
        logger.info("joining Ray at %s", run.address)
        check_reachable(run.address)
        # Ray retries a GCS that answers but refuses (a missing token) for about 20 s; it is up,
        # so a shorter wait loses nothing and keeps the error within seconds. Read by ray.init.
        wait = {"RAY_gcs_server_port_wait_time_s": str(GCS_WAIT_SECONDS)}
    quiet = not run.debug  # Tune's own logger is quiet for the run only (_run.tune_environment)
    with environ_defaults(wait), _stderr_captured(enabled=quiet) as captured:
        try:
            ray.init(
                address=run.address or "local",
                include_dashboard=False,
                log_to_driver=not quiet,
                logging_level=logging.ERROR if quiet else logging.INFO,
                configure_logging=True,
            )
        except ConnectionError as exc:
            raise UsageError(_connection_error(run.address, str(exc), captured())) from exc
    if run.address is None:
        start_reaper(os.getpid())


_sigterms: list[float] = []  # when each SIGTERM reached this driver (time.monotonic)


def sigterms() -> int:
    """How many SIGTERMs this driver has received: a search compares the count before and after
    Tune's loop to tell a preemption (exit 143) from Ctrl-C (exit 130)."""
    return len(_sigterms)


@contextlib.contextmanager
def sigterm_stops_search() -> Iterator[None]:
    """While a search runs, SIGTERM does what Ctrl-C does: inside Tune's loop, Tune's own SIGINT
    handler stops the trials and `fit` returns (autonn stores what finished, closes what ran,
    raises SearchInterrupted); elsewhere it raises Terminated, a KeyboardInterrupt. Afterwards
    the handler that was there (Ray's, after ray.init) is back, so a Python process that ran a
    search ends on SIGTERM as it did before. Only the main thread may set a handler; elsewhere
    Ray's stays."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        # None: the handler before was not set from Python; the default is the closest to it.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if before is None else before)


def _on_sigterm(signum: int, frame) -> None:
    import time

    _sigterms.append(time.monotonic())
    logger.warning("SIGTERM: stopping the search as Ctrl-C does (what finished is stored)")
    on_ctrl_c = signal.getsignal(signal.SIGINT)
    if callable(on_ctrl_c) and on_ctrl_c is not signal.default_int_handler:
        on_ctrl_c(signal.SIGINT, frame)  # Tune's, while its loop runs
    else:
        raise Terminated("SIGTERM")


def check_reachable(address: str) -> None:
    """A TCP connection to the address's GCS port, so a wrong address fails in seconds."""
    host, port = gcs_endpoint(address)
    if host is None:  # "auto": Ray finds the cluster this machine started, or says there is none
        return
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise UsageError(
            f"cannot reach a Ray cluster at {address} ({reason}); check the address and that "
            "`ray start --head` runs there, or drop --address to run on a local Ray"
        ) from None


def gcs_endpoint(address: str) -> tuple[str | None, int]:
    """(host, port) of an address: "host:port", "ray://host:port" or "host"; (None, 0) for auto."""
    if address == "auto":
        return None, 0
    rest = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep:
        return rest, DEFAULT_PORT
    if not port.isdigit():
        raise UsageError(f"--address {address!r} is not host:port, ray://host:port or auto")
    return host.strip("[]"), int(port)


def _connection_error(address: str | None, message: str, stderr: str) -> str:
    where = address or "this machine"
    if any(marker in stderr or marker in message for marker in _AUTH_FAILED):
        return f"the Ray cluster at {where} refused this machine's token: {_TOKEN_HELP}"
    first = message.strip().splitlines()[0] if message.strip() else "connection failed"
    return f"cannot connect to Ray at {where}: {first}"


@contextlib.contextmanager
def _stderr_captured(*, enabled: bool) -> Iterator:
    """Send file descriptor 2 (where Ray's C++ core writes) to a file while Ray connects.

    Yields a function returning what was captured. Not enabled: stderr stays as it is.
    """
    if not enabled:
        yield lambda: ""
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)

        def captured() -> str:
            sink.seek(0)
            return sink.read().decode(errors="replace")

        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def start_reaper(driver_pid: int) -> subprocess.Popen:
    """A process of its own session that kills the driver's leftover descendants once it exits.

    Run by path, not `-m`: importing the autonn package would cost it a second of CPU for nothing.
    """
    script = Path(__file__).with_name("_reaper.py")
    return subprocess.Popen(
        [sys.executable, str(script), str(driver_pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal must not reach it before the driver
        close_fds=True,
    )
