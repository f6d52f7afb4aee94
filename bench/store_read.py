"""How long does `load_search` take on a large search? Target: 10,000 trials in at most 1 s.

Writes a SQLite database of N finished trials straight through Optuna (`study.add_trials`, no
training): the params of the built-in mlp space, two objectives, and the user attributes that
`autonn search` stores for a measured trial, in today's layout (headline measurements on their
own, the rest as one JSON attribute) or with `--flat` each on its own, as autonn 0.3.0 stored
them. Then times, in this process, `autonn.load_search` (autonn's one read path) and Optuna's own
reading of the same trials (`optuna.load_study(...).trials`), each the median of --repeat runs
after one warm-up, in CPU seconds (the cost on an idle core) and wall seconds. The last line is
machine-readable: ratio=<load_search CPU s / Optuna's CPU s> load_search_cpu_s=<median> trials=N.

    python bench/store_read.py [--trials 10000] [--repeat 3] [--flat] [--db PATH]

(--db: a SQLite file kept between runs; a run adds the trials it lacks.)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

import autonn
from autonn.store import CONFIG_ATTR, open_storage, pack_attrs

NAME = "big"
DISTRIBUTIONS = {
    "depth": IntDistribution(1, 3),
    "width_0": IntDistribution(8, 256, log=True),
    "width_1": IntDistribution(8, 256, log=True),
    "width_2": IntDistribution(8, 256, log=True),
    "activation": CategoricalDistribution(["relu", "gelu", "silu"]),
    "dropout": FloatDistribution(0.0, 0.5),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "batch_size": CategoricalDistribution([16, 32, 64, 128]),
    "weight_decay": FloatDistribution(1e-6, 1e-2, log=True),
    "prune": FloatDistribution(0.0, 0.7, step=0.1),
    "quantize": CategoricalDistribution(["fp32", "fp16", "int8-dynamic", "int8-static"]),
}


def _draw(rng: random.Random, d):
    if isinstance(d, CategoricalDistribution):
        return rng.choice(d.choices)
    if isinstance(d, IntDistribution):
        return rng.randint(d.low, d.high)
    if d.step:
        return round(d.low + d.step * rng.randint(0, round((d.high - d.low) / d.step)), 6)
    return rng.uniform(d.low, d.high)


def _trial(rng: random.Random, number: int, flat: bool):
    params = {name: _draw(rng, d) for name, d in DISTRIBUTIONS.items()}
    size = rng.randint(2_000, 200_000)
    accuracy = rng.uniform(0.5, 0.99)
    attrs = {
        "test_accuracy": accuracy - 0.01, "size_bytes": size, "flash_bytes": size,
        "ram_bytes": rng.randint(1_000, 60_000), "macs": rng.randint(10_000, 10_000_000),
        "latency_ms": rng.uniform(0.01, 2.0), "target": "onnx", "fp32_bytes": size * 4,
        "family": "mlp", "n_params": size // 4, "n_params_trained": size // 4, "epochs": 10,
        "curve": [round(accuracy * (1 - 0.5**e), 4) for e in range(1, 11)],
        "accuracy_trained": accuracy, "best_epoch": 10, "accuracy_channel_pruned": None,
        "compression": {"prune": params["prune"], "finetune_epochs": 0,
                        "quantize": params["quantize"]},
        "train_seconds": 3.2, "seconds": 4.1, "artifacts": f"/art/big/trial_{number:05d}",
        "device": "cpu", "node_id": "c79992f142aee2879bf01f16", "ray_trial_id": "887b853f",
        "node": "10.0.0.1", "broken_limits": {},
    }  # fmt: skip
    return create_trial(
        state=TrialState.COMPLETE,
        values=[accuracy, float(size)],
        params=params,
        distributions=DISTRIBUTIONS,
        user_attrs=attrs if flat else pack_attrs(attrs),
    )


def build(url: str, trials: int, flat: bool) -> int:
    """Write the search, or add to one an earlier run left short; the number of trials added."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=open_storage(url, create=True),
        study_name=NAME,
        directions=["maximize", "minimize"],
        load_if_exists=True,
    )
    study.set_user_attr(CONFIG_ATTR, {"objectives": ["accuracy", "size_bytes"], "space": "mlp"})
    have = sum(next(i for i in autonn.list_searches(url) if i.name == NAME).counts.values())
    rng = random.Random(have)
    study.add_trials([_trial(rng, n, flat) for n in range(have, trials)])  # a commit each
    return max(trials - have, 0)


def timed(read, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `read()`. SQLite runs in this process, so its CPU time is
    the whole cost of a read on an idle core; the wall time also holds the waits for a core that
    other processes took (on a shared machine, most of it)."""
    read()  # warm-up: imports, the engine's first connection
    wall, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        read()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--flat", action="store_true", help="each attribute on its own (0.3.0)")
    parser.add_argument("--db", help="keep the database in this SQLite file, between runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db or Path(tmp) / "big.db")
        url = f"sqlite:///{path}"
        started = time.perf_counter()
        added = build(url, args.trials, args.flat)
        print(f"wrote {added} trials in {time.perf_counter() - started:.1f} s")
        mine = timed(lambda: autonn.load_search(NAME, url), args.repeat)
        storage = open_storage(url)
        theirs = timed(lambda: optuna.load_study(study_name=NAME, storage=storage).trials, 1)
        n = len(autonn.load_search(NAME, url).trials)
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {load:.1f}, Python "
          f"{platform.python_version()}; layout {'flat' if args.flat else 'packed'}")  # fmt: skip
    for who, (wall, cpu) in (("load_search", mine), ("Optuna's own reading", theirs)):
        print(f"{who}: {cpu:.3f} s CPU, {wall:.3f} s wall, {n} trials")
    print(f"ratio={mine[1] / theirs[1]:.3f} load_search_cpu_s={mine[1]:.3f} trials={n}")


if __name__ == "__main__":
    main()
