"""One driver per search: a lease held as a heartbeat in the study's user attributes.

A driver that resumes a search another driver is still running would close that driver's
running trials as FAIL and sample on top of it. So the running driver writes who it is and the
time every HEARTBEAT seconds; a resume refuses while that heartbeat is fresh (younger than STALE)
unless forced, and takes over a stale one, left by a driver that was killed or lost its machine.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

import optuna

from autonn.errors import UsageError

logger = logging.getLogger("autonn.tune")

LEASE_ATTR = "autonn_lease"
HEARTBEAT = 10.0  # seconds between two writes of a running driver
STALE = 60.0  # a lease not renewed for this long belongs to a driver that is gone


class Lease:
    """This driver's hold on a search; `close()` stops the heartbeat and releases it."""

    def __init__(self, study: optuna.Study) -> None:
        self.study = study
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._beat()
        self._thread = threading.Thread(target=self._run, name="autonn-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        self.study.set_user_attr(LEASE_ATTR, {"owner": self.owner, "heartbeat": time.time()})

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self._beat()
            except Exception:  # a database hiccup must not end the search; the next beat retries
                logger.debug("could not renew the lease on the search", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if holder(self.study) == self.owner:
            self.study.set_user_attr(LEASE_ATTR, {"owner": None, "heartbeat": time.time()})


def take(study: optuna.Study, *, force: bool = False) -> Lease:
    """Hold the search, refusing while another driver's heartbeat is fresh (unless `force`)."""
    lease = study.user_attrs.get(LEASE_ATTR) or {}
    age = time.time() - float(lease.get("heartbeat", 0.0))
    if lease.get("owner") and age < STALE and not force:
        raise UsageError(
            f"search {study.study_name!r} is being run by another driver ({lease['owner']}, "
            f"heartbeat {age:.0f}s ago); wait for it to finish, or if that driver is gone, "
            f"resume after {STALE - age:.0f}s or add --force now"
        )
    if lease.get("owner") and age < STALE:
        logger.warning("taking search %s over from %s (--force)", study.study_name, lease["owner"])
    return Lease(study)


def holder(study: optuna.Study) -> str | None:
    return (study.user_attrs.get(LEASE_ATTR) or {}).get("owner")
