"""What does a GPU buy a search, and how many trials should share it? Trials per hour, measured.

The same search (the built-in `cnn` space, random sampler, one seed, so the same params in the
same order; early stopping off, so the same work) runs on one local Ray several ways:

    gpu 1, 0.5, 0.25   --gpus-per-trial at that share: 1, 2 and 4 trials on each GPU at once
    cpu                --gpus-per-trial 0, the machine's cores shared out between trials

on two data sets: digits (1x8x8, 1,797 samples) and a larger synthetic image set (3x32x32,
--images samples, 10 classes: a fixed random template per class plus noise, so it can be learnt).

Figures per run: trials per hour (COMPLETE and FAILED trials over the search's wall time, Ray
already started), the share of trials that completed, the precision the trials trained in, and
for GPU runs the mean GPU utilisation and peak memory, sampled from nvidia-smi every 0.5 s.

    python bench/gpu.py [--trials 16] [--cpu-trials 8] [--epochs 3] [--images 20000]
                        [--precision auto]

Without a CUDA device it prints one line saying so and measures nothing. The last line is
machine-readable: `ratio=<best GPU trials/hour / CPU trials/hour on the image set> best=<share>
digits=<the same ratio on digits>`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

PACKINGS = (1.0, 0.5, 0.25)
SEED = 0


def synthetic_images(path: Path, n: int, classes: int = 10) -> str:
    """An uncompressed .npz of n 3x32x32 images: each class a random template, plus noise."""
    rng = np.random.default_rng(SEED)
    templates = rng.normal(size=(classes, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    x = templates[y] + rng.normal(scale=2.0, size=(n, 3, 32, 32)).astype(np.float32)
    np.savez(path, x=x.astype(np.float32), y=y.astype(np.int64))
    return str(path)


class GpuSampler:
    """nvidia-smi's utilisation and memory of every GPU, every `every` seconds, in a thread."""

    def __init__(self, every: float = 0.5) -> None:
        self.every, self.util, self.memory = every, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> GpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        query = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used",
                 "--format=csv,noheader,nounits"]  # fmt: skip
        while not self._stop.wait(self.every):
            try:
                out = subprocess.run(query, capture_output=True, text=True, timeout=5).stdout
            except (OSError, subprocess.TimeoutExpired):
                return  # no nvidia-smi: the figures say n/a
            for line in out.strip().splitlines():
                util, mem = (float(v) for v in line.split(","))
                self.util.append(util)
                self.memory.append(mem)

    def summary(self) -> str:
        if not self.util:
            return "GPU util n/a"
        return f"GPU util {np.mean(self.util):4.0f}%  peak memory {max(self.memory):6.0f} MiB"


def run(data: str, share: float, trials: int, epochs: int, precision: str, root: Path) -> dict:
    """One search; its trials per hour and what its trials say."""
    import autonn

    gpus, cores = _gpus(), os.cpu_count() or 1
    at_once = int(gpus / share) if share else max(1, cores // 2)
    name = f"gpu-{Path(data).stem}-{share:g}"
    config = autonn.SearchConfig(
        space="cnn", data=data, name=name, trials=trials, max_epochs=epochs, sampler="random",
        seed=SEED, early_stop=False, precision=precision, folds=0,  # one training per trial
    )  # fmt: skip
    run_config = autonn.RunConfig(
        storage=f"sqlite:///{root}/bench.db", artifacts=str(root / "art"), max_concurrent=at_once,
        gpus_per_trial=share, cpus_per_trial=max(1, cores // at_once),
    )  # fmt: skip
    with GpuSampler() as gpu:
        start = time.perf_counter()
        result = autonn.search(config, run_config)
        seconds = time.perf_counter() - start
    done = [t for t in result.trials if t.state in ("COMPLETE", "FAIL")]
    used = sorted({str(t.attrs.get("precision")) for t in result.trials})
    return {
        "per_hour": len(done) / seconds * 3600,
        "seconds": seconds,
        "complete": sum(t.state == "COMPLETE" for t in result.trials) / len(result.trials),
        "at_once": at_once,
        "precision": ",".join(used),
        "gpu": gpu.summary() if share else "",
    }


def _gpus() -> int:
    import torch

    return torch.cuda.device_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=16, help="trials per GPU search")
    parser.add_argument("--cpu-trials", type=int, default=8, help="trials per CPU search")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=20000, help="samples in the image set")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16"))
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print(f"skip: no CUDA device here (torch {torch.__version__}); bench/gpu.py measures "
              "nothing without one")  # fmt: skip
        return
    import ray

    names = ", ".join(torch.cuda.get_device_name(i) for i in range(_gpus()))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {names}")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, precision {args.precision}")
    ray.init(num_gpus=_gpus(), include_dashboard=False, log_to_driver=False)  # once, not timed
    ratios: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sets = {"digits": "digits", "images": synthetic_images(root / "images.npz", args.images)}
        for label, data in sets.items():
            print(f"\n{label}: cnn space, {args.epochs} epochs, random sampler, seed {SEED}")
            cpu = run(data, 0.0, args.cpu_trials, args.epochs, args.precision, root)
            _show("cpu", cpu)
            best = (0.0, 0.0)
            for share in PACKINGS:
                figures = run(data, share, args.trials, args.epochs, args.precision, root)
                _show(f"gpu {share:g}", figures)
                best = max(best, (figures["per_hour"] / cpu["per_hour"], share))
            ratios[label] = best
    ratio, share = ratios["images"]
    print(f"ratio={ratio:.2f} best={share:g} digits={ratios['digits'][0]:.2f}")


def _show(label: str, f: dict) -> None:
    print(
        f"  {label:<9} {f['per_hour']:8.0f} trials/h  {f['seconds']:6.1f} s  {f['at_once']:2d} "
        f"at once  complete {f['complete']:.0%}  {f['precision']:<5} {f['gpu']}"
    )


if __name__ == "__main__":
    main()
