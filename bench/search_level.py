"""Does searching compression pay at the level of a whole search? Two searches on digits with the
same trial budget, space, sampler and seed: the built-in CNN space with its compression
dimensions (pruning, fine-tuning, number format) and the same space without them (fp32).

Figure (issue 3): the smallest model on the compressed search's front within 1 point of the best
accuracy, against the most accurate fp32 model; target: at least 4x fewer bytes. "Best accuracy"
is taken two ways and both are printed: the best of the compressed front itself (the issue's
wording, "a Pareto front whose smallest model within 1 point of the best accuracy"), and the best
of the fp32 search (stricter). The last line is machine-readable:
ratio=<fp32 best-model bytes / compressed small-model bytes> strict_ratio=<the same, stricter>
(target >= 4; 0 where no compressed model qualifies).

    python bench/search_level.py [--trials 30] [--epochs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import autonn


def run(space: str, name: str, trials: int, epochs: int, root: str) -> autonn.Search:
    start = time.perf_counter()
    result = autonn.search(
        autonn.SearchConfig(
            space=space, data="digits", name=name, trials=trials, max_epochs=epochs, seed=0
        ),
        autonn.RunConfig(storage=f"sqlite:///{root}/bench.db", artifacts=f"{root}/art"),
    )
    took = time.perf_counter() - start
    print(f"\n{name}: {trials} trials in {took:.0f} s; {result.info.counts}; front:")
    for t in result.pareto:
        c = t.attrs["compression"]
        print(
            f"  trial {t.number:3d}  val {t.accuracy:.4f}  test {t.test_accuracy:.4f}  "
            f"{int(t.size_bytes):7d} B  prune {c['prune']:.2f}  {c['quantize']}"
        )
    return result


def smallest_within(front, best: float, points: float = 0.01):
    ok = [t for t in front if t.accuracy >= best - points]
    return min(ok, key=lambda t: t.size_bytes) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as root:
        fp32 = run("autonn.spaces.cnn:uncompressed", "fp32", args.trials, args.epochs, root)
        comp = run("autonn.spaces.cnn:space", "compressed", args.trials, args.epochs, root)
    best_fp32 = max(fp32.pareto, key=lambda t: t.accuracy)
    print(
        f"\nmost accurate fp32 model: trial {best_fp32.number}, val {best_fp32.accuracy:.4f}, "
        f"{int(best_fp32.size_bytes)} B"
    )
    ratios = {}
    for label, best in (
        ("within 1 pt of the fp32 best", best_fp32.accuracy),
        ("within 1 pt of the compressed best", max(t.accuracy for t in comp.pareto)),
    ):
        small = smallest_within(comp.pareto, best)
        if small is None:
            print(f"{label}: no compressed model qualifies")
            ratios[label] = 0.0
            continue
        ratios[label] = best_fp32.size_bytes / small.size_bytes
        print(
            f"{label} ({best:.4f}): trial {small.number}, val {small.accuracy:.4f}, "
            f"{int(small.size_bytes)} B -> {ratios[label]:.2f}x smaller than the fp32 best"
        )
    strict, own = ratios.values()
    print(f"ratio={own:.2f} strict_ratio={strict:.2f} target=4")


if __name__ == "__main__":
    main()
