"""How long MO-ASHA takes to decide one rung report, by how many results the rung holds.

The first rung sees every trial, so at 10,000 trials a report is judged against 10,000 results,
on Tune's event loop. Measured here, in one run on the same data:

- new: autonn's MOASHA. The rung is filled with `remember` (as a resumed search fills it), one
  report ranks it from scratch ("first"), then each of 51 new reports is timed ("median",
  "max"): the ranks are kept one insertion at a time.
- old: the pure-Python ranking MOASHA used before autonn.pareto (Deb's O(n^2) sort of the whole
  rung on every report), kept below as the baseline: the same decision, timed once or more.

Results are independent uniform draws (accuracy 0.5-0.99, log-uniform size 1 KB-1 MB), which
gives many fronts: harder for the kept ranks than a search's usual trade-off. Last line:
    ratio=<old / new median decision time at the largest size the old way was timed at>
Usage: python bench/pareto.py [--sizes 1000 10000] [--objectives 2]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time

import numpy as np

from autonn.tune._moasha import MOASHA

NEW_REPORTS = 51


# --- the old approach, verbatim in substance: pure Python, the whole rung on every report ------


def _dominates(a, b) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def _fronts(points) -> list[list[int]]:
    n = len(points)
    beaten_by, beats = [0] * n, [[] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if _dominates(points[i], points[j]):
                beats[i].append(j)
                beaten_by[j] += 1
            elif _dominates(points[j], points[i]):
                beats[j].append(i)
                beaten_by[i] += 1
    fronts, front = [], [i for i in range(n) if beaten_by[i] == 0]
    while front:
        fronts.append(front)
        following = []
        for i in front:
            for j in beats[i]:
                beaten_by[j] -= 1
                if beaten_by[j] == 0:
                    following.append(j)
        front = sorted(following)
    return fronts


def _crowding(points) -> list[float]:
    n = len(points)
    distance = [0.0] * n
    for k in range(len(points[0]) if n else 0):
        order = sorted(range(n), key=lambda i: points[i][k])
        low, high = points[order[0]][k], points[order[-1]][k]
        if high == low:
            continue
        distance[order[0]] = distance[order[-1]] = math.inf
        for before, i, after in zip(order, order[1:], order[2:], strict=False):
            distance[i] += (points[after][k] - points[before][k]) / (high - low)
    return distance


def old_survives(points, index: int, keep: int) -> bool:
    keys = [(0.0, math.inf, 0.0)] * len(points)
    for rank, front in enumerate(_fronts(points)):
        for i, c in zip(front, _crowding([points[i] for i in front]), strict=True):
            keys[i] = (0.0, float(rank), -c)
    return sum(key < keys[index] for key in keys) < keep


# --- measurement --------------------------------------------------------------------------------


def results(rng, n: int, objectives: int) -> list[dict[str, float]]:
    cols = {
        "accuracy": rng.uniform(0.5, 0.99, n),
        "size_bytes": 10 ** rng.uniform(3, 6, n),
        "ram_bytes": 10 ** rng.uniform(3, 5, n),
    }
    names = list(cols)[:objectives]
    return [{k: float(cols[k][i]) for k in names} for i in range(n)]


def time_new(stored, new, objectives: dict) -> tuple[float, float, float, float, list[str]]:
    """(first decision, median, max, median CPU time) in seconds, and the actions. The CPU time
    is the process's own, which a loaded machine disturbs less than the wall clock."""
    scheduler = MOASHA(objectives=objectives, rungs=(2,))
    scheduler.remember({2: stored})
    seconds, cpu, actions = [], [], []
    for i, values in enumerate(new):
        trial = type("T", (), {"trial_id": f"new-{i}"})()
        start, start_cpu = time.perf_counter(), time.process_time()
        actions.append(scheduler.on_trial_result(None, trial, {"epoch": 2, **values}))
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    rest = seconds[1:]
    return seconds[0], statistics.median(rest), max(rest), statistics.median(cpu[1:]), actions


def time_old(stored, new, objectives: dict, budget_s: float) -> tuple[float, int, list[str]]:
    """Median seconds of the old decision over as many new reports as fit in `budget_s`
    (at least one), and the actions it took."""
    sign = {k: (1.0 if d == "min" else -1.0) for k, d in objectives.items()}
    points = [tuple(sign[k] * v[k] for k in objectives) for v in stored]
    seconds, actions, spent = [], [], 0.0
    for values in new:
        points.append(tuple(sign[k] * values[k] for k in objectives))
        n = len(points)
        start = time.perf_counter()
        ok = old_survives(points, n - 1, math.ceil(n / 2))
        seconds.append(time.perf_counter() - start)
        actions.append("CONTINUE" if ok else "STOP")
        spent += seconds[-1]
        if spent > budget_s:
            break
    return statistics.median(seconds), len(seconds), actions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--objectives", type=int, choices=(1, 2, 3), default=2)
    parser.add_argument("--old-budget", type=float, default=30.0, help="seconds per size")
    parser.add_argument(
        "--old-max", type=int, default=10**9, help="time the old way only up to this many results"
    )
    args = parser.parse_args()
    directions = {"accuracy": "max", "size_bytes": "min", "ram_bytes": "min"}
    objectives = dict(list(directions.items())[: args.objectives])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    print(f"objectives: {', '.join(f'{k} ({d})' for k, d in objectives.items())}")
    ratio = None
    for n in args.sizes:
        rng = np.random.default_rng(n)
        stored, new = results(rng, n, args.objectives), results(rng, NEW_REPORTS, args.objectives)
        first, median, worst, cpu, actions = time_new(stored, new, objectives)
        line = (f"{n:>6} results: new first {first * 1e3:7.2f} ms, median {median * 1e3:6.3f} ms "
                f"(CPU {cpu * 1e3:.3f} ms), max {worst * 1e3:6.2f} ms "
                f"({NEW_REPORTS - 1} reports)")  # fmt: skip
        if n <= args.old_max:
            old, count, old_actions = time_old(stored, new, objectives, args.old_budget)
            assert old_actions == actions[:count], "the old and new decisions differ"
            ratio = old / median
            line += (f"; old {old * 1e3:10.1f} ms (median of {count}); same decisions; "
                     f"old/new {ratio:,.0f}x")  # fmt: skip
        print(line, flush=True)
    print(f"ratio={ratio:.0f}" if ratio else "ratio=nan")


if __name__ == "__main__":
    main()
