"""--trial-timeout: the driver ends a trial that runs too long, even one that no longer reports.

Ray Tune's stop criteria act on reported results, so a trial that goes silent (a dead data
loader, a stuck collective, a process the OS stopped with SIGSTOP) would hold its slot forever,
and nothing inside a stopped worker can run to notice. So the driver keeps the clock:

- each trial's wall-clock time since Tune started it (`Callback.on_trial_start`), checked at the
  end of every step of Tune's loop (`on_step_end`), which runs every 0.1 s with or without
  results;
- each worker says which process it is (pid and Ray node) in a small `WorkerBook` actor as its
  trial starts, since a trial stuck in its first epoch has reported nothing yet;
- a trial past the timeout is stored as FAIL with the reason at once (told to the searcher
  here), and its process is killed with SIGKILL (which ends a stopped process too): by the
  driver when it runs on the driver's node, else by a task pinned to the worker's node.

Tune then sees the worker die and, under its failure policy (--max-failures), starts the trial
again. The trial's config now carries the reason (TIMED_OUT_KEY), and that run reports it at
once without training, so a timed-out trial is never trained twice and is stored once: the
searcher ignores a second report of a trial it has told. It costs one worker start.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import ray
from ray.tune import Callback
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from autonn._durations import duration_text
from autonn.tune._protocol import FAILED, TIMED_OUT_KEY, TRIAL_KEY

logger = logging.getLogger("autonn.tune")

CHECK_EVERY = 1.0  # seconds between looks at the clocks; a trial ends at most this late
RPC_TIMEOUT = 60.0  # seconds to wait for the book or a kill: a cluster under load is slow


@ray.remote(num_cpus=0)
class WorkerBook:
    """Which process (pid, Ray node id) runs each trial, by Optuna trial number."""

    def __init__(self) -> None:
        self._where: dict[int, tuple[int, str]] = {}

    def started(self, number: int, pid: int, node_id: str) -> None:
        self._where[number] = (pid, node_id)

    def where(self, number: int) -> tuple[int, str] | None:
        return self._where.get(number)


def announce(book, number: int) -> None:
    """On the worker, as a trial starts: where it runs. Not waited for: it costs the trial
    nothing, and the watchdog only asks minutes later."""
    book.started.remote(number, os.getpid(), ray.get_runtime_context().get_node_id())


def kill_here(pid: int) -> str:
    """SIGKILL a Ray worker process on this node; a pid that is no longer one is left alone."""
    import psutil

    try:
        process = psutil.Process(pid)
        if not any("ray::" in part for part in process.cmdline()):
            return "gone (its pid now belongs to another process)"
        process.kill()
        return "killed"
    except psutil.NoSuchProcess:
        return "gone"


kill_there = ray.remote(num_cpus=0)(kill_here)


def kill_worker(pid: int, node_id: str) -> str:
    """Kill the process on the driver's node at once, or by a task pinned to its node (starting
    that task's worker takes seconds on a loaded machine)."""
    if node_id == ray.get_runtime_context().get_node_id():
        return kill_here(pid)
    pinned = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
    return ray.get(kill_there.options(scheduling_strategy=pinned).remote(pid), timeout=RPC_TIMEOUT)


class Watchdog(Callback):
    """Ends trials past `timeout` seconds: stores them FAIL through `searcher`, kills their
    worker. `book` is the WorkerBook the trials announce themselves in (see TrialPlan)."""

    def __init__(self, timeout: float, *, searcher, book) -> None:
        self.timeout = timeout
        self.searcher = searcher
        self.book = book
        self.started: dict[str, tuple[float, Any]] = {}  # Ray trial id -> (start, Trial)
        self.ended: dict[int, str] = {}  # Optuna trial number -> reason, for the record
        self._next_look = 0.0

    def on_trial_start(self, iteration: int, trials: list, trial, **info) -> None:
        if TIMED_OUT_KEY not in trial.config:  # the run that reports the reason: no clock
            self.started[trial.trial_id] = (time.monotonic(), trial)

    def on_trial_complete(self, iteration: int, trials: list, trial, **info) -> None:
        self.started.pop(trial.trial_id, None)

    on_trial_error = on_trial_complete
    on_trial_recover = on_trial_complete  # Tune starts it again: a fresh clock, or its reason

    def on_step_end(self, iteration: int, trials: list, **info) -> None:
        now = time.monotonic()
        if now < self._next_look:
            return
        self._next_look = now + CHECK_EVERY
        for trial_id, (start, trial) in list(self.started.items()):
            if now - start > self.timeout:
                self._end(trial_id, trial, now - start)

    def _end(self, trial_id: str, trial, ran: float) -> None:
        number = trial.config[TRIAL_KEY]
        where = ray.get(self.book.where.remote(number), timeout=RPC_TIMEOUT)
        if where is None:  # not announced yet (a worker still starting): look again next time
            return
        del self.started[trial_id]
        reason = (
            f"ran past --trial-timeout {duration_text(self.timeout)} (hung or stopped: "
            f"{duration_text(round(ran))} since it started); its worker process was killed"
        )
        # Before the kill: Tune may start the trial again at once, and that run must not train.
        trial.config[TIMED_OUT_KEY] = reason
        self.ended[number] = reason
        self.searcher.on_trial_complete(trial_id, {FAILED: reason})
        pid, node_id = where
        try:
            outcome = kill_worker(pid, node_id)
        except (ray.exceptions.RayError, TimeoutError) as exc:
            outcome = f"not killed ({type(exc).__name__}: {exc})"
        logger.warning("trial %d ran past --trial-timeout: worker pid %d %s", number, pid, outcome)

    @classmethod
    def for_run(cls, run, searcher) -> Watchdog | None:
        """The watchdog of a search run with `run.trial_timeout`; None without one."""
        if run.trial_timeout_s is None:
            return None
        return cls(run.trial_timeout_s, searcher=searcher, book=WorkerBook.remote())
