"""Does Ray's parallelism pay for its overhead? The same K trials two ways, on this machine:

(a) a plain in-process Optuna loop calling the same trial pipeline (train, compress, export,
    measure), with one torch thread: on this 2-core machine that was faster for these small
    models than two (43-48 s against 46-58 s for the default run), so it is the fair baseline;
(b) autonn.search with Ray Tune, `--max-concurrent` trials at once, one core each, reusing
    worker processes (autonn's default), and (c) the same without reuse (Ray's default).

Same space, data, random-sampler seed (so the same params in the same order), per-trial seeds and
epochs; early stopping is off so the work is identical. (b) is timed as a user meets it,
starting the local Ray included; (c) runs on the Ray that (b) started. The last line is
machine-readable: ratio=<(b) seconds / (a) seconds> (target <= 0.7).

    python bench/overhead.py [--space cnn] [--data digits] [--trials 24] [--epochs 15]
                             [--concurrent 2] [--skip-noreuse]
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

SEED = 0


def plain_loop(space: str, data: str, trials: int, epochs: int, root: Path):
    space = autonn.load_space(space)
    data = autonn.load_dataset(data, seed=SEED)
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
    # As in a search, a trial whose compression breaks the model fails and the loop goes on.
    study.optimize(objective, n_trials=trials, catch=(autonn.TrialFailed,))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return time.perf_counter() - start, sorted(t.values[0] for t in done)


def autonn_search(space, data, trials: int, epochs: int, concurrent: int, root: Path, reuse: bool):
    name = f"overhead-{'reuse' if reuse else 'noreuse'}"
    config = autonn.SearchConfig(
        space=space, data=data, name=name, trials=trials, max_epochs=epochs,
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
    parser.add_argument("--space", default="cnn")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--concurrent", type=int, default=2)
    parser.add_argument(
        "--plain-threads",
        type=int,
        default=1,
        help="torch threads in (a); 1 is the faster setting for these small models here",
    )
    parser.add_argument("--skip-noreuse", action="store_true", help="skip the slow (c) run")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"{args.trials} trials of {args.space} on {args.data}, {args.epochs} epochs, random sampler"
    )
    import torch

    torch.set_num_threads(args.plain_threads)
    print(f"(a) runs with {args.plain_threads} torch threads")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain_s, plain_acc = plain_loop(args.space, args.data, args.trials, args.epochs, root / "p")
        print(
            f"plain Optuna loop:          {plain_s:7.1f} s  ({plain_s / args.trials:.2f} s/trial)"
        )
        times = {}
        for reuse in (True, False)[: 1 if args.skip_noreuse else 2]:
            seconds, accs, result = autonn_search(
                args.space, args.data, args.trials, args.epochs, args.concurrent, root, reuse
            )
            times[reuse] = seconds
            label = f"autonn, {args.concurrent} at once, reuse_actors={reuse}:"
            print(f"{label:<40} {seconds:7.1f} s  ({seconds / args.trials:.2f} s/trial)")
            print(f"  states {result.info.counts}; same accuracies as plain: {accs == plain_acc}")
            busy = sum(t.attrs.get("seconds", 0) for t in result.trials) / (
                args.concurrent * seconds
            )
            print(f"  workers busy in trials {busy:.0%} of the time (the rest: Ray, imports)")
    ray_s = times[True]
    print(
        f"ratio={ray_s / plain_s:.3f} plain_s={plain_s:.1f} autonn_s={ray_s:.1f} "
        f"noreuse_s={times.get(False, float('nan')):.1f}"
    )


if __name__ == "__main__":
    main()
