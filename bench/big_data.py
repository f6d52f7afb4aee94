"""How much memory does the driver of a search need for a big data set?

Writes a 1 GiB float32 data set as an uncompressed .npz (arrays x and y) in a temporary folder,
then runs a one-trial, one-epoch search of the mlp space on it in a fresh process, its own local
Ray included, and reads that driver process's peak resident memory (ru_maxrss of the process
itself: Ray's workers, raylet and object store are other processes and are not counted; the
object store's shared pages that the driver writes into are). The target is 2.5 GiB.

The last line: ratio=<driver peak RSS / data set bytes>.

    python bench/big_data.py [--gib 1.0] [--features 1024]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

GIB = 1 << 30

# Run in the child: the driver as a user's script would be, then its own peak RSS (KiB on Linux).
DRIVER = """
import resource, sys
import autonn
data, root = sys.argv[1], sys.argv[2]
autonn.search(
    autonn.SearchConfig(space="mlp", data=data, trials=1, max_epochs=1, name="big", seed=0),
    autonn.RunConfig(storage=f"sqlite:///{root}/big.db", artifacts=f"{root}/artifacts",
                     max_concurrent=1),
)
print("driver_maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_npz(path: Path, rows: int, features: int) -> int:
    """An uncompressed .npz with x (rows, features) float32 and y (rows,) int64, written in
    blocks so that this process never holds the whole array either. Returns x's bytes."""
    rng = np.random.default_rng(0)
    y = np.arange(rows, dtype=np.int64) % 2
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
              "fortran_order": False, "shape": (rows, features)}  # fmt: skip
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_2_0(f, header)
            block = 8192
            for start in range(0, rows, block):
                n = min(block, rows - start)
                x = rng.normal(size=(n, features)).astype(np.float32)
                x[:, 0] += 2.0 * y[start : start + n]  # a learnable signal in one feature
                f.write(x.tobytes())
        with zf.open("y.npy", "w") as f:
            np.lib.format.write_array(f, y)
    return rows * features * 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of x in GiB")
    parser.add_argument("--features", type=int, default=1024)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    rows = int(args.gib * GIB) // (4 * args.features)
    with tempfile.TemporaryDirectory(prefix="autonn-big-") as tmp:
        root = Path(tmp)
        data = root / "big.npz"
        started = time.perf_counter()
        size = write_npz(data, rows, args.features)
        print(f"data: x {rows} x {args.features} float32 = {size / GIB:.2f} GiB, "
              f"{data.stat().st_size / GIB:.2f} GiB on disk, "
              f"written in {time.perf_counter() - started:.0f} s")  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(data), str(root)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            sys.exit(f"the search failed ({done.returncode}):\n{done.stderr[-3000:]}")
        kib = next(
            int(line.split()[1])
            for line in done.stdout.splitlines()
            if line.startswith("driver_maxrss_kib")
        )
        peak = kib * 1024
        print(f"one-trial, one-epoch search: {time.perf_counter() - started:.0f} s")
        print(f"driver peak RSS: {peak / GIB:.2f} GiB (target <= 2.5 GiB)")
    print(f"peak_rss_gib={peak / GIB:.2f} data_gib={size / GIB:.2f} ratio={peak / size:.2f}")


if __name__ == "__main__":
    main()
