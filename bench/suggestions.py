"""Does the default sampler suggest the same trial twice when several run at once? No training.

For autonn's built-in `mlp` and `cnn` spaces, trials are asked in batches of C (2 and 8), each
sampled through `autonn.load_space(...).sample(trial)` before the next is asked, as autonn's
searcher asks for C concurrent trials; then the whole batch is told values from a synthetic
objective (so TPE leaves its startup phase and concentrates), and the next batch is asked.
Samplers compared (all multi-objective: maximise accuracy, minimise size, as a search's study):

    liar        TPE with constant_liar=True, seeded: what autonn.tune._study.sampler builds
    no-liar     TPE with constant_liar=False (Optuna 5.0 turned it on by default)
    liar+start  TPE with constant_liar=True and n_startup_trials=max(10, 2 * C)

Counted over N trials per run, summed over seeds:
    dup         a trial whose params equal those of another trial in its own batch
    near        a trial near another in its batch: the same set of params, all categorical params
                equal and every numeric one within 5% of its range (of log values where the
                distribution is log)
    near-any    a trial near any trial asked before it (its batch or told ones)

The last line is machine-readable: the near-duplicate rate within a batch of the default sampler
at C=8 and C=2, on each space.

    python bench/suggestions.py [--trials 200] [--seeds 3]
"""

from __future__ import annotations

import argparse
import math
import time

import optuna
from optuna.distributions import CategoricalDistribution

import autonn

NEAR = 0.05


def sampler(kind: str, seed: int, concurrency: int) -> optuna.samplers.BaseSampler:
    if kind == "liar":  # as autonn.tune._study.sampler builds it for "tpe"
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if kind == "no-liar":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=False)
    if kind == "liar+start":
        return optuna.samplers.TPESampler(
            seed=seed, constant_liar=True, n_startup_trials=max(10, 2 * concurrency)
        )
    raise ValueError(kind)


def position(value, dist) -> float:
    """Where a numeric value sits in its range, 0..1 (of log values for a log distribution)."""
    low, high = dist.low, dist.high
    if getattr(dist, "log", False):
        value, low, high = math.log(value), math.log(low), math.log(high)
    return 0.0 if high == low else (value - low) / (high - low)


def near(a: dict, b: dict, dists: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for name, va in a.items():
        dist = dists[name]
        if isinstance(dist, CategoricalDistribution):
            if va != b[name]:
                return False
        elif abs(position(va, dist) - position(b[name], dist)) > NEAR + 1e-12:
            return False
    return True


def synthetic(params: dict, dists: dict) -> tuple[float, float]:
    """A smooth made-up landscape: accuracy peaks at 30% of each numeric range and at each
    categorical's first choice; size grows with the numeric params' positions."""
    numeric = [position(v, dists[k]) for k, v in params.items()
               if not isinstance(dists[k], CategoricalDistribution)]  # fmt: skip
    categorical = [(v, dists[k]) for k, v in params.items()
                   if isinstance(dists[k], CategoricalDistribution)]  # fmt: skip
    misses = sum(1 for v, dist in categorical if v != dist.choices[0])
    accuracy = 1.0 - sum((u - 0.3) ** 2 for u in numeric) / max(len(numeric), 1) - 0.05 * misses
    size = 1000.0 * (1.0 + 10.0 * sum(numeric) / max(len(numeric), 1))
    return accuracy, size


def run(space_name: str, kind: str, concurrency: int, trials: int, seed: int) -> dict:
    space = autonn.load_space(space_name)
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=sampler(kind, seed, concurrency)
    )
    history: list[tuple[dict, dict]] = []
    dup = near_batch = near_any = 0
    start = time.perf_counter()
    while len(history) < trials:
        batch = []
        for _ in range(min(concurrency, trials - len(history))):
            trial = study.ask()
            space.sample(trial)
            params, dists = dict(trial.params), dict(trial.distributions)
            mates = [p for _, p, _ in batch]
            dup += any(params == p for p in mates)
            near_batch += any(near(params, p, dists) for p in mates)
            near_any += any(near(params, p, dists) for p in mates + [p for p, _ in history])
            batch.append((trial, params, dists))
        for trial, params, dists in batch:
            study.tell(trial, synthetic(params, dists))
            history.append((params, dists))
    return {"dup": dup, "near": near_batch, "near_any": near_any,
            "seconds": time.perf_counter() - start}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--spaces", default="mlp,cnn")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    total = args.trials * args.seeds
    print(f"{args.trials} trials x {args.seeds} seeds per row ({total} suggestions); "
          f"near = within {NEAR:.0%} of each numeric range, categoricals equal")  # fmt: skip
    print(f"{'space':<5} {'C':>2} {'sampler':<11} {'dup':>5} {'near':>5} {'near %':>7} "
          f"{'near-any':>8} {'s/run':>6}")  # fmt: skip
    rates = {}
    for space_name in args.spaces.split(","):
        for concurrency in (2, 8):
            for kind in ("liar", "no-liar", "liar+start"):
                runs = [
                    run(space_name, kind, concurrency, args.trials, s) for s in range(args.seeds)
                ]
                dup, nr, na = (sum(r[k] for r in runs) for k in ("dup", "near", "near_any"))
                secs = sum(r["seconds"] for r in runs) / len(runs)
                rates[(space_name, concurrency, kind)] = nr / total
                print(f"{space_name:<5} {concurrency:>2} {kind:<11} {dup:>5} {nr:>5} "
                      f"{nr / total:>7.1%} {na:>8} {secs:>6.1f}", flush=True)  # fmt: skip
    print(" ".join(
        f"near_rate_{s}_c{c}={rates[(s, c, 'liar')]:.4f}"
        for s in args.spaces.split(",") for c in (8, 2)
    ))  # fmt: skip


if __name__ == "__main__":
    main()
