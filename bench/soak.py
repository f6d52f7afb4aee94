"""Soak: many tiny trials through one driver. Does its bookkeeping stay cheap, its memory flat,
and does every trial land in the database?

The workload is the smallest MLP (one hidden layer of 4-16 units, fp32, unpruned) on wine for one
epoch, two trials at once, with autonn's defaults otherwise (TPE with constant liar, no early
stopping since one epoch leaves it nothing to decide). The driver's bookkeeping is the time
autonn's searcher spends on the driver per trial: asking the sampler for the trial (suggest) and
storing the result and its attributes (on_trial_complete). It is timed by wrapping those two
methods, so Ray Tune's own controller loop is not counted. RSS is the driver process's resident
memory when the 100th and the last trial are stored.

    python bench/soak.py [--trials 1000] [--storage sqlite:///soak.db | postgresql://...]
                         [--sampler tpe]

The last line is machine-readable: ratio=<RSS at the last trial / RSS at trial 100>, and
ms_per_trial=<median bookkeeping> lost=<trials not stored as finished>.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psutil

import autonn
from autonn.tune import _searcher

SPACE = """
import autonn

def space(trial):
    width = trial.suggest_int("width", 4, 16)
    return autonn.MLP(hidden=(width,), train=autonn.Training(lr=1e-2, epochs=1))
"""


class Meter:
    """Times the searcher's driver-side methods and samples RSS at chosen trial counts."""

    def __init__(self, marks: tuple[int, ...]) -> None:
        self.suggest: list[float] = []
        self.complete: list[float] = []
        self.rss: dict[int, int] = {}
        self.marks = marks
        self._process = psutil.Process()

    def install(self) -> None:
        cls = _searcher.AutonnSearcher
        suggest, complete = cls.suggest, cls.on_trial_complete
        meter = self

        def timed_suggest(searcher, trial_id):
            start = time.perf_counter()
            try:
                return suggest(searcher, trial_id)
            finally:
                meter.suggest.append(time.perf_counter() - start)

        def timed_complete(searcher, trial_id, result=None, error=False):
            start = time.perf_counter()
            try:
                return complete(searcher, trial_id, result, error)
            finally:
                meter.complete.append(time.perf_counter() - start)
                if len(meter.complete) in meter.marks:
                    meter.rss[len(meter.complete)] = meter._process.memory_info().rss

        cls.suggest, cls.on_trial_complete = timed_suggest, timed_complete


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--storage", default=None, help="default: a new SQLite file")
    parser.add_argument("--sampler", default="tpe")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="autonn-soak-"))
    (root / "tiny.py").write_text(SPACE)
    storage = args.storage or f"sqlite:///{root}/soak.db"
    meter = Meter(marks=(100, args.trials))
    meter.install()
    name = f"soak-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    result = autonn.search(
        autonn.SearchConfig(space=f"{root}/tiny.py:space", data="wine", name=name,
                            trials=args.trials, max_epochs=1, sampler=args.sampler,
                            early_stop=False),
        autonn.RunConfig(storage=storage, artifacts=str(root / "art"), max_concurrent=2),
    )  # fmt: skip
    wall = time.perf_counter() - start
    counts = result.info.counts
    finished = sum(counts.get(s, 0) for s in ("COMPLETE", "PRUNED", "FAIL"))
    lost = args.trials - finished
    per_trial = [s + c for s, c in zip(meter.suggest, meter.complete, strict=False)]

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"storage: {storage.split(':', 1)[0]}, sampler {args.sampler}, {args.trials} trials")
    print(f"wall: {wall:.0f} s ({args.trials / wall:.2f} trials/s); states: {counts}")
    print(
        f"driver bookkeeping per trial: median {statistics.median(per_trial) * 1000:.1f} ms, "
        f"p90 {_ms(per_trial, 0.9):.1f} ms (suggest median {_ms(meter.suggest, 0.5):.1f} ms, "
        f"store median {_ms(meter.complete, 0.5):.1f} ms)"
    )
    for part, label in ((slice(0, 100), "first 100"), (slice(-100, None), "last 100")):
        print(f"  {label}: median {statistics.median(per_trial[part]) * 1000:.1f} ms")
    rss = {k: v / 2**20 for k, v in meter.rss.items()}
    print(f"driver RSS: {rss.get(100, float('nan')):.0f} MiB at trial 100, "
          f"{rss.get(args.trials, float('nan')):.0f} MiB at trial {args.trials}")  # fmt: skip
    ratio = rss.get(args.trials, float("nan")) / rss.get(100, float("nan"))
    print(f"ratio={ratio:.3f} ms_per_trial={statistics.median(per_trial) * 1000:.1f} lost={lost}")


if __name__ == "__main__":
    main()
