"""The test suite's CPU work: could the README's test command finish in 5 minutes on this machine?

Runs the README's test command (`python -m pytest -q`, in this process) and reads, around each
test, the whole machine's busy CPU time from /proc/stat: pytest itself, the Ray workers it
starts, the subprocess searches, PostgreSQL and the browser, all counted, wherever they run on
this machine. No way of running the tests side by side (pytest-xdist, one Ray for all) can beat
busy core-seconds / cores: that is the suite's floor here, whatever the scheduling. It is a
lower bound: side by side, the tests only add work (each pytest-xdist worker repeats the
session's fixtures and starts a Ray of its own).

    python bench/suite.py [pytest arguments, e.g. -m "not integration"]

Linux only (/proc/stat). Run it on an otherwise idle machine: anything else that runs is
counted too (an idle machine here adds under 0.01 core-second a second).

The last line is machine-readable: ratio=<floor / 5 minutes> floor_s=<busy / cores>
wall_s=<the run> busy_core_s=<the run's, collection included> cores=<N> exit=<pytest's code>.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

import pytest

TARGET_S = 300  # issue 17, item 6: the README's test command in at most 5 minutes
ROOT = Path(__file__).resolve().parents[1]


def busy_core_seconds() -> float:
    """Busy CPU time of every core so far, in seconds: user, nice, system, irq and softirq from
    the first line of /proc/stat. Not idle or iowait, not steal (another machine's work on this
    host), not guest (already inside user)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return sum(ticks[i] for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


class CpuPerTest:
    """A pytest plugin: each test's wall time and the machine's busy CPU time meanwhile."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []  # node id, wall s, busy core-s

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):  # setup, call and teardown together
        started, busy = time.monotonic(), busy_core_seconds()
        yield
        self.rows.append((item.nodeid, time.monotonic() - started, busy_core_seconds() - busy))


def report(rows: list[tuple[str, float, float]], wall: float, busy: float, cores: int) -> float:
    by_file: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for node, w, b in rows:
        entry = by_file[node.split("::")[0]]
        entry[0], entry[1], entry[2] = entry[0] + w, entry[1] + b, entry[2] + 1
    ranked = sorted(by_file.items(), key=lambda kv: -kv[1][1])
    ranked = ranked[:15] + ([(f"the other {len(ranked) - 15} files", _sum(ranked[15:]))]
                           if len(ranked) > 15 else [])  # fmt: skip
    print(f"\n{'wall s':>8} {'busy core-s':>12} {'cores used':>10} {'tests':>6}  file")
    for name, (w, b, n) in ranked:
        print(f"{w:8.1f} {b:12.1f} {b / w if w else 0:10.2f} {int(n):6d}  {name}")
    tested, in_tests, _ = _sum(by_file.items())
    print(f"\n{len(rows)} tests; the run took {wall:.0f} s, {tested:.0f} s of it in tests")
    print(f"busy CPU: {busy:.0f} core-s in all ({in_tests:.0f} in tests, the rest collecting "
          f"and at the session's end), {busy / wall:.2f} of {cores} cores on average")  # fmt: skip
    floor = busy / cores
    print(f"floor on {cores} cores, every core busy all the time: {floor:.0f} s "
          f"against the target's {TARGET_S} s")  # fmt: skip
    return floor


def _sum(entries) -> list[float]:
    return [sum(v[i] for _, v in entries) for i in range(3)]


def main() -> int:
    # This script's folder holds bench/dashboard.py and the like: off the path, so the suite
    # imports what `python -m pytest` would (the repository root first).
    sys.path[0] = str(ROOT)
    os.chdir(ROOT)
    cores = os.cpu_count() or 1
    plugin = CpuPerTest()
    started, busy = time.monotonic(), busy_core_seconds()
    code = pytest.main(["-q", *sys.argv[1:]], plugins=[plugin])
    wall, busy = time.monotonic() - started, busy_core_seconds() - busy
    floor = report(plugin.rows, wall, busy, cores)
    print(
        f"ratio={floor / TARGET_S:.3f} floor_s={floor:.0f} wall_s={wall:.0f} "
        f"busy_core_s={busy:.0f} cores={cores} exit={int(code)}"
    )
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
