"""Soak: many tiny trials through one driver. Does its bookkeeping stay cheap, its memory flat,
and does every trial land in the database?

The workload is the smallest MLP (one hidden layer of 4-16 units, fp32, unpruned) on wine for
--max-epochs epochs (3: MO-ASHA's rungs are epochs 1 and 3 with the default reduction factor), two
trials at once, one validation split (--folds 0: wine's size would make it 5 folds), early
stopping by MO-ASHA (the default). The driver's bookkeeping is the time autonn spends on the
driver per trial: asking the sampler for the trial (the searcher's suggest), storing the result
and its attributes (on_trial_complete), and the scheduler's decisions on the trial's reports
(MO-ASHA's on_trial_result). It is timed by wrapping those methods, so Ray Tune's own controller
loop is not counted. RSS is the driver process's resident memory when the 1,000th and the last
trial are stored.

Afterwards, on that database, each as a user meets it (a fresh process, imports included):
`autonn show NAME`, `autonn export NAME --pick knee`, and the dashboard's first open of the
search (bench/dashboard.py's part b' in Streamlit's AppTest, after the server's warm-up) beside
the same for a made-up 2,000-trial search (tests/dashboard/synthetic.py).

    python bench/soak.py [--trials 10000] [--storage sqlite:///soak.db | postgresql://...]
                         [--sampler tpe] [--max-epochs 3]

The last line is machine-readable: ratio=<RSS at the last trial / RSS at trial 1,000>,
ms_per_trial=<median bookkeeping per trial> flat=<bookkeeping over the last 1,000 trials / over
trials 1,001-2,000> lost=<trials not stored as finished> trials=<N>.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

import autonn
from autonn.tune import _moasha, _searcher

BIN = 1000  # bookkeeping is summed up per this many stored trials

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
        self.decide: list[tuple[int, float]] = []  # (trials stored so far, seconds)
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
        decide = _moasha.MOASHA.on_trial_result

        def timed_decide(scheduler, tune_controller, trial, result):
            start = time.perf_counter()
            try:
                return decide(scheduler, tune_controller, trial, result)
            finally:
                meter.decide.append((len(meter.complete), time.perf_counter() - start))

        _moasha.MOASHA.on_trial_result = timed_decide

    def per_trial(self) -> list[float]:
        """Each stored trial's bookkeeping: its suggest and store, plus an equal share of the
        scheduler's decisions made while the trials of its bin were being stored."""
        own = [s + c for s, c in zip(self.suggest, self.complete, strict=False)]
        shares = [0.0] * (len(own) // BIN + 1)
        for stored, seconds in self.decide:
            shares[min(stored, len(own) - 1) // BIN] += seconds
        sizes = [min(BIN, len(own) - b * BIN) for b in range(len(shares))]
        return [t + shares[i // BIN] / max(sizes[i // BIN], 1) for i, t in enumerate(own)]


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--storage", default=None, help="default: a new SQLite file")
    parser.add_argument("--sampler", default="tpe")
    parser.add_argument("--max-epochs", type=int, default=3)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="autonn-soak-"))
    (root / "tiny.py").write_text(SPACE)
    storage = args.storage or f"sqlite:///{root}/soak.db"
    meter = Meter(marks=(min(BIN, args.trials), args.trials))
    meter.install()
    name = f"soak-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    result = autonn.search(
        autonn.SearchConfig(space=f"{root}/tiny.py:space", data="wine", name=name,
                            trials=args.trials, max_epochs=args.max_epochs,
                            sampler=args.sampler, folds=0),
        autonn.RunConfig(storage=storage, artifacts=str(root / "art"), max_concurrent=2),
    )  # fmt: skip
    wall = time.perf_counter() - start
    counts = result.info.counts
    finished = sum(counts.get(s, 0) for s in ("COMPLETE", "PRUNED", "FAIL"))
    lost = args.trials - finished
    per_trial = meter.per_trial()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"storage: {storage.split(':', 1)[0]}, sampler {args.sampler}, {args.trials} trials, "
          f"MO-ASHA over {args.max_epochs} epochs")  # fmt: skip
    print(f"wall: {wall:.0f} s ({args.trials / wall:.2f} trials/s); states: {counts}")
    decide = [seconds for _, seconds in meter.decide]
    print(
        f"driver bookkeeping per trial: median {statistics.median(per_trial) * 1000:.1f} ms, "
        f"p90 {_ms(per_trial, 0.9):.1f} ms (suggest median {_ms(meter.suggest, 0.5):.1f} ms, "
        f"store median {_ms(meter.complete, 0.5):.1f} ms, MO-ASHA decision median "
        f"{_ms(decide, 0.5):.2f} ms, p99 {_ms(decide, 0.99):.2f} ms over {len(decide)} reports)"
    )
    bins = [per_trial[i : i + BIN] for i in range(0, len(per_trial), BIN)]
    print("  per 1,000 trials (median ms): "
          + " ".join(f"{statistics.median(b) * 1000:.1f}" for b in bins))  # fmt: skip
    rss = {k: v / 2**20 for k, v in meter.rss.items()}
    first = min(BIN, args.trials)
    print(f"driver RSS: {rss.get(first, float('nan')):.0f} MiB at trial {first}, "
          f"{rss.get(args.trials, float('nan')):.0f} MiB at trial {args.trials}")  # fmt: skip
    reads = after_the_search(storage, name, root)
    for what, seconds in reads.items():
        print(f"  {what}: {seconds:.2f} s")
    ratio = rss.get(args.trials, float("nan")) / rss.get(first, float("nan"))
    flat = statistics.median(bins[-1]) / statistics.median(bins[1] if len(bins) > 1 else bins[0])
    print(f"ratio={ratio:.3f} ms_per_trial={statistics.median(per_trial) * 1000:.1f} "
          f"flat={flat:.2f} lost={lost} trials={finished}")  # fmt: skip


def after_the_search(storage: str, name: str, root: Path) -> dict[str, float]:
    """What a user does next, each in a fresh process: show, export the knee, open the dashboard
    (and the dashboard on a made-up 2,000-trial search, for the ratio)."""
    out = {}
    cli = [sys.executable, "-m", "autonn.cli"]
    for what, argv in (
        ("autonn show", ["show", name, "--storage", storage]),
        ("autonn export --pick knee", ["export", name, "--storage", storage, "--pick", "knee",
                                       "--out", str(root / "knee")]),
    ):  # fmt: skip
        t = time.perf_counter()
        subprocess.run([*cli, *argv], check=True, capture_output=True)
        out[what] = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import autonn.cli"], check=True)
    out["(python -c 'import autonn.cli' alone)"] = time.perf_counter() - t
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.dashboard import _run_part
    from tests.dashboard.synthetic import write_search

    made = f"sqlite:///{root}/made-2000.db"
    write_search(made, "made-2000", trials=2000, seed=0)
    here = _run_part("w", storage, name)["first_open_s"]
    there = _run_part("w", made, "made-2000")["first_open_s"]
    out["dashboard first open, this search"] = here
    out["dashboard first open, made-up 2,000 trials"] = there
    print(f"  dashboard first open ratio to 2,000 trials: {here / there:.2f}")
    return out


if __name__ == "__main__":
    main()
