"""The driver's bookkeeping per trial, storing a trial's attributes packed (today) or each on its
own (autonn 0.3.0), in one run.

No Ray and no training: the searcher is driven as Tune drives it (`suggest`, then
`on_trial_complete` with the final report of a measured trial: 25 attributes, as autonn.trial and
the trainable send them), on SQLite opened as a search opens it, with the default sampler
(multi-objective TPE, constant liar) over the built-in mlp space. The two layouts run on two
databases, one trial each in turn, so the machine's load falls on both alike. Each figure is the
median over the trials, in wall milliseconds (what Tune's loop waits) and CPU milliseconds.
The last line is machine-readable:
ratio=<packed / flat, median bookkeeping wall ms> packed_ms=<median> flat_ms=<median> trials=N

    python bench/bookkeeping.py [--trials 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import optuna

from autonn.space import load_space
from autonn.store import open_storage
from autonn.tune import _searcher
from autonn.tune._protocol import ATTRS, FINAL
from autonn.tune._searcher import AutonnSearcher
from autonn.tune._study import sampler

OBJECTIVES = ("accuracy", "size_bytes")
MEASURED = {
    "test_accuracy": 0.9, "size_bytes": 1234, "flash_bytes": 1234, "ram_bytes": 2048,
    "macs": 5000, "latency_ms": 0.02, "target": "onnx", "fp32_bytes": 4000, "family": "mlp",
    "n_params": 900, "n_params_trained": 900, "epochs": 3, "curve": [0.5, 0.8, 0.9],
    "accuracy_trained": 0.9, "best_epoch": 3, "accuracy_channel_pruned": None,
    "compression": {"prune": 0.0, "finetune_epochs": 0, "quantize": "fp32"},
    "train_seconds": 1.2, "seconds": 1.5, "artifacts": "/a/t0", "device": "cpu",
    "node_id": "c79992f142aee2879bf01f16",
}  # fmt: skip


def searcher(root: Path, name: str) -> AutonnSearcher:
    storage = open_storage(f"sqlite:///{root / name}.db", create=True)
    study = optuna.create_study(
        storage=storage, study_name=name, directions=["maximize", "minimize"]
    )
    return AutonnSearcher(
        load_space("mlp"),
        objectives=OBJECTIVES,
        sampler=sampler("tpe", 0, study),
        storage=storage,
        study_name=name,
        total=0,
    )


def one_trial(s: AutonnSearcher, number: int, flat: bool) -> tuple[float, float, float]:
    """(suggest wall s, store wall s, whole CPU s) of one trial."""
    result = {
        FINAL: True,
        "accuracy": 0.5 + (number % 40) / 100,
        "size_bytes": 1000.0 + 37 * (number % 50),
        ATTRS: json.dumps(MEASURED),
    }
    cpu, started = time.process_time(), time.perf_counter()
    s.suggest(str(number))
    asked = time.perf_counter()
    if flat:  # as autonn 0.3.0 stored them: every attribute on its own
        with mock.patch.object(_searcher, "pack_attrs", lambda attrs: attrs):
            s.on_trial_complete(str(number), result)
    else:
        s.on_trial_complete(str(number), result)
    return asked - started, time.perf_counter() - asked, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    times: dict[str, list[tuple[float, float, float]]] = {"packed": [], "flat": []}
    with tempfile.TemporaryDirectory() as tmp:
        searchers = {layout: searcher(Path(tmp), layout) for layout in times}
        for number in range(args.trials):
            for layout, s in searchers.items():
                times[layout].append(one_trial(s, number, flat=layout == "flat"))
    print(f"{args.trials} trials each, 2 cores, load {os.getloadavg()[0]:.1f}")
    median = {}
    for layout, rows in times.items():
        suggest, store, cpu = (statistics.median(col) * 1000 for col in zip(*rows, strict=True))
        median[layout] = statistics.median(a + b for a, b, _ in rows) * 1000
        print(
            f"{layout}: bookkeeping {median[layout]:.1f} ms a trial (suggest {suggest:.1f} ms, "
            f"store {store:.1f} ms), CPU {cpu:.1f} ms"
        )
    ratio = median["packed"] / median["flat"]
    print(
        f"ratio={ratio:.3f} packed_ms={median['packed']:.1f} flat_ms={median['flat']:.1f} "
        f"trials={args.trials}"
    )


if __name__ == "__main__":
    main()
