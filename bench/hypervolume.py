"""Which method reaches a good accuracy-vs-size front soonest? Five methods, equal wall time.

Methods, each run as its own process and timed from its start as a user meets it (imports,
loading the data and, for autonn, starting the local Ray included):

    random   autonn search, sampler="random", scheduler fifo, 2 trials at once
    plain    a plain sequential Optuna multi-objective TPE loop calling autonn's trial pipeline
             in-process (autonn.trial.run_trial, one torch thread, as bench/overhead.py's loop):
             the baseline a user would write
    fifo     autonn search, TPE (the default sampler), no early stopping, 2 at once
    asha     autonn search, TPE, early stopping on accuracy alone, 2 at once
    moasha   autonn search, TPE, early stopping on accuracy and size (the default), 2 at once

An autonn search runs with a large `trials` count and gets SIGINT at the budget: autonn stores
every finished trial and exits 130. The plain loop stops asking for trials at the budget. Only
trials that finished COMPLETE before the budget count (PRUNED trials have no final values).

The figure: the hypervolume of (validation error = 1 - accuracy, log10 size_bytes), both
minimised, of the complete trials finished by time t, against a fixed reference point: error 1.0
and log10 of the largest fp32 model the `mlp` space can build on that data (4 bytes a
parameter) + 0.5. It is read at every 10% of the budget; the table shows the median over seeds.

The last line is machine-readable:
    speedup=<time for random search to reach its final median hypervolume /
             time for moasha's median hypervolume to reach that value>
When moasha's median never reaches it within the budget, the line gives the upper bound
t_random / budget and `moasha_reached=0`.

--ray running: the autonn methods join one Ray head started before the runs with `ray start`
(token auth, all this machine's CPUs), as on a cluster where Ray is already up, instead of each
starting a local Ray of its own. The plain loop is unchanged. Ray's start is then outside every
budget; each search still starts its own worker processes.

    python bench/hypervolume.py [--data digits] [--budget 60] [--seeds 3] [--epochs 10]
                                [--ray local|running] [--methods plain,moasha,...]
                                [--json out.json] [--png docs/hypervolume.png]

--png needs matplotlib: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from autonn.pareto import hypervolume  # bench/toolkit.py imports it from here too

METHODS = ("random", "plain", "fifo", "asha", "moasha")
ROOT = Path(__file__).resolve().parent.parent
GRACE_S = 60  # how long a process may take to stop after SIGINT before it is killed


# --- hypervolume -------------------------------------------------------------------------------


def curve(trials: list[dict], ref, times: list[float]) -> list[float]:
    """Hypervolume of the trials finished by each time."""
    return [
        hypervolume([(t["error"], t["log_size"]) for t in trials if t["t"] <= at], ref)
        for at in times
    ]


def reference_point(data: str) -> tuple[float, float, int]:
    """Error 1.0; log10 of the largest fp32 mlp in the built-in space (3 x 256 wide) + 0.5."""
    import autonn

    d = autonn.load_dataset(data, seed=0)
    inputs = int(math.prod(d.x_train.shape[1:]))
    widths = [inputs, 256, 256, 256, d.n_outputs]
    params = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    return 1.0, math.log10(4 * params) + 0.5, params


# --- the methods -------------------------------------------------------------------------------


def run_method(
    method: str, data: str, seed: int, budget: float, epochs: int, root: Path, address: str | None
) -> dict:
    """Run one method for `budget` seconds in its own process; its finished trials, timed."""
    storage = f"sqlite:///{root}/{method}-{seed}.db"
    name = f"hv-{method}-{seed}"
    if method == "plain":
        cmd = [sys.executable, __file__, "--plain-worker", "--data", data, "--seed", str(seed),
               "--budget", str(budget), "--epochs", str(epochs), "--storage", storage]  # fmt: skip
    else:
        sampler, scheduler = ("random", "fifo") if method == "random" else ("tpe", method)
        cmd = [sys.executable, "-c", "import sys; from autonn.cli import main; sys.exit(main())",
               "search", "mlp", "--data", data, "--name", name, "--trials", "100000",
               "--max-epochs", str(epochs), "--sampler", sampler, "--scheduler", scheduler,
               "--seed", str(seed), "--storage", storage, "--max-concurrent", "2",
               "--artifacts", str(root / f"art-{method}-{seed}")]  # fmt: skip
        cmd += ["--address", address] if address else []
    log = open(root / f"{method}-{seed}.log", "w")  # noqa: SIM115 - closed below
    zero = datetime.now()
    start = time.perf_counter()
    env = {**os.environ, "RAY_AUTH_MODE": "token"} if address else None
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
    )
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
    stopped_s = time.perf_counter() - start
    log.close()
    trials, counts = read_trials(method, name, storage, zero)
    return {"method": method, "seed": seed, "rc": rc, "stopped_s": stopped_s, "counts": counts,
            "trials": trials}  # fmt: skip


def read_trials(method: str, name: str, storage: str, zero: datetime):
    from collections import Counter

    done, counts = [], Counter()
    if method == "plain":
        import optuna

        study = optuna.load_study(study_name=name, storage=storage)
        rows = [(t.state.name, t.values, t.datetime_complete) for t in study.trials]
        rows = [
            (s, dict(zip(("accuracy", "size_bytes"), v or (), strict=False)), f) for s, v, f in rows
        ]
    else:
        import autonn

        search = autonn.load_search(name, storage)
        rows = [(t.state, t.values, t.finished) for t in search.trials]
    for state, values, finished in rows:
        counts[state] += 1
        if state == "COMPLETE" and finished is not None:
            done.append({
                "t": (finished - zero).total_seconds(),
                "error": 1.0 - values["accuracy"],
                "log_size": math.log10(values["size_bytes"]),
            })  # fmt: skip
    return sorted(done, key=lambda t: t["t"]), dict(counts)


def plain_worker(data: str, seed: int, budget: float, epochs: int, storage: str) -> None:
    """The plain loop: sequential multi-objective TPE, in-process trials, one torch thread."""
    start = time.perf_counter()
    import optuna
    import torch

    import autonn
    from autonn.trial import run_trial

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = autonn.load_space("mlp")
    dataset = autonn.load_dataset(data, seed=seed)
    study = optuna.create_study(
        study_name=f"hv-plain-{seed}", storage=storage, directions=["maximize", "minimize"],
        sampler=optuna.samplers.TPESampler(seed=seed),
    )  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:

        def objective(trial: optuna.Trial) -> tuple[float, float]:
            config = space.sample(trial)
            out = Path(tmp) / f"trial_{trial.number}"
            outcome = run_trial(
                config, dataset, seed=seed + trial.number, max_epochs=epochs, out_dir=out
            )
            return outcome.values["accuracy"], outcome.values["size_bytes"]

        left = budget - (time.perf_counter() - start)
        study.optimize(objective, timeout=max(left, 0.0), catch=(autonn.TrialFailed,))


@contextlib.contextmanager
def running_ray(wanted: bool):
    """A Ray head started once with `ray start` (yields its address), or None for local Rays."""
    if not wanted:
        yield None
        return
    import psutil

    # Short: Ray's temp dir ends up in Unix socket paths, which may be at most 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="hv", dir="/tmp"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray = Path(sys.executable).with_name("ray")
    subprocess.run(
        # On loopback: the head and its workers talk only on this machine.
        [str(ray), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
         "--include-dashboard=false",
         f"--temp-dir={root}", f"--num-cpus={os.cpu_count()}", "--disable-usage-stats"],
        env={**os.environ, "RAY_AUTH_MODE": "token"}, check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield (root / "ray_current_cluster").read_text().strip()
    finally:
        # Not `ray stop`, which stops every Ray on the machine: the processes naming this head's
        # temp dir, and their children.
        mine = set()
        for p in psutil.process_iter(["cmdline"]):
            if any(str(root) in arg for arg in p.info["cmdline"] or ()):
                mine.add(p)
                with contextlib.suppress(psutil.Error):
                    mine.update(p.children(recursive=True))
        for p in mine:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(mine, timeout=10)


# --- report ------------------------------------------------------------------------------------


def median_curves(runs: list[dict], ref, times: list[float]) -> dict[str, list[float]]:
    out = {}
    for method in METHODS:
        per_seed = [curve(r["trials"], ref, times) for r in runs if r["method"] == method]
        if per_seed:
            out[method] = [statistics.median(c[i] for c in per_seed) for i in range(len(times))]
    return out


def first_reach(times: list[float], values: list[float], target: float) -> float | None:
    return next((t for t, v in zip(times, values, strict=True) if v >= target - 1e-12), None)


def report(
    data: str, runs: list[dict], budget: float, ref, png: str | None, ray: str = "local"
) -> dict:
    points = [budget * k / 10 for k in range(1, 11)]
    table = median_curves(runs, ref, points)
    seeds = sorted({r["seed"] for r in runs})
    print(
        f"\n{data}: median hypervolume over seeds {seeds} at each 10% of the {budget:.0f} s budget"
    )
    print(f"{'method':<8}" + "".join(f"{p:>7.0f}s" for p in points) + "   complete/pruned/failed")
    for method, values in table.items():
        mine = [r for r in runs if r["method"] == method]
        counts = "  ".join(
            f"{r['counts'].get('COMPLETE', 0)}/{r['counts'].get('PRUNED', 0)}/"
            f"{r['counts'].get('FAIL', 0)}"
            for r in mine
        )
        print(f"{method:<8}" + "".join(f"{v:>8.4f}" for v in values) + f"   {counts}")

    # Speedup on the median curves, read every second.
    fine = [float(s) for s in range(1, int(budget) + 1)]
    fine_curves = median_curves(runs, ref, fine)
    speedup, reached, t_random, t_moasha = None, False, None, None
    if "random" in fine_curves and "moasha" in fine_curves:
        target = fine_curves["random"][-1]
        t_random = first_reach(fine, fine_curves["random"], target)
        t_moasha = first_reach(fine, fine_curves["moasha"], target)
        reached = t_moasha is not None
        speedup = t_random / (t_moasha if reached else budget)
        print(
            f"random's final median hypervolume {target:.4f} reached at {t_random:.0f} s; "
            + (f"moasha reached it at {t_moasha:.0f} s" if reached else "moasha never reached it")
        )
    checks = {
        rival: all(m >= r - 1e-12 for m, r in zip(table["moasha"], table[rival], strict=True))
        for rival in ("plain", "asha")
        if rival in table and "moasha" in table
    }
    for rival, ok in checks.items():
        lost = [
            f"{p:.0f}s ({m:.4f} < {r:.4f})"
            for p, m, r in zip(points, table["moasha"], table[rival], strict=True)
            if m < r - 1e-12
        ]
        print(
            f"moasha >= {rival} at every budget point: {ok}"
            + (f"; not at {', '.join(lost)}" if lost else "")
        )
    if png:
        plot(data, fine, fine_curves, budget, len(seeds), png, ray)
    return {
        "data": data, "points": points, "table": table, "speedup": speedup, "reached": reached,
        "t_random": t_random, "t_moasha": t_moasha, "checks": checks,
    }  # fmt: skip


def plot(data: str, times, curves, budget, n_seeds, png: str, ray: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("--png needs matplotlib: pip install -e '.[bench]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for method, values in curves.items():
        ax.step(
            times, values, where="post", label=method, linewidth=2 if method == "moasha" else 1.3
        )
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("hypervolume (error, log10 bytes)")
    started = "Ray already running" if ray == "running" else "each run starts Ray"
    ax.set_title(f"{data}, mlp space, {started}: median over {n_seeds} seeds, 2-core CPU")
    ax.set_xlim(0, budget)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"plot: {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="digits")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per method and seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--ray", choices=["local", "running"], default="local",
        help="local: each autonn run starts its own Ray; running: all join one started before",
    )  # fmt: skip
    parser.add_argument("--json", help="write every run's timed trials here")
    parser.add_argument("--png", help="write the median curves here")
    parser.add_argument("--from-json", help="report on a JSON written before, without running")
    parser.add_argument("--plain-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--storage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_worker:
        plain_worker(args.data, args.seed, args.budget, args.epochs, args.storage)
        return

    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        result = report(
            saved["data"], saved["runs"], saved["budget"], saved["ref"], args.png,
            saved.get("ray", "local"),
        )  # fmt: skip
        print_last(result)
        return
    ref_err, ref_size, params = reference_point(args.data)
    ref = (ref_err, ref_size)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{args.data}, mlp space, {args.epochs} epochs, {args.budget:.0f} s per run, "
          f"Ray {args.ray}, seeds 0..{args.seeds - 1}; reference point: error {ref_err}, "
          f"log10 bytes {ref_size:.3f} (largest fp32 mlp: {params} params)")  # fmt: skip
    methods = args.methods.split(",")
    runs = []
    with tempfile.TemporaryDirectory() as tmp, running_ray(args.ray == "running") as address:
        for seed in range(args.seeds):  # methods interleaved, so load on the machine hits all
            for method in methods:
                r = run_method(
                    method, args.data, seed, args.budget, args.epochs, Path(tmp), address
                )
                runs.append(r)
                in_budget = sum(1 for t in r["trials"] if t["t"] <= args.budget)
                final = curve(r["trials"], ref, [args.budget])[0]
                first = f"{r['trials'][0]['t']:.1f} s" if r["trials"] else "none"
                print(f"  seed {seed} {method:<7} rc {r['rc']:>3}  stopped after "
                      f"{r['stopped_s']:5.1f} s  {r['counts']}  complete in budget {in_budget}  "
                      f"first complete {first}  hv {final:.4f}", flush=True)  # fmt: skip
                if args.json:
                    saved = {"data": args.data, "budget": args.budget, "ref": ref, "runs": runs,
                             "ray": args.ray}  # fmt: skip
                    Path(args.json).write_text(json.dumps(saved))
    result = report(args.data, runs, args.budget, ref, args.png, args.ray)
    print_last(result)


def print_last(result: dict) -> None:
    ok = all(result["checks"].values())
    speedup = "n/a" if result["speedup"] is None else f"{result['speedup']:.2f}"
    print(
        f"speedup={speedup} moasha_reached={int(result['reached'])} "
        f"moasha_ge_plain_and_asha={int(ok)} data={result['data']}"
    )


if __name__ == "__main__":
    main()
