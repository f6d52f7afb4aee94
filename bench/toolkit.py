"""Does each technique of the compression toolkit improve the front? Same budget, with and without.

Variants, each a real `autonn search` (its own process and local Ray, 2 trials at once, MO-ASHA,
TPE) of the built-in `mlp` space with the same trial count, epochs and seed:

    baseline    the `mlp` space: architecture, training, pruning, number format
    low_rank    + `rank_ratio` (suggest_compression(low_rank=True)): SVD factorisation
    distill     + `distill_alpha`, `distill_temperature` (distill=True); the teacher is the
                search's most accurate complete trial when the student starts
    warm_start  the `mlp` space, started with --warm-start from the baseline search of the same
                seed on the *other* data set (the same space on new data)

Figures per search, from its COMPLETE trials:
    hv          hypervolume of (validation error, log10 size_bytes) against the fixed reference
                point of bench/hypervolume.py (error 1.0, the largest fp32 mlp + 0.5 decades)
    small       the smallest model within 1 point of the best validation accuracy: its bytes
                and its test accuracy
    seconds     the search's wall time

The table gives the median over seeds and each variant's ratio to the baseline's median.

    python bench/toolkit.py [--data digits breast_cancer] [--seeds 3] [--trials 16] [--epochs 10]

The last line is machine-readable: `ratio=<low_rank hv / baseline hv, median over data sets and
seeds> distill=<...> warm_start=<...>`.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("baseline", "low_rank", "distill", "warm_start")
SPACES = {
    "baseline": "mlp",
    "low_rank": f"{Path(__file__).resolve()}:low_rank",
    "distill": f"{Path(__file__).resolve()}:distill",
    "warm_start": "mlp",
}


# --- the spaces (this file is loaded as a space file by the searches) -----------------------------


def low_rank(trial):
    from autonn.spaces.mlp import _mlp

    return _mlp(trial, compressed=True, low_rank=True)


def distill(trial):
    from autonn.spaces.mlp import _mlp

    return _mlp(trial, compressed=True, distill=True)


# --- running ------------------------------------------------------------------------------------


def run(variant: str, data: str, other: str, seed: int, args, root: Path) -> dict:
    name = f"{variant}-{data}-{seed}"
    cmd = [sys.executable, "-m", "autonn.cli", "search", SPACES[variant], "--data", data,
           "--name", name, "--trials", str(args.trials), "--max-epochs", str(args.epochs),
           "--seed", str(seed), "--storage", args.storage, "--max-concurrent", "2",
           "--artifacts", str(root / "artifacts")]  # fmt: skip
    if variant == "warm_start":
        cmd += ["--warm-start", f"baseline-{other}-{seed}"]
    started = time.perf_counter()
    with open(root / f"{name}.log", "w") as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    return {"variant": variant, "data": data, "seed": seed, "seconds": seconds,
            **figures(name, data, args.storage)}  # fmt: skip


def figures(name: str, data: str, storage: str) -> dict:
    from hypervolume import hypervolume, reference_point

    import autonn

    search = autonn.load_search(name, storage)
    done = [t for t in search.trials if t.state == "COMPLETE"]
    ref = reference_point(data)[:2]
    hv = hypervolume([(1 - t.accuracy, math.log10(t.size_bytes)) for t in done], ref)
    best = max(t.accuracy for t in done)
    small = min((t for t in done if t.accuracy >= best - 0.01), key=lambda t: t.size_bytes)
    return {
        "hv": hv,
        "complete": len(done),
        "best_val": best,
        "small_bytes": int(small.size_bytes),
        "small_test": small.test_accuracy,
        "small_trial": small.number,
        "teachers": sorted({str(t.attrs.get("teacher")) for t in done if "teacher" in t.attrs}),
    }


# --- report -------------------------------------------------------------------------------------


def table(runs: list[dict], datasets: list[str]) -> tuple[str, dict[str, float]]:
    lines = [
        "| data | variant | hv (median) | hv / baseline | smallest within 1 pt: bytes | its test "
        "accuracy | complete trials | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios: dict[str, list[float]] = {v: [] for v in VARIANTS[1:]}
    for data in datasets:
        med = {}
        for variant in VARIANTS:
            rs = [r for r in runs if r["data"] == data and r["variant"] == variant]
            if not rs:
                continue
            keys = ("hv", "small_bytes", "small_test", "complete", "seconds")
            med[variant] = {k: statistics.median(r[k] for r in rs) for k in keys}
        for variant, m in med.items():
            ratio = m["hv"] / med["baseline"]["hv"]
            if variant != "baseline":
                ratios[variant].append(ratio)
            lines.append(
                f"| {data} | {variant} | {m['hv']:.3f} | {ratio:.3f} | {m['small_bytes']:.0f} | "
                f"{m['small_test']:.3f} | {m['complete']:.0f} | {m['seconds']:.0f} |"
            )
    return "\n".join(lines), {v: statistics.median(r) for v, r in ratios.items() if r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs=2, default=["digits", "breast_cancer"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--json", help="also write every run's figures here")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `hypervolume`
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, "
          f"python {platform.python_version()}; {args.trials} trials x {args.epochs} epochs, "
          f"seeds 0..{args.seeds - 1}", flush=True)  # fmt: skip
    runs = []
    with tempfile.TemporaryDirectory(prefix="autonn-toolkit-") as tmp:
        root = Path(tmp)
        args.storage = f"sqlite:///{root}/toolkit.db"
        for seed in range(args.seeds):
            # Baselines first: each data set's warm start reads the other's.
            for variant in VARIANTS:
                for data, other in (args.data, args.data[::-1]):
                    runs.append(run(variant, data, other, seed, args, root))
                    r = runs[-1]
                    print(f"{variant:>10} {data:>13} seed {seed}: hv {r['hv']:.3f}, smallest "
                          f"within 1 pt {r['small_bytes']} B (test {r['small_test']:.3f}), "
                          f"{r['complete']} complete, {r['seconds']:.0f} s",
                          flush=True)  # fmt: skip
    text, ratios = table(runs, args.data)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    print(f"ratio={ratios['low_rank']:.3f} distill={ratios['distill']:.3f} "
          f"warm_start={ratios['warm_start']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
