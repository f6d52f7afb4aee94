"""How long until a search's first trial is done, when each search starts its own Ray, and when
it joins a Ray that is already running?

Both kinds of search run in turn, `--rounds` times, the same small digits search (mlp, 10
epochs, 4 trials, 2 at once, one seed a round). Each is timed from its process start as a user
meets it (imports, loading the data, Ray and its worker processes) to its first COMPLETE trial's
stored finish time, and to the first trial Optuna was asked for.

    local    `autonn search ...`: a Ray of the search's own, started and stopped with it
    running  `autonn search ... --address ADDR`: one Ray head started with `ray start` before
             the rounds (token auth, all CPUs), as on a cluster or a workstation kept warm

The last line: ratio=<median first trial, running / median first trial, local>.

    python bench/startup.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from hypervolume import running_ray  # bench/ is the script's folder, so on sys.path


def first_trial(address: str | None, seed: int, root: Path) -> tuple[float, float, float]:
    """(first trial asked, first trial complete, process exit): seconds from the start."""
    db = root / f"{'running' if address else 'local'}-{seed}.db"
    cmd = ["autonn", "search", "mlp", "--data", "digits", "--trials", "4", "--max-epochs", "10",
           "--max-concurrent", "2", "--storage", f"sqlite:///{db}", "--name", "startup",
           "--artifacts", str(root / f"art-{db.stem}"), "--seed", str(seed)]  # fmt: skip
    cmd += ["--address", address] if address else []
    zero = datetime.now()
    t = time.perf_counter()
    env = {**os.environ, "RAY_AUTH_MODE": "token"} if address else None
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    total = time.perf_counter() - t
    with sqlite3.connect(db) as conn:
        asked, done = conn.execute(
            "select (select min(datetime_start) from trials), "
            "(select min(datetime_complete) from trials where state = 'COMPLETE')"
        ).fetchone()
    since = lambda stamp: (datetime.fromisoformat(stamp) - zero).total_seconds()  # noqa: E731
    return since(asked), since(done), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    done: dict[str, list[float]] = {"local": [], "running": []}
    with tempfile.TemporaryDirectory() as tmp, running_ray(True) as address:
        for seed in range(args.rounds):
            for kind, where in (("local", None), ("running", address)):
                asked, first, total = first_trial(where, seed, Path(tmp))
                done[kind].append(first)
                print(f"  round {seed} {kind:<7}  first trial asked {asked:5.1f} s, complete "
                      f"{first:5.1f} s; process exited at {total:5.1f} s", flush=True)  # fmt: skip
    local, running = (statistics.median(done[k]) for k in ("local", "running"))
    print(
        f"median first complete trial: local Ray {local:.1f} s, Ray already running {running:.1f} s"
    )
    print(f"ratio={running / local:.3f}")


if __name__ == "__main__":
    sys.exit(main())
