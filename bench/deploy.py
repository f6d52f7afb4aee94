"""Does searching for a device pay? A search with a board and a tight RAM limit against the same
search without limits, equal wall time (issue 19, item 7).

Two arms per data set and seed, each an `autonn search` process of its own, stopped at the budget
(SIGINT: autonn stores every finished trial, closes the running ones as FAIL and exits 130), as
bench/hypervolume.py does:

    limits  --target tflm --device stm32l432 (64 KB RAM, 256 KB flash, less the default 25%
            reserve: 48 KB and 192 KB) --limit ram_bytes<=R, the default --floor 0.8
    free    --target tflm, no device, no limit, --floor 0 (what autonn 0.2 did)

Both: TPE seeded by the seed, MO-ASHA, objectives accuracy and size_bytes (for tflm the same file
as flash_bytes), 2 trials at once, --max-epochs 10. The arms alternate A B, B A, A B over the
seeds, so a change in the machine's load hits both alike.

Data sets, spaces and R (chosen from the space's arena distribution, `--survey`: random configs
measured before training with autonn.measure._size.costs_before_training, target tflm):

    digits         cnn (1x8x8)   R = 6 KB: about half of the space's arenas are larger
    breast_cancer  mlp (30)      R = 3 KB: about 40% of the configs that run are larger

The board's own 48 KB / 192 KB barely bite these spaces (no sampled or searched config broke
them; only the mlp space's largest fp32 nets, 3 x 256 wide, would pass 192 KB), so R is what the
limits arm must find its way around. breast_cancer with mlp because its arenas (1.7-4.8 KB)
spread around a limit a small board's application could really leave, and it is a different data
set and family from digits; wine has 36 validation samples, too few to rank models.
The mlp space also offers gelu, which TFLite Micro has no kernel for: since autonn refuses a
model its target cannot run before training (stored PRUNED, epochs 0, broken_limits
{"tflm runs it": 1.0}, an `unsupported` attribute, Optuna constraints so TPE learns), such trials
are counted with the refusals, in both arms ("of them, tflm cannot run"); before that fix they
FAILed at export and TPE never learnt from them.

Both arms are judged against the limits arm's limits (R, 48 KB RAM, 192 KB flash) and its floor
definition (share 0.8 of the gap from the trivial predictor to the best trial keeping the
limits). Only trials finished within the budget count.

1. Front models that run in TFLite Micro within the limits. The front: the limits arm's
   deployable front (`autonn.pareto_front` with the search's floor, = Search.pareto), the free
   arm's own unconstrained front (floor 0, no limits). Each front trial's model.tflite must be
   at most the flash limit, and allocate and run in TFLite Micro (tflite_micro's
   Interpreter.from_bytes) with an arena of exactly the RAM limit, over the whole validation
   split, in a child process (too small an arena can crash it). Its accuracy there is printed
   beside the stored one. Target: 100% for the limits arm.
2. Trials trained (epochs >= 1: complete, or stopped early by MO-ASHA) while infeasible (their
   flash or RAM breaks a limit; a stopped trial's flash and RAM are those it stored, or, in a
   database from before autonn stored them, measured again from its params as autonn measures
   before training) or below the floor (their validation accuracy, the last of the curve if
   stopped early, below trivial + 0.8 * (best trial keeping the limits - trivial)). Share of
   the trained trials. Target: under 10% for the limits arm. Trials refused before training (a
   broken limit, or a model the target cannot run; epochs 0, neither trained nor wasted) and
   failed trials are counted apart.
3. Hypervolume over time of the feasible front: complete trials keeping the limits, as
   (1 - accuracy, log10 flash_bytes), both minimised, against a fixed reference point: the
   trivial predictor's error and log10 of the flash limit (a model worse than guessing the
   commonest class, or bigger than the board allows, adds nothing). Read at every 10% of the
   budget; median and range over the seeds; plotted to docs/deploy_<data>.png.

The last line is machine-readable:
    ratio=<share of the limits arm's front models that run within the limits /
           that share for the free arm> (pooled over every run), then each share, the shares of
    trained trials infeasible or below the floor, and the final median hypervolumes.

    python bench/deploy.py [--data digits,breast_cancer] [--seeds 3] [--budget 120]
                           [--epochs 10] [--ray running|local] [--json out.json]
                           [--png-dir docs] [--ram digits=6KB] [--survey 30]
    python bench/deploy.py --from-json old.json new.json   # report again, without running

--from-json takes one or more files written by --json; a data set found in a later file replaces
that of the earlier ones (e.g. one data set run again), and the ratio line pools what is left.

--ray running (the default) starts one Ray head with `ray start` before the runs, outside every
budget (bench/hypervolume.py's running_ray). Plots need matplotlib: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hypervolume as hv  # noqa: E402 - bench/ is not a package; its helpers are reused here

DEVICE = "stm32l432"
FLOOR = 0.8  # autonn's default floor share: the limits arm's, and what both arms are judged by
SPACES = {"digits": "cnn", "breast_cancer": "mlp"}
RAM = {"digits": "6KB", "breast_cancer": "3KB"}
ARMS = ("limits", "free")
CHECK_TIMEOUT_S = 120

# Run in a child process: a model in TFLite Micro with an arena of exactly the RAM limit, over
# the validation split. Too small an arena can segfault TFLite Micro, hence the child.
CHILD = r"""
import json, sys
import numpy as np
from tflite_micro import runtime
path, arena, split = sys.argv[1], int(sys.argv[2]), np.load(sys.argv[3])
it = runtime.Interpreter.from_bytes(open(path, "rb").read(), arena_size=arena)
src, dst = it.get_input_details(0), it.get_output_details(0)
x = split["x"].astype(np.float32)
q = src["quantization_parameters"]
if np.dtype(src["dtype"]).kind == "i" and len(q["scales"]):
    info = np.iinfo(src["dtype"])
    x = np.clip(np.round(x / q["scales"][0] + q["zero_points"][0]), info.min, info.max)
out = []
for sample in x:
    it.set_input(sample.reshape(src["shape"]).astype(src["dtype"]), 0)
    it.invoke()
    out.append(np.asarray(it.get_output(0), dtype=np.float32).reshape(-1))
out = np.stack(out)
pred = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
print(json.dumps({"accuracy": float(np.mean(pred == split["y"]))}))
"""


# --- the limits both arms are judged by ---------------------------------------------------------


def limits_of(data: str, ram: dict[str, str]):
    from autonn.limits import device_limits, parse_limit

    return (parse_limit(f"ram_bytes<={ram[data]}"), *device_limits(DEVICE))


def bound(limits, name: str) -> int:
    """The tightest `<=` bound on `name`."""
    return int(min(lim.bound for lim in limits if lim.name == name))


def arm_flags(arm: str, data: str, ram: dict[str, str]) -> list[str]:
    if arm == "limits":
        return ["--device", DEVICE, "--limit", f"ram_bytes<={ram[data]}", "--floor", str(FLOOR)]
    return ["--floor", "0"]


# --- one arm: a search under a wall-clock budget ------------------------------------------------


def run_arm(arm: str, data: str, seed: int, args, root: Path, address: str | None) -> dict:
    """One search for `args.budget` seconds in its own process, stopped as bench/hypervolume.py
    stops its methods; what it left in the database is read by `evaluate`."""
    name, storage = f"deploy-{data}-{arm}-{seed}", f"sqlite:///{root}/{data}-{arm}-{seed}.db"
    cmd = [sys.executable, "-c", "import sys; from autonn.cli import main; sys.exit(main())",
           "search", SPACES[data], "--data", data, "--name", name, "--trials", "100000",
           "--max-epochs", str(args.epochs), "--seed", str(seed), "--storage", storage,
           "--max-concurrent", "2", "--target", "tflm",
           "--artifacts", str(root / f"art-{data}-{arm}-{seed}")]  # fmt: skip
    cmd += arm_flags(arm, data, args.ram_limits)
    cmd += ["--address", address] if address else []
    env = {**os.environ, "RAY_AUTH_MODE": "token"} if address else None
    load = os.getloadavg()[0]
    with open(root / f"{name}.log", "w") as log:
        zero, start = datetime.now(), time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
        rc = stop_at(proc, args.budget)
    return {"arm": arm, "data": data, "seed": seed, "name": name, "storage": storage, "rc": rc,
            "stopped_s": time.perf_counter() - start, "zero": zero.isoformat(),
            "load_before": load}  # fmt: skip


def stop_at(proc: subprocess.Popen, budget: float) -> int:
    try:
        return proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # autonn stores what finished and exits 130
    try:
        return proc.wait(timeout=hv.GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait()


# --- reading and judging one arm's trials -------------------------------------------------------


def evaluate(run: dict, args, root: Path) -> dict:
    """The run's trials as rows (time, state, epochs, accuracy, costs) and its front, checked in
    TFLite Micro. Everything later is computed from these rows, so --from-json can redo it."""
    import autonn

    search = autonn.load_search(run["name"], run["storage"])
    zero = datetime.fromisoformat(run["zero"])
    kept = [t for t in search.trials if t.finished and seconds(t.finished, zero) <= args.budget]
    trivial = search.info.floor[0]
    rows = [trial_row(t, zero, run["data"], run["seed"]) for t in search.trials]
    front = autonn.pareto_front(kept, search.objectives, search.info.floor)
    limits = limits_of(run["data"], args.ram_limits)
    split = validation_file(run["data"], run["seed"], root)
    checks = [check_front_model(t, limits, split) for t in front]
    return {**run, "trivial": trivial, "rows": rows, "front": checks,
            "counts": dict(search.info.counts)}  # fmt: skip


def seconds(when: datetime, zero: datetime) -> float:
    return (when - zero).total_seconds()


def trial_row(t, zero: datetime, data: str, seed: int) -> dict:
    epochs = int(t.attrs.get("epochs") or 0)
    curve = t.attrs.get("curve") or []
    score = t.score if t.state == "COMPLETE" else (curve[-1] if curve else None)
    flash, ram = t.measured("flash_bytes"), t.measured("ram_bytes")
    recomputed = False
    if epochs >= 1 and t.state in ("COMPLETE", "PRUNED") and (flash is None or ram is None):
        flash, ram = costs_of(data, seed, json.dumps(t.params, sort_keys=True))
        recomputed = True
    return {
        "n": t.number,
        "state": t.state,
        "t0": seconds(t.started, zero) if t.started else None,
        "t": seconds(t.finished, zero) if t.finished else None,
        "epochs": epochs,
        "score": score,
        "flash": flash,
        "ram": ram,
        "recomputed": recomputed,
        "refused": t.state == "PRUNED" and epochs == 0 and bool(t.broken_limits),
        "unsupported": bool(t.attrs.get("unsupported")),  # refused: the target cannot run it
        "fail": (t.attrs.get("fail_reason") or "")[:80] if t.state == "FAIL" else None,
    }


@cache
def costs_of(data: str, seed: int, params: str) -> tuple[float, float]:
    """Flash and RAM of a trial that stored none (stopped early: only its size travels with a
    rung report), measured as autonn measures a trial before training."""
    from autonn.measure._size import costs_before_training
    from autonn.trial import calibration_sample

    space, dataset = space_of(data), dataset_of(data, seed)
    config = space.rebuild(json.loads(params))
    costs = costs_before_training(
        config, dataset.input_shape, dataset.n_outputs, target="tflm",
        calibration=calibration_sample(dataset),
    )  # fmt: skip
    return costs["flash_bytes"], costs["ram_bytes"]


@cache
def space_of(data: str):
    import autonn
    from autonn.target import get_target

    return autonn.load_space(SPACES[data]).for_formats(get_target("tflm").formats)


@cache
def dataset_of(data: str, seed: int):
    import autonn

    return autonn.load_dataset(data, seed=seed)  # the search's own split (same seed)


def validation_file(data: str, seed: int, root: Path) -> Path:
    import numpy as np

    path = root / f"val-{data}-{seed}.npz"
    if not path.exists():
        d = dataset_of(data, seed)
        np.savez(path, x=d.x_val, y=d.y_val)
    return path


def check_front_model(t, limits, split: Path) -> dict:
    """Whether the trial's model.tflite fits the flash limit and runs in TFLite Micro with an
    arena of exactly the RAM limit; a crash or an allocation failure is a no."""
    blob = Path(t.attrs["artifacts"]) / "model.tflite"
    flash, arena = bound(limits, "flash_bytes"), bound(limits, "ram_bytes")
    out = {"n": t.number, "accuracy": t.score, "bytes": t.measured("flash_bytes"),
           "ram": t.measured("ram_bytes"), "tflm_accuracy": None}  # fmt: skip
    if not blob.exists():
        return {**out, "runs": False, "why": f"no {blob}"}
    if out["bytes"] > flash:
        return {**out, "runs": False, "why": f"{out['bytes']} B over the {flash} B flash limit"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(blob), str(arena), str(split)],
            capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {**out, "runs": False, "why": f"no answer in {CHECK_TIMEOUT_S} s"}
    if done.returncode != 0:
        return {**out, "runs": False, "why": child_failure(done, arena)}
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return {**out, "runs": True, "why": "", "tflm_accuracy": answer["accuracy"]}


def child_failure(done: subprocess.CompletedProcess, arena: int) -> str:
    if done.returncode < 0:
        return f"crashed (signal {-done.returncode}) with a {arena} B arena"
    last = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return f"failed with a {arena} B arena: {last[-1][:100] if last else done.returncode}"


# --- the figures -------------------------------------------------------------------------------


def judged(run: dict, budget: float, limits) -> dict:
    """Figures 1-3's inputs for one run: which trained trials were wasted, the feasible points."""
    from autonn.limits import broken

    rows = [r for r in run["rows"] if r["t"] is not None and r["t"] <= budget]
    infeasible = {r["n"] for r in rows if broken(limits, costs(r))}
    done = [r for r in rows if r["state"] == "COMPLETE" and r["n"] not in infeasible]
    best = max((r["score"] for r in done), default=None)
    trivial = run["trivial"]
    floor = None if best is None else trivial + FLOOR * (best - trivial)
    trained = [r for r in rows if r["epochs"] >= 1 and r["state"] in ("COMPLETE", "PRUNED")]
    below = {r["n"] for r in trained if below_floor(r["score"], floor, trivial)}
    wasted = [r for r in trained if r["n"] in infeasible or r["n"] in below]
    refused = [r for r in rows if r["refused"] and r["t0"] is not None]
    return {
        "trained": len(trained),
        "infeasible": sum(r["n"] in infeasible for r in trained),
        "below": len(below),
        "wasted": len(wasted),
        # Epochs, not trials: a trial stopped at the first rung wasted less than a complete one.
        "epochs": sum(r["epochs"] for r in trained),
        "wasted_epochs": sum(r["epochs"] for r in wasted),
        "refused": len(refused),
        "unsupported": sum(bool(r.get("unsupported")) for r in refused),  # .get: older JSON
        "refused_s": sum(r["t"] - r["t0"] for r in refused),
        "s_refusal": median_or_none([r["t"] - r["t0"] for r in refused]),
        "s_trained": median_or_none([r["t"] - r["t0"] for r in trained if r["t0"] is not None]),
        "failed": sum(r["state"] == "FAIL" for r in rows),
        "complete": sum(r["state"] == "COMPLETE" for r in rows),
        "first_complete": min((r["t"] for r in rows if r["state"] == "COMPLETE"), default=None),
        "floor": floor,
        "points": [
            {"t": r["t"], "error": 1.0 - r["score"], "log_size": math.log10(r["flash"])}
            for r in done
        ],  # fmt: skip
        "front": len(run["front"]),
        "front_runs": sum(c["runs"] for c in run["front"]),
        # Runs within the limits and is above the floor: what the limits arm calls deployable.
        "front_deployable": sum(
            c["runs"] and not below_floor(c["accuracy"], floor, trivial) for c in run["front"]
        ),
    }


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def costs(row: dict) -> dict:
    return {"flash_bytes": row["flash"], "ram_bytes": row["ram"]}


def below_floor(score: float | None, floor: float | None, trivial: float) -> bool:
    if score is None:
        return True
    return score <= trivial or (floor is not None and score < floor)


def reference(run: dict, limits) -> tuple[float, float]:
    return 1.0 - run["trivial"], math.log10(bound(limits, "flash_bytes"))


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def fmt_share(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({part / whole:.0%})" if whole else "")


def spread(values: list[float | None], form: str = "{:.3f}") -> str:
    """Median [min-max] of the values that exist."""
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    med, lo, hi = statistics.median(known), min(known), max(known)
    return f"{form.format(med)} [{form.format(lo)}-{form.format(hi)}]"


def report_data(data: str, runs: list[dict], budget: float, ram: dict[str, str]) -> dict:
    limits = limits_of(data, ram)
    mine = {arm: [r for r in runs if r["data"] == data and r["arm"] == arm] for arm in ARMS}
    figures = {arm: [judged(r, budget, limits) for r in rs] for arm, rs in mine.items()}
    seeds = sorted({r["seed"] for r in runs})
    print(f"\n{data} ({SPACES[data]} space), judged by: {', '.join(x.text for x in limits)}, "
          f"floor {FLOOR}; {budget:.0f} s per arm, seeds {seeds}")  # fmt: skip
    print_front_table(mine, figures)
    print_waste_table(figures)
    points = [budget * k / 10 for k in range(1, 11)]
    curves = {arm: hv_curves(mine[arm], figures[arm], limits, points) for arm in ARMS}
    print_hv_table(points, curves)
    print_failures(mine)
    return {"figures": figures, "curves": curves, "points": points, "runs": mine}


def print_front_table(mine: dict, figures: dict) -> None:
    print("front models that run in TFLite Micro within the limits, per seed:")
    for arm in ARMS:
        per_seed = [fmt_share(f["front_runs"], f["front"]) for f in figures[arm]]
        total = fmt_share(*(sum(f[k] for f in figures[arm]) for k in ("front_runs", "front")))
        print(f"  {arm:<7} {'  '.join(per_seed)}   all: {total}")
        useful = sum(f["front_deployable"] for f in figures[arm])
        print(
            f"          runs and is above the floor: {fmt_share(useful, total_front(figures[arm]))}"
        )
        for run in mine[arm]:
            for c in run["front"]:
                acc = "" if c["tflm_accuracy"] is None else f" tflm acc {c['tflm_accuracy']:.4f}"
                print(f"    seed {run['seed']} trial {c['n']:>3}: acc {c['accuracy']:.4f} "
                      f"{c['bytes']:>7} B ram {c['ram']}  {'runs' if c['runs'] else 'NO: '}"
                      f"{c['why']}{acc}")  # fmt: skip


def total_front(figures: list[dict]) -> int:
    return sum(f["front"] for f in figures)


def print_waste_table(figures: dict) -> None:
    print("trained trials (epochs >= 1) infeasible or below the floor; median [range] over seeds:")
    rows = [
        ("trained trials", "trained", None, "{:.0f}"),
        ("  infeasible", "infeasible", "trained", "{:.2f}"),
        ("  below the floor", "below", "trained", "{:.2f}"),
        ("  either (target < 0.10)", "wasted", "trained", "{:.2f}"),
        ("  their share of epochs", "wasted_epochs", "epochs", "{:.2f}"),
        ("refused before training", "refused", None, "{:.0f}"),
        ("  of them, tflm cannot run", "unsupported", None, "{:.0f}"),
        ("  s spent refusing", "refused_s", None, "{:.0f}"),
        ("  s per refusal", "s_refusal", None, "{:.1f}"),
        ("s per trained trial", "s_trained", None, "{:.1f}"),
        ("failed", "failed", None, "{:.0f}"),
        ("complete", "complete", None, "{:.0f}"),
        ("first complete trial, s", "first_complete", None, "{:.0f}"),
    ]
    print(f"  {'':<28}" + "".join(f"{arm:>22}" for arm in ARMS))
    for label, part, whole, form in rows:
        cells = [spread([ratio_of(f, part, whole) for f in figures[arm]], form) for arm in ARMS]
        print(f"  {label:<28}" + "".join(f"{c:>22}" for c in cells))
    for arm in ARMS:
        print(f"  {arm} per seed, wasted/trained: " + "  ".join(
            f"{f['wasted']}/{f['trained']}" for f in figures[arm]))  # fmt: skip


def ratio_of(f: dict, part: str, whole: str | None) -> float | None:
    return f[part] if whole is None else share(f[part], f[whole])


def print_failures(mine: dict) -> None:
    """Why trials failed, by arm: failures cost budget without a model."""
    for arm in ARMS:
        reasons = Counter(
            shorten(r["fail"]) for run in mine[arm] for r in run["rows"] if r["state"] == "FAIL"
        )
        listed = "; ".join(f"{n} x {why}" for why, n in reasons.most_common())
        print(f"  {arm} failed trials: {listed or 'none'}")


def shorten(reason: str | None) -> str:
    """A failure reason without the numbers that differ from trial to trial."""
    import re

    return re.sub(r"\d+(\.\d+)?", "N", (reason or "?")[:60])


def hv_curves(runs: list[dict], figures: list[dict], limits, times: list[float]) -> list[list]:
    """Each seed's hypervolume of its feasible complete trials at each time."""
    pairs = zip(runs, figures, strict=True)
    return [hv.curve(f["points"], reference(r, limits), times) for r, f in pairs]


def print_hv_table(points: list[float], curves: dict) -> None:
    print("hypervolume of the feasible front (1 - accuracy, log10 flash_bytes), median [range]:")
    print(f"  {'arm':<7}" + "".join(f"{p:>8.0f}s" for p in points))
    for arm in ARMS:
        cells = [column(curves[arm], i) for i in range(len(points))]
        print(f"  {arm:<7}" + "".join(f"{statistics.median(c):>9.4f}" for c in cells))
        print(f"  {'':<7}" + "".join(f"{min(c):>9.3f}" for c in cells) + "  (min)")
        print(f"  {'':<7}" + "".join(f"{max(c):>9.3f}" for c in cells) + "  (max)")


def column(per_seed: list[list[float]], i: int) -> list[float]:
    return [c[i] for c in per_seed] or [0.0]


def plot(data: str, result: dict, budget: float, limits, png: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("plots need matplotlib: pip install -e '.[bench]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    limits_runs, times = result["runs"], [float(s) for s in range(1, int(budget) + 1)]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for arm, colour in zip(ARMS, ("tab:blue", "tab:orange"), strict=True):
        judged_runs = result["figures"][arm]
        refs = limits_runs[arm]
        curves = hv_curves(refs, judged_runs, limits, times)
        med = [statistics.median(column(curves, i)) for i in range(len(times))]
        lo = [min(column(curves, i)) for i in range(len(times))]
        hi = [max(column(curves, i)) for i in range(len(times))]
        label = "with device + RAM limit" if arm == "limits" else "without limits (floor 0)"
        ax.step(times, med, where="post", color=colour, linewidth=2, label=f"{label}, median")
        ax.fill_between(times, lo, hi, step="post", color=colour, alpha=0.15)
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("hypervolume (1 - accuracy, log10 flash bytes)")
    ax.set_title(f"{data}, {SPACES[data]}, tflm, {DEVICE} + RAM limit: median and range of "
                 f"{len(limits_runs['limits'])} seeds", fontsize=9)  # fmt: skip
    ax.set_xlim(0, budget)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"plot: {png}")


# --- survey: how much of a space breaks the RAM limit --------------------------------------------


def survey(data: str, n: int, ram: dict[str, str]) -> None:
    """Measure `n` random configs of the data set's space before training, as autonn does."""
    import numpy as np
    import optuna

    from autonn.errors import TrialFailed

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    limits, study = (
        limits_of(data, ram),
        optuna.create_study(sampler=optuna.samplers.RandomSampler(0)),
    )
    arenas, failed = [], 0
    for _ in range(n):
        trial = study.ask()
        try:
            space_of(data).sample(trial)  # fills trial.params
            arenas.append(costs_of(data, 0, json.dumps(trial.params, sort_keys=True))[1])
        except TrialFailed:
            failed += 1  # an operator TFLM lacks, or a layer pruned away: fails in a search too
        study.tell(trial, 0.0)
    ram_bound = bound(limits, "ram_bytes")
    print(f"{data} {SPACES[data]}: {len(arenas)} configs measured, {failed} fail before training; "
          f"arena percentiles 10/50/90: {np.percentile(arenas, [10, 50, 90]).astype(int)}; "
          f"over {ram_bound} B: {np.mean(np.array(arenas) > ram_bound):.0%}")  # fmt: skip


# --- main --------------------------------------------------------------------------------------


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.machine())  # fmt: skip
    return f"{model}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"


def run_all(args, datasets: list[str]) -> list[dict]:
    runs = []
    root = Path(args.workdir or tempfile.mkdtemp(prefix="deploy-", dir="/tmp"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {root}", flush=True)
    with hv.running_ray(args.ray == "running") as address:
        for data in datasets:
            for seed in range(args.seeds):
                order = ARMS if seed % 2 == 0 else ARMS[::-1]  # A B, B A, ...: load hits both
                for arm in order:
                    run = run_arm(arm, data, seed, args, root, address)
                    runs.append(evaluate(run, args, root))
                    print_run(runs[-1], args.budget)
                    save(args, runs)
    return runs


def print_run(run: dict, budget: float) -> None:
    fronts = sum(c["runs"] for c in run["front"])
    print(f"  {run['data']} seed {run['seed']} {run['arm']:<6} rc {run['rc']:>3} stopped after "
          f"{run['stopped_s']:5.1f} s  load {run['load_before']:.1f}  {run['counts']}  "
          f"front runs in TFLM {fronts}/{len(run['front'])}", flush=True)  # fmt: skip


def save(args, runs: list[dict]) -> None:
    if args.json:
        out = {"budget": args.budget, "ram": args.ram_limits, "runs": runs}
        Path(args.json).write_text(json.dumps(out, default=str))


def report_all(runs: list[dict], budget: float, ram: dict[str, str], png_dir: str | None) -> None:
    results = {}
    for data in dict.fromkeys(r["data"] for r in runs):
        results[data] = report_data(data, runs, budget, ram)
        if png_dir:
            png = str(Path(png_dir) / f"deploy_{data}.png")
            plot(data, results[data], budget, limits_of(data, ram), png)
    print_last(results)


def print_last(results: dict) -> None:
    def pooled(arm: str, part: str, whole: str) -> float | None:
        fs = [f for r in results.values() for f in r["figures"][arm]]
        return share(sum(f[part] for f in fs), sum(f[whole] for f in fs))

    a, b = pooled("limits", "front_runs", "front"), pooled("free", "front_runs", "front")
    ratio = "n/a" if a is None or not b else f"{a / b:.3f}"
    if a is not None and b == 0:
        ratio = "inf"
    fields = [f"ratio={ratio}", f"front_runs_limits={_f(a)}", f"front_runs_free={_f(b)}",
              f"front_deployable_free={_f(pooled('free', 'front_deployable', 'front'))}",
              f"wasted_limits={_f(pooled('limits', 'wasted', 'trained'))}",
              f"wasted_free={_f(pooled('free', 'wasted', 'trained'))}"]  # fmt: skip
    for data, r in results.items():
        for arm in ARMS:
            final = statistics.median(column(r["curves"][arm], -1))
            fields.append(f"hv_{data}_{arm}={final:.4f}")
    print(" ".join(fields))


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def load_runs(paths: list[str]) -> tuple[list[dict], float, dict[str, str]]:
    """The runs of several --json files, each data set from the last file that has it."""
    by_data: dict[str, list[dict]] = {}
    budget, ram = None, dict(RAM)
    for path in paths:
        saved = json.loads(Path(path).read_text())
        if budget is not None and saved["budget"] != budget:
            raise SystemExit(f"{path}: budget {saved['budget']} s, not {budget} s as before")
        budget, fresh = saved["budget"], {}
        for run in saved["runs"]:
            fresh.setdefault(run["data"], []).append(run)
        by_data.update(fresh)
        ram.update({data: saved["ram"][data] for data in fresh})
    return [run for runs in by_data.values() for run in runs], budget, ram


def parse_ram(items: list[str]) -> dict[str, str]:
    out = dict(RAM)
    for item in items:
        data, _, size = item.partition("=")
        out[data] = size
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="digits,breast_cancer")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per arm and seed")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--ram", action="append", default=[], help="DATA=SIZE, e.g. digits=6KB")
    parser.add_argument("--ray", choices=["local", "running"], default="running")
    parser.add_argument("--json", help="write every run's trials and checks here")
    parser.add_argument("--png-dir", help="write deploy_<data>.png here")
    parser.add_argument("--workdir", help="keep databases, logs and artifacts here")
    parser.add_argument("--from-json", nargs="+",
                        help="report on JSONs written before, without running; a data set in a "
                             "later file replaces the earlier files' runs of it")  # fmt: skip
    parser.add_argument("--survey", type=int, help="measure this many random configs and stop")
    args = parser.parse_args()
    args.ram_limits = parse_ram(args.ram)
    datasets = args.data.split(",")
    if args.survey:
        for data in datasets:
            survey(data, args.survey, args.ram_limits)
        return
    if args.from_json:
        report_all(*load_runs(args.from_json), args.png_dir)
        return
    print(f"machine: {machine()}")
    print(f"{', '.join(datasets)}; {args.budget:.0f} s per arm, {args.epochs} epochs, "
          f"seeds 0..{args.seeds - 1}, Ray {args.ray}; RAM limits {args.ram_limits}")  # fmt: skip
    runs = run_all(args, datasets)
    print(f"load average at the end: {os.getloadavg()}")
    report_all(runs, args.budget, args.ram_limits, args.png_dir)


if __name__ == "__main__":
    main()
