"""Does Ray's parallelism pay for its overhead? The same K trials two ways, on this machine:

(a) a plain in-process Optuna loop calling the same trial pipeline (train, compress, export,
    measure), torch using every core;
(b) autonn.search with Ray Tune, `--max-concurrent` trials at once, one core each.

Same space, data, random-sampler seed (so the same params in the same order), per-trial seeds and
epochs; early stopping is off in both so the work is identical. (b) includes starting Ray.
The last line is machine-readable: ratio=<autonn seconds / plain seconds> (target <= 0.7).

    python bench/overhead.py [--trials 24] [--epochs 10] [--concurrent 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import optuna

import autonn
from autonn.trial import run_trial

SPACE, DATA, SEED = "mlp", "digits", 0


def plain_loop(trials: int, epochs: int, root: Path) -> tuple[float, list[float]]:
    space = autonn.load_space(SPACE)
    data = autonn.load_dataset(DATA, seed=SEED)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=SEED)
    )

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        config = space.sample(trial)
        out = root / f"trial_{trial.number}"
        outcome = run_trial(
            config, data, seed=SEED + trial.number, max_epochs=epochs, out_dir=out
        )
        return outcome.values["accuracy"], outcome.values["size_bytes"]

    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start, sorted(t.values[0] for t in study.trials)


def autonn_search(trials: int, epochs: int, concurrent: int, root: Path):
    config = autonn.SearchConfig(
        space=SPACE, data=DATA, name="overhead", trials=trials, max_epochs=epochs,
        sampler="random", seed=SEED, early_stop=False,
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/bench.db", artifacts=str(root / "art"),
        max_concurrent=concurrent, cpus_per_trial=1,
    )  # fmt: skip
    start = time.perf_counter()
    result = autonn.search(config, run)
    seconds = time.perf_counter() - start
    return seconds, sorted(t.accuracy for t in result.trials if t.state == "COMPLETE"), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{args.trials} trials of {SPACE} on {DATA}, {args.epochs} epochs, random sampler")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain_s, plain_acc = plain_loop(args.trials, args.epochs, root / "plain")
        print(f"plain Optuna loop:          {plain_s:7.1f} s  ({plain_s / args.trials:.2f} s/trial)")
        ray_s, ray_acc, result = autonn_search(args.trials, args.epochs, args.concurrent, root)
        per = ray_s / args.trials
        print(f"autonn, {args.concurrent} concurrent (Ray): {ray_s:7.1f} s  ({per:.2f} s/trial)")
        states = result.info.counts
        print(f"autonn trial states: {states}")
        same = len(plain_acc) == len(ray_acc)
        print(f"same number of completed trials: {same} ({len(plain_acc)} vs {len(ray_acc)})")
    print(f"ratio={ray_s / plain_s:.3f} plain_s={plain_s:.1f} autonn_s={ray_s:.1f}")


if __name__ == "__main__":
    main()
