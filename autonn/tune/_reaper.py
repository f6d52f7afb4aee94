"""Kill what a search driver started once the driver is gone: `python _reaper.py DRIVER_PID`.

Ray's local processes outlive a driver killed with SIGKILL (its DashboardAgent and
RuntimeEnvAgent are re-parented to init and run on). This process, in a session of its own,
notes the driver's descendants every POLL seconds; when the driver has exited, however it
exited, it kills those still alive. A process is known by (pid, start time), so a pid the
system has since reused is never touched. Imports only psutil: it must start in milliseconds.
"""

from __future__ import annotations

import os
import sys
import time

import psutil

POLL = 1.0  # seconds; a killed driver's processes are gone within about this long
GRACE = 3.0  # seconds between SIGTERM and SIGKILL


def descendants(driver: psutil.Process) -> dict[int, float]:
    """(pid, start time) of the driver's descendants but this process, which the driver started."""
    found = {}
    try:
        for child in driver.children(recursive=True):
            if child.pid == os.getpid():
                continue
            try:
                found[child.pid] = child.create_time()
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return found


def still_ours(known: dict[int, float]) -> list[psutil.Process]:
    alive = []
    for pid, started in known.items():
        try:
            process = psutil.Process(pid)
            if process.create_time() == started:
                alive.append(process)
        except psutil.Error:
            pass
    return alive


def reap(known: dict[int, float]) -> None:
    processes = still_ours(known)
    for p in processes:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(processes, timeout=GRACE)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass


def main(driver_pid: int) -> None:
    try:
        driver = psutil.Process(driver_pid)
    except psutil.Error:
        return
    known: dict[int, float] = {}
    while _alive(driver):
        known.update(descendants(driver))
        time.sleep(POLL)
    reap(known)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


if __name__ == "__main__":
    main(int(sys.argv[1]))
