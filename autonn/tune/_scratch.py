"""A trial's working folder, and what is left of those whose worker was killed.

A trial writes its artifacts (the model, each format, the verification's files) to a temporary
folder and uploads them at the end. A worker killed mid-trial (out of memory, a preempted node,
--trial-timeout) cannot remove that folder, and over a long night of retries such folders fill a
node's /tmp. So each folder is named after its machine and process, and each new trial removes
the folders of this machine whose process is gone. The machine's name keeps a /tmp shared between
hosts or containers (where process ids mean different processes) from being swept by another.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "autonn-trial-"


@contextlib.contextmanager
def trial_scratch() -> Iterator[Path]:
    """A temporary folder for one trial, removed when it ends; stale ones are swept first."""
    root = Path(tempfile.gettempdir())
    sweep(root)
    with tempfile.TemporaryDirectory(prefix=_owned_prefix(os.getpid()), dir=root) as tmp:
        yield Path(tmp)


def sweep(root: Path) -> list[Path]:
    """Remove this machine's trial folders in `root` whose process has ended; returns them."""
    mine = _owned_prefix(pid=None)
    removed = []
    for folder in root.glob(f"{mine}*"):
        pid = folder.name[len(mine) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)  # another sweeper may be at it too
            removed.append(folder)
    return removed


def _owned_prefix(pid: int | None) -> str:
    host = socket.gethostname().replace("-", "_")  # '-' separates the fields
    return f"{PREFIX}{host}-" + ("" if pid is None else f"{pid}-")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
