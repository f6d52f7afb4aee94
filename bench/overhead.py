"""Does Ray's parallelism pay for its overhead? The same K trials two ways, on this machine:

(a) a plain in-process Optuna loop calling the same trial pipeline (train, compress, export,
    measure), torch using every core;
(b) autonn.search with Ray Tune, `--max-concurrent` trials at once, one core each, reusing
    worker processes (autonn's default), and (c) the same without reuse (Ray's default).

Same space, data, random-sampler seed (so the same params in the same order), per-trial seeds and
epochs; early stopping is off so the work is identical. Starting Ray is timed on its own and
counted in (b). The last line is machine-readable: ratio=<(b) seconds / (a) seconds>
(target <= 0.7).

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
        outcome = run_trial(config, data, seed=SEED + trial.number, max_epochs=epochs, out_dir=out)
        return outcome.values["accuracy"], outcome.values["size_bytes"]

    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start, sorted(t.values[0] for t in study.trials)


def start_ray() -> float:
    import ray

    start = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    return time.perf_counter() - start


def autonn_search(trials: int, epochs: int, concurrent: int, root: Path, reuse: bool):
    name = f"overhead-{'reuse' if reuse else 'noreuse'}"
    config = autonn.SearchConfig(
        space=SPACE, data=DATA, name=name, trials=trials, max_epochs=epochs,
        sampler="random", seed=SEED, early_stop=False,
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/bench.db", artifacts=str(root / "art"),
        max_concurrent=concurrent, cpus_per_trial=1, reuse_actors=reuse,
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
        print(
            f"plain Optuna loop:          {plain_s:7.1f} s  ({plain_s / args.trials:.2f} s/trial)"
        )
        init_s = start_ray()
        print(f"starting a local Ray:       {init_s:7.1f} s")
        times = {}
        for reuse in (True, False):
            seconds, accs, result = autonn_search(
                args.trials, args.epochs, args.concurrent, root, reuse
            )
            times[reuse] = seconds
            label = f"autonn, {args.concurrent} at once, reuse_actors={reuse}:"
            print(f"{label:<40} {seconds:7.1f} s  ({seconds / args.trials:.2f} s/trial)")
            print(f"  states {result.info.counts}; same accuracies as plain: {accs == plain_acc}")
    ray_s = init_s + times[True]
    print(f"autonn total (Ray start + reuse run): {ray_s:.1f} s")
    print(
        f"ratio={ray_s / plain_s:.3f} plain_s={plain_s:.1f} autonn_s={ray_s:.1f} "
        f"ray_start_s={init_s:.1f} noreuse_s={times[False]:.1f}"
    )


if __name__ == "__main__":
    main()
