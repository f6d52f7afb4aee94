"""What the dashboard shows, as data: trials -> pandas frames. Pure: no Streamlit, no database.

Every function takes a `Search` (or the frame `trials_frame` made from one) and returns a frame or a
number, so each can be tested on made-up trials in milliseconds.

The quality columns are named by the search's metric, as `autonn show` names them: `accuracy` and
`test_accuracy` for a search by accuracy, `rmse` and `test_rmse` for one by rmse; the frame's
`attrs["metric"]` says which, and `OBJECTIVES[metric]` which way is better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from autonn.limits import Limit, floor_value, parse_limit
from autonn.pareto import add_to_front, hypervolume
from autonn.store import OBJECTIVES, Search, SearchInfo, TrialRecord, pareto_front, state_word
from autonn.store._pareto import deployable
from autonn.task import METRICS

# Columns `trials_frame` always has, for a search by accuracy (`base_columns` names them for any
# metric); params get their own names (prefixed "param:" on a clash).
BASE_COLUMNS = [
    "trial",
    "state",
    "accuracy",
    "test_accuracy",
    "accuracy_std",  # its spread over folds (k-fold scoring, small data); None with one split
    "size_bytes",
    "latency_ms",
    "flash_bytes",
    "ram_bytes",
    "macs",
    "fp32_bytes",
    "n_params",
    "quantization",
    "prune_ratio",
    "finetune_epochs",
    "channel_pruned",
    "family",
    "epochs",
    "stopped_at_epoch",
    "last_accuracy",  # the last value of the trial's learning curve
    "train_seconds",
    "started",
    "finished",
    "duration_s",
    "fail_reason",
    "broken_limits",  # "ram_bytes<=98304 by 25%", one limit a line; None when it keeps them all
    "deployable",  # complete, keeps every limit, clears the floor: may be on the front
    "on_front",
    "hover",
]

# What the Pareto plot can put on its x axis: what a trial costs to deploy. Bytes go on a log axis
# with B/KB/MB ticks, MACs with K/M ticks, latency in ms.
X_AXES = ("size_bytes", "flash_bytes", "ram_bytes", "macs", "latency_ms")
BYTE_COLUMNS = ("size_bytes", "flash_bytes", "ram_bytes", "fp32_bytes")


def score_columns(metric: str) -> dict[str, str]:
    """The frame's columns for the metric on the validation split (the objective) and on test."""
    return {"validation": metric, "test": f"test_{metric}"}


ACCURACY_COLUMNS = score_columns("accuracy")


def base_columns(metric: str) -> list[str]:
    """`BASE_COLUMNS` with the quality columns named by `metric`."""
    names = {
        "accuracy": metric,
        "test_accuracy": f"test_{metric}",
        "accuracy_std": f"{metric}_std",
        "last_accuracy": f"last_{metric}",
    }
    return [names.get(c, c) for c in BASE_COLUMNS]


def metric_of(df: pd.DataFrame) -> str:
    """The quality metric a trial frame is about (accuracy for a frame made before metrics)."""
    return df.attrs.get("metric", "accuracy")


def maximised(metric: str) -> bool:
    """Whether a higher value of the metric is better (an unknown name counts as a score)."""
    return OBJECTIVES.get(metric, "maximize") == "maximize"


def best_value(values: pd.Series, metric: str) -> float:
    """The best of the values in the metric's direction (NaN when there are none)."""
    return float(values.max() if maximised(metric) else values.min())


def score_text(value: float, metric: str) -> str:
    """A metric's value for the page: 4 decimals for a share (accuracy), 4 digits for an error in
    the target's units (rmse 58.12, 0.01234)."""
    fraction = METRICS[metric].fraction if metric in METRICS else False
    return f"{value:.4f}" if fraction else f"{value:.4g}"


PARAM_PREFIX = "param:"


def param_label(column: str) -> str:
    """A param's own name, for labels: the frame's column may carry a prefix against clashes."""
    return column.removeprefix(PARAM_PREFIX)


def trials_frame(search: Search) -> pd.DataFrame:
    """One row per trial, in trial-number order, with the params as columns.

    `df.attrs["params"]` lists the param columns, `df.attrs["objectives"]` the search's and
    `df.attrs["metric"]` its quality metric, which names the columns `metric`, `test_<metric>`
    and `last_<metric>`. `df.attrs["limits"]` holds the limits the search honoured (their texts),
    `df.attrs["floor"]` the metric a trial had to reach (None without a floor) and
    `df.attrs["scheduler"]` the name of what stopped trials early.
    """
    metric = search.metric
    base = base_columns(metric)
    family = space_family(search.info.config)
    floor = search.info.floor
    usable = {t.number for t in deployable_trials(search.trials, search.objectives, floor)}
    front = {t.number for t in front_trials(search.trials, search.objectives, floor)}
    rows, param_names = [], {}
    for t in search.trials:
        rows.append(_row(t, family, t.number in usable, t.number in front))
        for name in t.params:
            param_names.setdefault(name, None)
    columns = {n: (f"{PARAM_PREFIX}{n}" if n in base else n) for n in param_names}
    df = pd.DataFrame(rows, columns=base)
    if columns:
        params = pd.DataFrame(
            [{columns[k]: v for k, v in t.params.items()} for t in search.trials],
            columns=list(columns.values()),
        )
        df = pd.concat([df, params], axis=1)
    for col in (metric, f"test_{metric}", f"{metric}_std", *X_AXES, "prune_ratio"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("started", "finished"):
        df[col] = pd.to_datetime(df[col])
    for col in ("deployable", "on_front"):  # boolean masks even with no rows
        df[col] = df[col].astype(bool)
    df["duration_s"] = (df["finished"] - df["started"]).dt.total_seconds()
    df["hover"] = _hover(df, list(columns.values()), metric)
    df.attrs["params"] = list(columns.values())
    df.attrs["objectives"] = list(search.objectives)
    df.attrs["metric"] = metric
    df.attrs["limits"] = search.info.limits
    df.attrs["floor"] = floor_bound(search)
    df.attrs["scheduler"] = scheduler_name(search.info.config)
    return df


def front_trials(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    floor: tuple[float, float] | None = None,
) -> list[TrialRecord]:
    """The search's deployable Pareto front, as `Search.pareto` has it: no trial that breaks a
    limit, none below the floor = (trivial, share). For a plain Optuna study (other objectives):
    the trials' metric (accuracy, for records of a study autonn did not make) against size."""
    if all(o in OBJECTIVES for o in objectives):
        return pareto_front(trials, objectives, floor)
    measured = _measured(trials)
    keep = set()
    for metric in {t.metric for t in measured}:
        named = [
            TrialRecord(
                t.number,
                t.state,
                {metric: t.score, "size_bytes": t.size_bytes},
                {},
                {},
                metric=metric,
            )
            for t in measured
            if t.metric == metric
        ]
        keep |= {t.number for t in pareto_front(named, (metric, "size_bytes"))}
    return [t for t in measured if t.number in keep]


def deployable_trials(
    trials: Sequence[TrialRecord],
    objectives: Sequence[str],
    floor: tuple[float, float] | None = None,
) -> list[TrialRecord]:
    """The trials the front is chosen from (the store's rule); a plain Optuna study has no limits
    nor floor: its measured complete trials."""
    if all(o in OBJECTIVES for o in objectives):
        return deployable(trials, objectives, floor)
    return _measured(trials)


def _measured(trials: Sequence[TrialRecord]) -> list[TrialRecord]:
    return [
        t
        for t in trials
        if t.state == "COMPLETE"
        and t.metric in OBJECTIVES
        and t.score is not None
        and t.size_bytes is not None
    ]


def floor_bound(search: Search) -> float | None:
    """The validation metric a trial must reach to count (None without a floor): `share` of the
    way from the trivial predictor's score to the best trial that keeps every limit, the best
    taken as `autonn.store._pareto.deployable` takes it."""
    floor, metric = search.info.floor, search.metric
    if floor is None or metric not in OBJECTIVES or metric not in search.objectives:
        return None
    scores = [t.values[metric] for t in deployable(search.trials, search.objectives)]
    if not scores:
        return None
    best = max(scores) if maximised(metric) else min(scores)
    trivial, share = floor
    return floor_value(trivial, best, share)


# How the page names what stopped trials early (the search config's `scheduler`).
SCHEDULER_NAMES = {"moasha": "MO-ASHA", "asha": "ASHA"}


def scheduler_name(config: dict) -> str:
    """MO-ASHA, ASHA, or "the scheduler" for a search that did not store which."""
    return SCHEDULER_NAMES.get(config.get("scheduler"), "the scheduler")


def limits_on(df: pd.DataFrame, column: str) -> list[Limit]:
    """The search's limits on one column (ram_bytes, accuracy, ...), parsed from their texts."""
    out = []
    for text in df.attrs.get("limits", []):
        try:
            limit = parse_limit(text)
        except ValueError:  # UsageError is a ValueError; a text this page cannot read is skipped
            continue
        if limit.name == column:
            out.append(limit)
    return out


X_LABELS = {
    "size_bytes": "size",
    "flash_bytes": "flash",
    "ram_bytes": "RAM",
    "macs": "MACs",
    "latency_ms": "latency",
}


def x_choices(config: dict, objectives: Sequence[str]) -> list[str]:
    """The x axes worth offering: every cost for a search that measured flash, RAM and MACs
    (autonn 0.3 on, which stores its `target`), else size, latency and the search's own costs."""
    if "target" in config:
        return list(X_AXES)
    return [c for c in X_AXES if c in ("size_bytes", "latency_ms") or c in objectives]


def default_x(objectives: Sequence[str]) -> str:
    """The Pareto plot's x axis as it opens: the search's first cost objective (ram_bytes for a
    search by accuracy and RAM), else the deployed size."""
    return next((o for o in objectives if o in X_AXES), "size_bytes")


# --- which searches to compare, which axes to draw, names and values as text -------------------


def same_problem(a: SearchInfo, b: SearchInfo) -> bool:
    """Whether two searches learnt the same data for the same task by the same metric, so their
    fronts mean the same thing. A search that stored no data set matches none."""
    data = a.config.get("data")
    same_data = data is not None and data == b.config.get("data")
    return same_data and a.task == b.task and a.metric == b.metric


def compare_choices(
    current: SearchInfo, infos: Sequence[SearchInfo]
) -> tuple[list[str], list[str]]:
    """The searches the Compare tab offers beside `current`, and those it starts with.

    Offered: every other search by the same metric (an rmse axis means nothing to an accuracy
    front). Chosen to start with: the latest of them on the same data and task, so that a front
    on another data set is overlaid only when asked for.
    """
    offered = [i for i in infos if i.name != current.name and i.metric == current.metric]
    same = [i.name for i in offered if same_problem(current, i)]
    return [i.name for i in offered], same[-1:]


def compare_label(info: SearchInfo, current: SearchInfo) -> str:
    """A search's name in the Compare tab's list, with its data when that is not the current
    search's: "reg-other (data diabetes.csv)"."""
    if same_problem(current, info):
        return info.name
    data = info.config.get("data") or "unknown"
    return f"{info.name} (data {data})"


# Params drawn by default in parallel coordinates: beyond about 8 axes they crowd the chart.
PARALLEL_PARAMS = 5


def parallel_axes(
    df: pd.DataFrame, importance_frame: pd.DataFrame | None = None, *, params: int = PARALLEL_PARAMS
) -> list[str]:
    """The columns parallel coordinates show by default (the metric comes on top, as the colour):
    the `params` searched params that matter most, then the search's cost objectives (the
    size if it has none).

    A param matters by its largest importance share over the objectives (`importance`), and
    among equals by how many values it took; a param with one value says nothing and is left
    out.
    """
    done = complete(df)
    imp = importance(df) if importance_frame is None else importance_frame
    share = imp.groupby("param")["importance"].max() if not imp.empty else pd.Series(dtype=float)
    varied = [c for c in df.attrs.get("params", []) if c in done and done[c].nunique() > 1]
    ranked = sorted(
        varied,
        key=lambda c: (share.get(param_label(c), 0.0), done[c].nunique()),
        reverse=True,
    )
    costs = [o for o in df.attrs.get("objectives", []) if o in X_AXES] or ["size_bytes"]
    return ranked[:params] + costs


def parallel_choices(df: pd.DataFrame) -> list[str]:
    """Every column parallel coordinates can draw: the params, then the costs that were
    measured."""
    done = complete(df)
    columns = [*df.attrs.get("params", []), *X_AXES]
    return [c for c in columns if c in done and done[c].notna().any()]


# How many characters of a search's name the sidebar's selector shows before it cuts the rest.
NAME_WIDTH = 26


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """A search's name in at most `width` characters, cut in the middle: its tail (the date and
    time of an autonn name, digits-mlp-20261125-221502) is what tells searches apart, and a
    selector cuts the end off. "california_housing-mlp-20261125-221502" becomes
    "califo…mlp-20261125-221502"."""
    if len(name) <= width:
        return name
    head = max(1, width // 4)
    return f"{name[:head]}…{name[len(name) - (width - head - 1) :]}"


def value_text(value) -> str:
    """A param's value for the page: floats in at most 4 significant digits (Optuna's stepped
    floats store 0.35 as 0.35000000000000003), anything else as it is."""
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def infeasible(df: pd.DataFrame) -> pd.Series:
    """Rows of trials that break a limit (trained, or refused before training)."""
    return df["broken_limits"].notna()


# How the page names a trial refused before training (stored PRUNED, like one stopped early).
REFUSED = "not trained: breaks a limit"


def refused(df: pd.DataFrame) -> pd.Series:
    """Rows of trials refused before training for breaking a limit: stored PRUNED, never
    trained, with their costs but no metric."""
    return infeasible(df) & (df["state"] == "PRUNED")


def stopped(df: pd.DataFrame) -> pd.Series:
    """Rows of trials the scheduler stopped early (PRUNED, but not refused)."""
    return (df["state"] == "PRUNED") & ~infeasible(df)


def space_family(config: dict) -> str:
    """The model family a search space builds, by its name: mlp, cnn, or the space file's stem."""
    spec = str(config.get("space") or "model")
    target = spec.split(":")[0]
    return Path(target).stem if "/" in target or target.endswith(".py") else target.split(".")[-1]


def complete(df: pd.DataFrame) -> pd.DataFrame:
    """The COMPLETE trials that were measured (the only ones with a size and a metric value)."""
    metric = metric_of(df)
    return df[(df["state"] == "COMPLETE") & df[metric].notna() & df["size_bytes"].notna()]


def staircase(
    df: pd.DataFrame, y: str, *, x: str = "size_bytes", metric: str | None = None
) -> pd.DataFrame:
    """The front's trials that are not beaten on (x, y): the step line drawn through the front.

    x is a cost (size by default, or flash, RAM, MACs, latency); y is the metric's column or its
    test column; better is the metric's direction (the frame's metric unless given): the line
    rises with x for accuracy and falls for rmse. With two objectives, x the cost objective and
    y the validation metric this is the whole front; on the test metric, another cost, or with a
    third objective, a front trial can be beaten on these two axes.
    """
    up = maximised(metric or metric_of(df))
    front = df[df["on_front"] & df[y].notna() & df[x].notna()].sort_values(
        [x, y], ascending=[True, not up]
    )
    sign = 1.0 if up else -1.0
    best, keep = -math.inf, []
    for idx, value in zip(front.index, front[y], strict=True):
        if sign * value > best:
            keep.append(idx)
            best = sign * value
    return front.loc[keep]


def feasible(
    df: pd.DataFrame,
    *,
    max_size: float | None,
    bound: float | None = None,
    y: str | None = None,
    metric: str | None = None,
    min_accuracy: float | None = None,
) -> pd.Series:
    """Which rows meet the constraints (a missing bound is no constraint).

    bound: on column y (the metric, or its test column), in the metric's direction: a minimum for
    accuracy, a maximum for rmse. `min_accuracy` is 0.1's name for it.
    """
    metric = metric or metric_of(df)
    y = y or metric
    bound = min_accuracy if bound is None else bound
    ok = pd.Series(True, index=df.index)
    if max_size is not None:
        ok &= df["size_bytes"] <= max_size
    if bound is not None:
        ok &= df[y] >= bound if maximised(metric) else df[y] <= bound
    return ok & df["size_bytes"].notna() & df[y].notna()


# --- hypervolume -------------------------------------------------------------------------------


# `hypervolume` (all objectives minimised) is autonn.pareto's, imported above; this section
# only puts the dashboard's objectives on comparable scales.


def normalised(df: pd.DataFrame, objectives: Sequence[str]) -> tuple[np.ndarray, list[float]]:
    """Objectives mapped to 'lower is better' in comparable units, and the reference point.

    - A metric where higher is better (accuracy, balanced_accuracy, f1_macro, r2) -> 1 - value
      (reference 1: accuracy 0, or r2 0, a model no better than predicting the mean).
    - An error metric (rmse, mae), in the target's units with no fixed scale -> value / the worst
      (largest) value among these trials, so 0 is a perfect fit and 1 the worst trial seen
      (reference 1.1, a tenth past it). It grows as the error falls.
    - Sizes and latencies -> log10, scaled so the smallest seen is 0 and the largest 1 (reference
      1.1, a tenth past the largest), since they span orders of magnitude.

    Every coordinate is at least 0 (the ideal), so the volume is at most the product of the
    reference point's coordinates: `share_of_box` divides by it.
    """
    cols, ref = [], []
    for o in objectives:
        v = df[o].to_numpy(dtype=float)
        if OBJECTIVES.get(o) == "maximize":
            cols.append(1.0 - v)
            ref.append(1.0)
        elif o in METRICS:
            worst = float(np.nanmax(v)) if len(v) else 0.0
            cols.append(v / worst if worst > 0 else np.zeros_like(v))
            ref.append(1.1)
        else:
            logs = np.log10(np.maximum(v, 1e-12))
            lo, hi = float(np.nanmin(logs)), float(np.nanmax(logs))
            cols.append((logs - lo) / (hi - lo) if hi > lo else np.zeros_like(logs))
            ref.append(1.1)
    points = np.column_stack(cols) if cols else np.empty((0, 0))
    # A score above 1 (a metric this page does not know) must not reach past the ideal point.
    return np.maximum(points, 0.0), ref


def share_of_box(points: np.ndarray, ref: Sequence[float]) -> float:
    """The hypervolume of `normalised` points as a share of the box from the ideal point (0 in
    every objective) to the reference point: in [0, 1] by construction, where the raw volume
    reaches 1.1 (accuracy x log size, reference 1 x 1.1) or 1.21 with a third objective."""
    box = float(np.prod(ref))
    return hypervolume(points, ref) / box if box > 0 else 0.0


def hypervolume_history(df: pd.DataFrame, objectives: Sequence[str] | None = None) -> pd.DataFrame:
    """Hypervolume (`share_of_box`: 0 to 1) after each finished deployable trial, in the order
    trials finished.

    Only the trials the front is chosen from count (`deployable`: complete, keeping every limit,
    clearing the search's final floor), so the last value is the volume of the front the page
    draws. Columns: finished (count of those trials so far), trial, minutes (since the first
    trial started), hypervolume. The front is kept as trials arrive: O(trials x front).
    """
    objectives = [o for o in (objectives or df.attrs.get("objectives", [])) if o in OBJECTIVES]
    if not objectives:  # a plain Optuna study: the trials' metric against size
        objectives = [metric_of(df), "size_bytes"]
    done = complete(df)
    done = done[done["deployable"]].dropna(subset=objectives)
    columns = ["finished", "trial", "minutes", "hypervolume"]
    if done.empty:
        return pd.DataFrame(columns=columns)
    done = done.sort_values(["finished", "trial"], na_position="last")
    points, ref = normalised(done, objectives)
    start = df["started"].min()
    rows, front, volume = [], np.empty((0, len(ref))), 0.0
    for i, (point, trial, end) in enumerate(
        zip(points, done["trial"], done["finished"], strict=True)
    ):
        front, changed = add_to_front(front, point)
        if changed:
            volume = share_of_box(front, ref)
        minutes = (end - start).total_seconds() / 60 if pd.notna(end) and pd.notna(start) else None
        rows.append((i + 1, int(trial), minutes, volume))
    return pd.DataFrame(rows, columns=columns)


# Bin widths for "trials finished per ...", in seconds; `time_bin` takes the first that gives at
# most MAX_BINS bars, so a 40-second search gets 2-second bars and a day-long one hours.
TIME_BINS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
MAX_BINS = 20


def time_bin(span_s: float) -> int:
    """The bin width in seconds for a search that has run `span_s` seconds."""
    return next((b for b in TIME_BINS if span_s / b <= MAX_BINS), 86400)


def duration_label(seconds: float) -> str:
    """A bin width in words: "10 s", "1 min", "2 h", "1 day"."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''}"
    return f"{seconds:g} s"


def throughput(df: pd.DataFrame) -> pd.DataFrame:
    """Trials finished per time bin, by final state; the bin width follows the search's length.

    Columns: at (the bin's start since the first trial started, in attrs["unit"]: seconds,
    minutes or hours), state, trials. attrs: bin_s, bin_label ("10 s"), unit, width (the bin in
    that unit).
    """
    ended = df[df["finished"].notna() & df["state"].isin(["COMPLETE", "PRUNED", "FAIL"])]
    if ended.empty:
        return pd.DataFrame(columns=["at", "state", "trials"])
    start = df["started"].min()
    since = (ended["finished"] - start).dt.total_seconds()
    span = float(since.max())
    width = time_bin(span)
    unit, unit_s = (
        ("seconds", 1) if span < 120 else ("minutes", 60) if span < 7200 else ("hours", 3600)
    )
    at = (since // width) * width / unit_s
    counts = ended.assign(at=at).groupby(["at", "state"]).size().rename("trials").reset_index()
    counts.attrs.update(
        bin_s=width, bin_label=duration_label(width), unit=unit, width=width / unit_s
    )
    return counts


# --- learning curves, importance -----------------------------------------------------------------


def curves(search: Search, numbers: Sequence[int]) -> pd.DataFrame:
    """The validation metric per epoch of chosen trials, in a column named by the metric
    (`attrs["metric"]`); phase: train, or fine-tune after pruning."""
    metric = search.metric
    rows = []
    wanted = set(numbers)
    for t in search.trials:
        if t.number not in wanted:
            continue
        trained = t.attrs.get("epochs") or len(t.attrs.get("curve") or [])
        for epoch, value in enumerate(t.attrs.get("curve") or [], start=1):
            phase = "train" if epoch <= trained else "fine-tune"
            rows.append((t.number, f"#{t.number} {state_word(t.state)}", epoch, value, phase))
    frame = pd.DataFrame(rows, columns=["trial", "label", "epoch", metric, "phase"])
    frame.attrs["metric"] = metric
    return frame


def importance(df: pd.DataFrame, objectives: Sequence[str] | None = None) -> pd.DataFrame:
    """How strongly each param goes with each objective, over the COMPLETE trials.

    A rank correlation (|Spearman|) for numbers and the correlation ratio (sqrt of eta squared, on
    ranks) for categories, each normalised to sum to 1 per objective. Unlike fANOVA it needs no
    model fitting, so 2,000 trials take milliseconds; like any correlation it can miss
    interactions. Columns: objective, param, importance. Empty under 2 complete trials.
    """
    objectives = [o for o in (objectives or df.attrs.get("objectives", [])) if o in df]
    done = complete(df)
    rows = []
    if len(done) < 2:
        return pd.DataFrame(columns=["objective", "param", "importance"])
    for objective in objectives:
        target = done[objective].rank()
        scores = {}
        for param in df.attrs.get("params", []):
            x = done[param]
            ok = x.notna() & target.notna()
            if ok.sum() < 2:
                continue
            scores[param] = _association(x[ok], target[ok])
        total = sum(scores.values())
        for param, score in scores.items():
            share = score / total if total > 0 else 0.0
            rows.append((objective, param_label(param), share))
    return pd.DataFrame(rows, columns=["objective", "param", "importance"])


def _association(x: pd.Series, target: pd.Series) -> float:
    if pd.api.types.is_bool_dtype(x) or not pd.api.types.is_numeric_dtype(x):
        groups = target.groupby(x.astype(str))
        total = ((target - target.mean()) ** 2).sum()
        between = (groups.count() * (groups.mean() - target.mean()) ** 2).sum()
        return float(math.sqrt(between / total)) if total > 0 else 0.0
    rx = x.rank()
    if rx.std() == 0 or target.std() == 0:
        return 0.0
    value = float(np.corrcoef(rx, target)[0, 1])
    return abs(value) if math.isfinite(value) else 0.0


# --- helpers -----------------------------------------------------------------------------------


def _row(t: TrialRecord, family: str, usable: bool, on_front: bool) -> list:
    a = t.attrs
    c = a.get("compression") or {}
    curve = a.get("curve") or []
    prune = c.get("prune", t.params.get("prune", 0.0)) or 0.0
    return [
        t.number,
        t.state,
        t.score,
        t.test_score,
        a.get(f"{t.metric}_std"),
        t.size_bytes,
        t.measured("latency_ms"),
        t.measured("flash_bytes"),
        t.measured("ram_bytes"),
        t.measured("macs"),
        a.get("fp32_bytes"),
        a.get("n_params"),
        c.get("quantize", t.params.get("quantize", "fp32")),
        prune,
        c.get("finetune_epochs", t.params.get("finetune_epochs")),
        prune > 0,
        a.get("family", family),
        a.get("epochs"),
        a.get("stopped_at_epoch"),
        curve[-1] if curve else None,
        a.get("train_seconds"),
        t.started,
        t.finished,
        None,
        a.get("fail_reason"),
        broken_text(t.broken_limits) or None,
        usable,
        on_front,
        "",
    ]


def broken_text(broken: dict[str, float], sep: str = "; ") -> str:
    """What a trial breaks, for people: "ram_bytes<=98304 by 25%; accuracy>=0.9 by 3.3%"."""
    return sep.join(f"{text} by {_percent(excess)}" for text, excess in broken.items())


def _percent(share: float) -> str:
    """0.25 -> "25%", 0.033 -> "3.3%": two digits, so a small excess does not read as 0%."""
    return f"{share * 100:.2g}%" if share < 0.1 else f"{share:.0%}"


def _hover(df: pd.DataFrame, params: list[str], metric: str) -> list[str]:
    out = []
    records = df[["trial", "state", metric, f"test_{metric}", "size_bytes", "latency_ms"]]
    spreads = df[f"{metric}_std"]
    costs = df[["flash_bytes", "ram_bytes", "macs"]].to_dict("records")
    param_rows = df[params].to_dict("records") if params else [{}] * len(df)
    rows = zip(
        records.itertuples(index=False, name=None),
        costs,
        param_rows,
        df["quantization"],
        df["prune_ratio"],
        df["fail_reason"],
        df["stopped_at_epoch"],
        df["broken_limits"],
        spreads,
        strict=True,
    )
    for (trial, state, score, test, size, lat), cost, p, q, prune, reason, stop, broken, sd in rows:
        untrained = state == "PRUNED" and isinstance(broken, str)
        lines = [f"<b>trial {trial}</b> ({'not trained' if untrained else state_word(state)})"]
        if isinstance(broken, str):
            why = "refused before training: breaks " if untrained else "breaks "
            lines.append(why + broken.replace("; ", ", "))
        if pd.notna(score):
            lines.append(
                f"val {metric} {score_text(score, metric)}"
                + (f" ± {score_text(sd, metric)} over folds" if pd.notna(sd) else "")
                + (f" · test {score_text(test, metric)}" if pd.notna(test) else "")
            )
        if pd.notna(size):
            lines.append(
                f"size {human_bytes(size)}" + (f" · {lat:.3f} ms" if pd.notna(lat) else "")
            )
        if device := _device_costs(cost):
            lines.append(device)
        if pd.notna(prune) and prune > 0:
            lines.append(f"{q}, channel-pruned {prune:.0%}")
        else:
            lines.append(f"{q}, not channel-pruned")
        if isinstance(reason, str):
            lines.append(f"failed: {reason[:80]}")
        if pd.notna(stop):
            lines.append(f"stopped early at epoch {int(stop)}")
        shown = [f"{param_label(k)}={value_text(v)}" for k, v in p.items() if not _missing(v)]
        lines += [" ".join(shown[i : i + 4]) for i in range(0, len(shown), 4)]
        out.append("<br>".join(lines))
    return out


def _device_costs(cost: dict) -> str:
    """The device costs in a line (flash 12.0 KB · RAM 3.5 KB · 1.2M MACs), or "" for a trial
    stored before autonn 0.3."""
    parts = []
    if pd.notna(cost["flash_bytes"]):
        parts.append(f"flash {human_bytes(cost['flash_bytes'])}")
    if pd.notna(cost["ram_bytes"]):
        parts.append(f"RAM {human_bytes(cost['ram_bytes'])}")
    if pd.notna(cost["macs"]):
        parts.append(f"{human_count(cost['macs'])} MACs")
    return " · ".join(parts)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def human_count(n: float) -> str:
    """A count in thousands (K), millions (M) or billions (G): 950, 12.3K, 1.5M."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"
