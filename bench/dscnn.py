"""dscnn against cnn on digits: two searches with the same budget (trials, epoch budget, sampler,
seed, early stopping), each with its own built-in space, compression dimensions included.

Figure (issue 8): the hypervolume of each search's Pareto front of validation accuracy (up)
against deployed size (down, log10 bytes, since sizes span orders of magnitude), with one
reference point for both: accuracy 0 and twice the largest artifact either search produced. The
last line is machine-readable:
ratio=<dscnn hypervolume / cnn hypervolume> dscnn_hv=... cnn_hv=... plus, for each search, its
smallest front model within 1 point of its own best accuracy (bytes) and its best test accuracy.

    python bench/dscnn.py [--trials 20] [--epochs 10]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import tempfile
import time

import autonn


def run(space: str, trials: int, epochs: int, root: str) -> autonn.Search:
    start = time.perf_counter()
    result = autonn.search(
        autonn.SearchConfig(
            space=space, data="digits", name=space, trials=trials, max_epochs=epochs, seed=0
        ),
        autonn.RunConfig(storage=f"sqlite:///{root}/bench.db", artifacts=f"{root}/art"),
    )
    took = time.perf_counter() - start
    print(f"\n{space}: {trials} trials in {took:.0f} s; {result.info.counts}; front:")
    for t in sorted(result.pareto, key=lambda t: t.size_bytes):
        c = t.attrs["compression"]
        print(
            f"  trial {t.number:3d}  val {t.accuracy:.4f}  test {t.test_accuracy:.4f}  "
            f"{int(t.size_bytes):7d} B  params {t.attrs['n_params']:6d}  prune {c['prune']:.2f}  "
            f"{c['quantize']:12s} {_arch(t.params)}"
        )
    return result


def _arch(params: dict) -> str:
    skip = {"lr", "batch_size", "weight_decay", "optimizer", "prune", "finetune_epochs", "quantize"}
    return " ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
        for k, v in params.items()
        if k not in skip
    )


def hypervolume(points: list[tuple[float, float]], ref: tuple[float, float]) -> float:
    """Area dominated by (accuracy, log10 bytes) points, accuracy up and size down, to `ref`."""
    area, best = 0.0, ref[0]
    for acc, size in sorted(points, key=lambda p: p[1]):  # smallest first
        if acc > best and size < ref[1]:
            area += (acc - best) * (ref[1] - size)
            best = acc
    return area


def smallest_within(front, points: float = 0.01):
    best = max(t.accuracy for t in front)
    return min((t for t in front if t.accuracy >= best - points), key=lambda t: t.size_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"budget per search: {args.trials} trials, {args.epochs} epochs, seed 0, tpe, ASHA")
    with tempfile.TemporaryDirectory() as root:
        results = {s: run(s, args.trials, args.epochs, root) for s in ("dscnn", "cnn")}
    largest = max(t.size_bytes for r in results.values() for t in r.trials if t.state == "COMPLETE")
    ref = (0.0, math.log10(2 * largest))
    hv = {
        s: hypervolume([(t.accuracy, math.log10(t.size_bytes)) for t in r.pareto], ref)
        for s, r in results.items()
    }
    print(f"\nreference point: accuracy 0, {2 * largest:.0f} B (log10 {ref[1]:.4f})")
    fields = [f"ratio={hv['dscnn'] / hv['cnn']:.4f}"]
    for s, r in results.items():
        small = smallest_within(r.pareto)
        best_test = max(t.test_accuracy for t in r.pareto)
        print(
            f"{s}: hypervolume {hv[s]:.4f}; front {len(r.pareto)} trials; smallest within 1 pt "
            f"of its best: trial {small.number}, {int(small.size_bytes)} B, val "
            f"{small.accuracy:.4f}; best front test accuracy {best_test:.4f}"
        )
        fields += [
            f"{s}_hv={hv[s]:.4f}",
            f"{s}_small_bytes={int(small.size_bytes)}",
            f"{s}_best_test={best_test:.4f}",
        ]
    print(" ".join(fields))


if __name__ == "__main__":
    main()
