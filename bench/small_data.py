"""Does k-fold scoring make the `best` pick honest on small data? (issue 18, item 1)

Per data set and seed, two real searches with the same settings, one after the other in one
process and one local Ray (2 trials at once, TPE seeded by the seed, MO-ASHA, objectives the
metric and size_bytes):

    one-split   --folds 0: each trial scored on one validation split (autonn 0.2)
    k-fold      --folds 5: each trial scored by the mean of 5 folds of training + validation rows

Data: iris (150 rows as a CSV made from scikit-learn's copy; 96 training, 24 validation, 30 test
rows), the `mlp` space; digits (1,797 8x8 images; 1,149/288/360), the `cnn` space. The test split
is the same in both arms (the split is seeded by the seed).

Figures per search, from its COMPLETE trials:
    pick_test   the test accuracy of the `best` pick (autonn export --pick best)
    best_test   the best test accuracy of any complete trial (what an oracle would have picked)
    shortfall   best_test - pick_test: how much choosing by the validation score cost
    gap         the median of |validation - test| over the Pareto front's trials
    seconds     the search's wall time

    python bench/small_data.py [--data iris digits] [--seeds 3] [--trials 16] [--epochs 15]

The last line is machine-readable: `ratio=<mean shortfall k-fold / mean shortfall one-split, over
data sets and seeds> gap_ratio=<median gap k-fold / one-split> iris_within_3=<seeds where the
k-fold pick is within 3 points of best_test>/<seeds>`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import autonn
from autonn.package._pick import choose

ARMS = {"one-split": 0, "k-fold": 5}
SPACES = {"iris": "mlp", "digits": "cnn"}


def iris_csv(folder: Path) -> str:
    from sklearn.datasets import load_iris

    path = folder / "iris.csv"
    load_iris(as_frame=True).frame.rename(columns={"target": "label"}).to_csv(path, index=False)
    return str(path)


def run(data: str, spec: str, arm: str, seed: int, args, root: Path) -> dict:
    name = f"{data}-{arm}-{seed}"
    config = autonn.SearchConfig(
        space=SPACES[data], data=spec, name=name, trials=args.trials, max_epochs=args.epochs,
        seed=seed, folds=ARMS[arm],
    )  # fmt: skip
    run_config = autonn.RunConfig(
        storage=f"sqlite:///{root}/bench.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    started = time.perf_counter()
    search = autonn.search(config, run_config)
    seconds = time.perf_counter() - started
    complete = [t for t in search.trials if t.state == "COMPLETE"]
    pick, _ = choose(search.trials, search.objectives, "best", floor=search.info.floor)
    best_test = max(t.test_score for t in complete)
    gaps = [abs(t.score - t.test_score) for t in search.pareto]
    return {
        "data": data, "arm": arm, "seed": seed, "pick_val": pick.score,
        "pick_test": pick.test_score, "best_test": best_test,
        "shortfall": best_test - pick.test_score, "gap": statistics.median(gaps),
        "complete": len(complete), "seconds": seconds,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=list(SPACES), choices=list(SPACES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    print(f"machine: {platform.node()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="autonn-small-") as tmp:
        root = Path(tmp)
        specs = {"iris": iris_csv(root), "digits": "digits"}
        for data in args.data:
            for seed in range(args.seeds):
                for arm in ARMS:
                    rows.append(run(data, specs[data], arm, seed, args, root))
                    r = rows[-1]
                    print(
                        f"{data:7} seed {seed} {arm:9} pick val {r['pick_val']:.4f} test "
                        f"{r['pick_test']:.4f}  best test {r['best_test']:.4f}  shortfall "
                        f"{r['shortfall']:+.4f}  front gap {r['gap']:.4f}  "
                        f"{r['complete']} complete  {r['seconds']:.0f}s",
                        flush=True,
                    )
    print()
    print("| data | arm | pick test (mean) | best test (mean) | shortfall (mean) | front gap "
          "(median) | seconds (mean) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for data in args.data:
        for arm in ARMS:
            part = [r for r in rows if r["data"] == data and r["arm"] == arm]
            print(
                f"| {data} | {arm} | {_mean(part, 'pick_test'):.4f} | "
                f"{_mean(part, 'best_test'):.4f} | {_mean(part, 'shortfall'):.4f} | "
                f"{statistics.median(r['gap'] for r in part):.4f} | {_mean(part, 'seconds'):.0f} |"
            )
    by_arm = {arm: [r for r in rows if r["arm"] == arm] for arm in ARMS}
    shortfall = {arm: _mean(part, "shortfall") for arm, part in by_arm.items()}
    gap = {arm: statistics.median(r["gap"] for r in part) for arm, part in by_arm.items()}
    iris = [r for r in by_arm["k-fold"] if r["data"] == "iris"]
    within = sum(r["shortfall"] <= 0.03 + 1e-9 for r in iris)
    print(
        f"ratio={shortfall['k-fold'] / max(shortfall['one-split'], 1e-9):.3f} "
        f"gap_ratio={gap['k-fold'] / max(gap['one-split'], 1e-9):.3f} "
        f"iris_within_3={within}/{len(iris)}"
    )


def _mean(rows: list[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in rows)


if __name__ == "__main__":
    main()
