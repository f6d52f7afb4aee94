"""How long does `load_search` take on a large search? Target: 10,000 trials in at most 1 s.

Writes a SQLite database of N finished trials straight through Optuna (`study.add_trials`, no
training): the params of the built-in mlp space, two objectives, and the user attributes that
`autonn search` stores for a measured trial, in today's layout (headline measurements on their
own, the rest as one JSON attribute) or with `--flat` each on its own, as autonn 0.3.0 stored
them. Then times, in this process, `autonn.load_search` (autonn's one read path) and Optuna's own
reading of the same trials (`optuna.load_study(...).trials`), each the median of --repeat runs
after one warm-up. The last line is machine-readable:
ratio=<load_search seconds / Optuna's seconds> load_search_s=<median> trials=<N>.

    python bench/store_read.py [--trials 10000] [--repeat 3] [--flat] [--db PATH]
"""

from __future__ import annotations

import argparse
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


def build(url: str, trials: int, flat: bool) -> float:
    started = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=open_storage(url, create=True),
        study_name=NAME,
        directions=["maximize", "minimize"],
    )
    study.set_user_attr(CONFIG_ATTR, {"objectives": ["accuracy", "size_bytes"], "space": "mlp"})
    rng = random.Random(0)
    study.add_trials([_trial(rng, n, flat) for n in range(trials)])
    return time.perf_counter() - started


def timed(read, repeat: int) -> float:
    read()  # warm-up: imports, the engine's first connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--flat", action="store_true", help="each attribute on its own (0.3.0)")
    parser.add_argument("--db", help="reuse or create this SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db or Path(tmp) / "big.db")
        url = f"sqlite:///{path}"
        if not path.exists():
            print(f"wrote {args.trials} trials in {build(url, args.trials, args.flat):.1f} s")
        mine = timed(lambda: autonn.load_search(NAME, url), args.repeat)
        storage = open_storage(url)
        theirs = timed(lambda: optuna.load_study(study_name=NAME, storage=storage).trials, 1)
        n = len(autonn.load_search(NAME, url).trials)
    print(f"machine: {platform.machine()}, {platform.python_version()}, layout "
          f"{'flat' if args.flat else 'packed'}")  # fmt: skip
    print(f"load_search: {mine:.3f} s for {n} trials; Optuna's own reading: {theirs:.3f} s")
    print(f"ratio={mine / theirs:.3f} load_search_s={mine:.3f} trials={n}")


if __name__ == "__main__":
    main()
