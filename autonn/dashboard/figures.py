"""The dashboard's plotly figures, built from the frames in `queries`. Pure: no Streamlit.

Plain SVG scatter traces (not WebGL): 2,000 points draw quickly, and the page renders the same in
a headless browser without a GPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from autonn.dashboard import queries
from autonn.store import state_word
from autonn.task import METRICS

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D"]
# Four clearly different hues (fp16 was a teal next to fp32's blue), each a dark/light pair from
# ColorBrewer ("Paired"; "PiYG" for the pink, as Paired's light purple is close to its light
# blue). A channel-pruned group takes the light member and a diamond: it differs from its own
# group by lightness and shape, and from the other groups by hue.
QUANT_COLORS = {
    "fp32": "#1F78B4",
    "fp16": "#33A02C",
    "int8-dynamic": "#FF7F00",
    "int8-static": "#C51B7D",
}
LIGHT = {"#1F78B4": "#A6CEE3", "#33A02C": "#B2DF8A", "#FF7F00": "#FDBF6F", "#C51B7D": "#F1B6DA"}
CHANNEL_PRUNED = "channel-pruned"
FRONT_COLOR = "#111111"
FEASIBLE_COLOR = "#2CA02C"
# Trials that break a limit: a crossed ring in brick red, apart from every format's colour (and
# from the failed trials' plain red x beside the chart); the limits' lines share the colour.
LIMIT_COLOR = "#A0522D"
LIMIT_SYMBOL = "circle-x-open"
REFUSED_SYMBOL = "triangle-down-open"  # refused before training: no metric, drawn at the bottom
FLOOR_COLOR = "#777777"
Y_TITLES = {"accuracy": "validation accuracy", "test_accuracy": "test accuracy"}
AXIS_LABELS = {
    "size_bytes": "size",
    "latency_ms": "latency ms",
    "flash_bytes": "flash",
    "ram_bytes": "RAM",
    "macs": "MACs",
    **Y_TITLES,
}
X_TITLES = {
    "size_bytes": "deployed size",
    "flash_bytes": "flash",
    "ram_bytes": "RAM",
    "macs": "multiply-accumulates (MACs)",
    "latency_ms": "latency",
}


def y_title(y: str, metric: str) -> str:
    """How an axis names a metric column: "validation rmse" for rmse, "test rmse" for test_rmse."""
    if y == metric:
        return f"validation {metric}"
    if y == f"test_{metric}":
        return f"test {metric}"
    return AXIS_LABELS.get(y, queries.param_label(y))


LOG_AXES = ("latency_ms", "lr", "weight_decay")
# No plotly template: Streamlit's theme styles the charts (and a template costs 15 ms a figure).
_LAYOUT = dict(
    margin=dict(l=60, r=20, t=40, b=50),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    hoverlabel=dict(align="left"),
)


def pareto(
    df: pd.DataFrame,
    *,
    y: str | None = None,
    x: str = "size_bytes",
    color_by: str = "quantization",
    show_stopped: bool = False,
    show_failed: bool = False,
    show_infeasible: bool = False,
    max_size: float | None = None,
    bound: float | None = None,
    selected: int | None = None,
    min_accuracy: float | None = None,
) -> go.Figure:
    """A cost (log x: size by default, or flash, RAM, MACs, latency) against the search's metric:
    every measured trial, the deployable front joined as a step line.

    y: the metric's column (the default) or its test column. bound: a limit on y in the metric's
    direction (a minimum accuracy, a maximum rmse; `min_accuracy` is 0.1's name for it).
    Colour: quantization level or model family; marker: circle = not channel-pruned, diamond =
    channel-pruned (in a lighter shade of its group's colour). The search's own limits on x or y
    are dashed lines with their text, its floor a dashed line labelled "floor".
    Trials that break a limit are left out unless `show_infeasible`: then a crossed ring, and
    those refused before training (no metric) a triangle along the bottom, at their cost.
    Trials stopped early or failed go in a strip on the right, at the value they reached, when
    asked for. The metric axis spans the front and what is better (`y_range`); a point past its
    worse end is an arrow on that end. customdata[0] of every point is its trial number.
    """
    metric = queries.metric_of(df)
    y = y or metric
    bound = min_accuracy if bound is None else bound
    side = (show_stopped or show_failed) and _side_rows(df, show_stopped, show_failed).any()
    fig = (
        make_subplots(
            rows=1, cols=2, shared_yaxes=True, column_widths=[0.86, 0.14], horizontal_spacing=0.02
        )
        if side
        else go.Figure()
    )
    cell = dict(row=1, col=1) if side else {}
    measured = queries.complete(df)
    measured = measured[measured[y].notna() & measured[x].notna()]
    broken = queries.infeasible(measured)
    done = measured[~broken]
    shown = [done[y], measured.loc[broken, y] if show_infeasible else None]
    if show_stopped:
        shown.append(df.loc[queries.stopped(df), f"last_{metric}"])
    span = y_range(df, y, metric, shown=shown, bound=bound)
    edge = _worse_end(span, metric) if span else _worst(df, y, metric)
    colors = _colors(done[color_by]) if color_by in done else {}
    constrained = max_size is not None or bound is not None
    if constrained and not done.empty:
        _feasible_region(fig, done, x, y, metric, max_size, bound, cell)
    for (group, pruned), part in done.groupby([color_by, "channel_pruned"], sort=True):
        color = colors.get(group, PALETTE[0])
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="markers",
                name=f"{group} · {CHANNEL_PRUNED}" if pruned else str(group),
                legendgroup=str(group),
                marker=dict(
                    color=light(color) if pruned else color,
                    symbol="diamond" if pruned else "circle",
                    size=9 if pruned else 7,
                    opacity=0.85 if pruned else 0.7,
                    # The light diamonds keep an outline in the group's colour against white.
                    line=dict(width=1 if pruned else 0, color=color),
                ),
                customdata=_custom(part),
                hovertemplate="%{customdata[1]}<extra></extra>",
                error_y=_spread(part, y, metric),
            ),
            **cell,
        )
    xs = [done[x]]
    if show_infeasible:
        xs += _infeasible(fig, df, measured[broken], x, y, edge, cell)
    line = queries.staircase(done, y, x=x, metric=metric)
    if not line.empty:
        _front_line(fig, line, x, y, metric, max_size, bound, cell)
    drawn = measured if show_infeasible else done
    if selected is not None and selected in set(drawn["trial"]):
        row = drawn[drawn["trial"] == selected].iloc[0]
        fig.add_trace(
            go.Scatter(
                x=[row[x]],
                y=[_clamp(row[y], span)],
                mode="markers",
                name=f"trial {selected}",
                marker=dict(size=18, symbol="circle-open", color="#D62728", line=dict(width=3)),
                hoverinfo="skip",
            ),
            **cell,
        )
    if side:
        _side_strip(fig, df, metric, show_stopped, show_failed, edge)
    xs += _limit_lines(fig, df, x, y, metric, cell)
    _x_axis(fig, x, pd.concat(xs), cell)
    fig.update_yaxes(title_text=y_title(y, metric), **cell)
    if span:
        _mark_beyond(fig, span, metric, side)
        fig.update_yaxes(range=list(span))  # both cells: the strip shares the axis
    fig.update_layout(**_LAYOUT, height=520, clickmode="event+select", dragmode="zoom")
    return fig


def _spread(part: pd.DataFrame, y: str, metric: str) -> dict | None:
    """Error bars of one standard deviation over folds, for trials scored by k-fold."""
    spread = part.get(f"{metric}_std")
    if y != metric or spread is None or spread.isna().all():
        return None
    return dict(type="data", array=spread.fillna(0), thickness=1, width=0)


def _custom(part: pd.DataFrame) -> np.ndarray:
    """customdata of a trace: each point's trial number and hover text."""
    return np.stack([part["trial"], part["hover"]], axis=-1)


def _front_line(fig, line, x, y, metric, max_size, bound, cell) -> None:
    constrained = max_size is not None or bound is not None
    ok = (
        queries.feasible(line, max_size=max_size, bound=bound, y=y, metric=metric)
        if constrained
        else pd.Series(True, index=line.index)
    )
    pruned = line["channel_pruned"].astype(bool).to_numpy()
    fig.add_trace(
        go.Scatter(
            x=line[x],
            y=line[y],
            mode="lines+markers",
            line=dict(shape="hv", color=FRONT_COLOR, width=2),
            name=f"Pareto front ({len(line)})",
            # Open rings of the trial's own shape: a channel-pruned diamond stays a diamond
            # inside its ring (a round ring hid its corners), and its colour shows through.
            marker=dict(
                symbol=np.where(pruned, "diamond-open", "circle-open"),
                size=np.where(pruned, 17, 15),
                color=np.where(ok, FEASIBLE_COLOR if constrained else FRONT_COLOR, "#BBBBBB"),
                line=dict(width=2.5),
            ),
            customdata=_custom(line),
            hovertemplate="<b>on the front</b><br>%{customdata[1]}<extra></extra>",
        ),
        **cell,
    )


def _infeasible(fig, df, trained, x, y, bottom, cell) -> list[pd.Series]:
    """Trials that break a limit: trained ones where they scored, refused ones (never trained,
    so no metric) along the metric axis's worse end (`bottom`: the bottom for accuracy, the top
    for rmse), at their cost. Returns their x values, for the axis."""
    refused = df[queries.refused(df) & df[x].notna()]
    if not trained.empty:
        fig.add_trace(
            go.Scatter(
                x=trained[x],
                y=trained[y],
                mode="markers",
                name=f"breaks a limit ({len(trained)})",
                marker=dict(symbol=LIMIT_SYMBOL, color=LIMIT_COLOR, size=9, line=dict(width=1.5)),
                customdata=_custom(trained),
                hovertemplate="%{customdata[1]}<extra></extra>",
            ),
            **cell,
        )
    if not refused.empty:
        fig.add_trace(
            go.Scatter(
                x=refused[x],
                y=np.full(len(refused), bottom),
                mode="markers",
                name=f"breaks a limit, not trained ({len(refused)})",
                marker=dict(symbol=REFUSED_SYMBOL, color=LIMIT_COLOR, size=8, line=dict(width=1)),
                cliponaxis=False,  # on the axis's end: drawn whole, not cut in half
                customdata=_custom(refused),
                hovertemplate="%{customdata[1]}<extra></extra>",
            ),
            **cell,
        )
    return [trained[x], refused[x]]


def _limit_lines(fig, df, x, y, metric, cell) -> list[pd.Series]:
    """The search's limits on the plotted axes as dashed lines with their text, and the floor on
    the validation metric. Returns the x limits' bounds, so that the axis reaches them."""
    bounds = []
    for limit in queries.limits_on(df, x):
        fig.add_vline(x=limit.bound, line=dict(color=LIMIT_COLOR, dash="dash", width=1.5), **cell)
        # An annotation's x on a log axis is the log of the value (a shape's is the value).
        fig.add_annotation(
            x=math.log10(limit.bound) if limit.bound > 0 else 0,
            y=1,
            xref="x",
            yref="y domain",
            text=limit.text,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            xshift=3,
            font=dict(color=LIMIT_COLOR, size=11),
        )
        bounds.append(limit.bound)
    if y == metric:  # limits and the floor hold on the validation metric, not on test
        lines = [(lim.bound, lim.text, LIMIT_COLOR, 0, "left") for lim in queries.limits_on(df, y)]
        if df.attrs.get("floor") is not None:
            lines.append((df.attrs["floor"], "floor", FLOOR_COLOR, 1, "right"))
        for value, text, color, at, anchor in lines:
            fig.add_hline(y=value, line=dict(color=color, dash="dash", width=1.5), **cell)
            fig.add_annotation(
                x=at,
                y=value,
                xref="x domain",
                yref="y",
                text=text,
                showarrow=False,
                xanchor=anchor,
                yanchor="bottom",
                font=dict(color=color, size=11),
            )
    return [pd.Series(bounds, dtype=float)]


def _x_axis(fig: go.Figure, x: str, values: pd.Series, cell: dict) -> None:
    """A log cost axis whose ticks carry units: "2 KB" for bytes, "20K" for MACs, "500 µs" for
    latency (plotly's own read "2 3 ... 10k 2")."""
    fig.update_xaxes(type="log", title_text=f"{X_TITLES.get(x, x)} (log scale)", **cell)
    values = values.dropna()
    values = values[values > 0]
    if values.empty:
        return
    lo, hi = float(values.min()), float(values.max())
    ticks = count_ticks if x == "macs" else ms_ticks if x == "latency_ms" else size_ticks
    tickvals, text = ticks(lo, hi)
    # The outer ticks bound the axis, so the smallest and largest labels are always drawn.
    first, last = math.log10(tickvals[0]), math.log10(tickvals[-1])
    pad = 0.03 * (last - first or 1)
    fig.update_xaxes(tickvals=tickvals, ticktext=text, range=[first - pad, last + pad], **cell)


def size_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick positions (bytes) and labels ("512 B", "2 KB", "1.5 MB") for a log axis over [lo, hi].

    Steps of 1-2-5 in binary units (1 KB = 1024 B, as `human_bytes` prints), finer (1-1.5-2-3-
    4-5-7) when the sizes span under a decade, with one tick either side so the data sits inside.
    """
    return log_ticks(lo, hi, base=1024, units=("B", "KB", "MB", "GB"))


def count_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a count (MACs) in decimal units: "500", "2K", "1.5M"."""
    return log_ticks(lo, hi, base=1000, units=("", "K", "M", "G"), sep="")


def ms_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a latency given in milliseconds: "20 µs", "500 µs", "2 ms", "1 s"."""
    return log_ticks(lo, hi, base=1000, units=("µs", "ms", "s"), smallest=1e-3)


def log_ticks(
    lo: float,
    hi: float,
    *,
    base: float,
    units: tuple[str, ...],
    sep: str = " ",
    smallest: float = 1.0,
) -> tuple[list[float], list[str]]:
    """Ticks of 1-2-5 (1-1.5-2-3-4-5-7 within a decade) times 1, 10, 100 of each unit, a unit
    being `base` times the one before and the first worth `smallest`; one tick either side of
    [lo, hi] so the data sits inside. Labels read mantissa and unit: "700 KB", "1.5M"."""
    lo, hi = max(min(lo, hi), smallest), max(lo, hi, smallest)
    steps = (1, 2, 5) if math.log10(hi / lo) > 1 else (1, 1.5, 2, 3, 4, 5, 7)
    # Each unit's mantissas stay under 1000: 1 B ... 700 B, then 1 KB ... 700 KB.
    candidates = sorted(
        (step * 10**e * smallest * base**u, f"{step * 10**e:g}{sep}{unit}")
        for u, unit in enumerate(units)
        for e in range(3)
        for step in steps
    )
    below = [c for c in candidates if c[0] <= lo]
    above = [c for c in candidates if c[0] >= hi]
    first = below[-1][0] if below else candidates[0][0]
    last = above[0][0] if above else candidates[-1][0]
    chosen = [c for c in candidates if first <= c[0] <= last]
    return [v for v, _ in chosen], [t for _, t in chosen]


def light(color: str) -> str:
    """The light partner of a group's colour (#RRGGBB): its Paired partner, else half-way to
    white."""
    if color in LIGHT:
        return LIGHT[color]
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * 0.55):02X}" for c in (r, g, b))


def _side_rows(df: pd.DataFrame, stopped: bool, failed: bool) -> pd.Series:
    """The trials the strip beside the chart shows: stopped early, failed, or both."""
    rows = pd.Series(False, index=df.index)
    if stopped:
        rows |= queries.stopped(df)
    if failed:
        rows |= df["state"] == "FAIL"
    return rows


def _side_strip(
    fig: go.Figure, df: pd.DataFrame, metric: str, stopped: bool, failed: bool, bottom: float
) -> None:
    # Trials refused for breaking a limit are PRUNED too, but were never started: they go with
    # the trials that break a limit, not here.
    for rows, label, symbol, color in (
        (queries.stopped(df) if stopped else None, "stopped early", "x-thin-open", "#888888"),
        (df["state"] == "FAIL" if failed else None, "failed", "x", "#D62728"),
    ):
        if rows is None or not rows.any():
            continue
        part = df[rows]
        # A stopped trial sits at the validation metric it reached; a failed one, which has
        # none, on the axis's worse end (not at 0, which would squash the chart).
        last = part[f"last_{metric}"]
        ys = last.fillna(bottom) if label == "stopped early" else np.full(len(part), bottom)
        fig.add_trace(
            go.Scatter(
                x=[label] * len(part),
                y=ys,
                mode="markers",
                cliponaxis=False,
                name=f"{label} ({len(part)})",
                marker=dict(symbol=symbol, color=color, size=7, line=dict(width=1, color=color)),
                customdata=_custom(part),
                hovertemplate="%{customdata[1]}<extra></extra>",
            ),
            row=1,
            col=2,
        )
    # Not "no size": since autonn 0.3 a stopped trial has its costs, only not a final metric.
    fig.update_xaxes(type="category", row=1, col=2, title_text="not fully trained")


# The metric axis's margin beyond what it must show, as a share of that span.
Y_MARGIN = 0.05


def y_range(
    df: pd.DataFrame,
    y: str,
    metric: str,
    *,
    shown: list[pd.Series | None],
    bound: float | None = None,
) -> tuple[float, float] | None:
    """The Pareto plot's metric axis: from the worse end of the deployable front, or of the
    dashed lines drawn across it (the floor, the search's limits on y, the page's own bound), to
    the best value shown, with a margin of `Y_MARGIN` of that span.

    Trials far below the floor would otherwise stretch the axis (0.3 to 1 for a front at
    0.85-0.99); those are marked on the axis's end instead (`_mark_beyond`). With no front and
    no line, the axis spans every value shown. None when nothing has a value.
    """
    up = queries.maximised(metric)
    values = pd.concat([s for s in shown if s is not None] or [pd.Series(dtype=float)]).dropna()
    anchors = [float(v) for v in df.loc[df["on_front"], y].dropna()]
    if y == metric:  # limits and the floor hold on the validation metric only
        anchors += [lim.bound for lim in queries.limits_on(df, y)]
        if df.attrs.get("floor") is not None:
            anchors.append(df.attrs["floor"])
    anchors += [bound] if bound is not None else []
    worse = (min if up else max)(anchors or values, default=None)
    if worse is None:
        return None
    better = (max if up else min)([*values, *anchors])
    lo, hi = sorted((float(worse), float(better)))
    pad = Y_MARGIN * ((hi - lo) or abs(hi) or 1.0)
    return lo - pad, hi + pad


def _worse_end(span: tuple[float, float], metric: str) -> float:
    """The axis's end where the worst values go: the bottom for accuracy, the top for rmse."""
    return span[0] if queries.maximised(metric) else span[1]


def _clamp(value: float, span: tuple[float, float] | None) -> float:
    return value if span is None else min(max(value, span[0]), span[1])


BEYOND_SYMBOLS = {True: "arrow-down", False: "arrow-up"}  # by whether the metric is maximised


def _mark_beyond(fig: go.Figure, span: tuple[float, float], metric: str, side: bool) -> None:
    """An arrow on the axis's worse end for each point drawn past it, in the point's colour:
    no trial is clipped without a mark, and its hover gives its value. One legend entry for the
    chart and the strip beside it."""
    up = queries.maximised(metric)
    where = "below" if up else "above"
    cells = [("x", dict(row=1, col=1) if side else {}), ("x2", dict(row=1, col=2))]
    marks = [(_beyond(fig, axis, span, up), cell) for axis, cell in cells]
    total = sum(len(xs) for (xs, _, _), _ in marks)
    for (xs, colors, custom), cell in marks:
        if not xs:
            continue
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=np.full(len(xs), _worse_end(span, metric)),
                mode="markers",
                name=f"{where} the axis ({total})",
                legendgroup="beyond",
                showlegend=not any(t.legendgroup == "beyond" for t in fig.data),
                marker=dict(symbol=BEYOND_SYMBOLS[up], color=colors, size=9),
                cliponaxis=False,
                customdata=np.array(custom, dtype=object),
                hovertemplate=f"<b>{where} the axis</b><br>%{{customdata[1]}}<extra></extra>",
            ),
            **cell,
        )


def beyond_count(fig: go.Figure) -> int:
    """How many points `pareto` drew as arrows past the metric axis's worse end."""
    return sum(len(t.x) for t in fig.data if t.legendgroup == "beyond")


def _beyond(fig: go.Figure, axis: str, span: tuple[float, float], up: bool) -> tuple:
    """The x, colour and customdata of the points on one x axis drawn past the worse end."""
    xs, colors, custom = [], [], []
    for trace in fig.data:
        if trace.type != "scatter" or trace.customdata is None or (trace.xaxis or "x") != axis:
            continue
        ys = np.array(trace.y, dtype=float)
        color = trace.marker.color
        for i in np.flatnonzero(ys < span[0] if up else ys > span[1]):
            xs.append(trace.x[i])
            colors.append(color if isinstance(color, str) else PALETTE[0])
            custom.append(trace.customdata[i])
    return xs, colors, custom


def _worst(df: pd.DataFrame, y: str, metric: str) -> float:
    """The worst value shown: the lowest accuracy, the highest rmse."""
    stopped = df.loc[queries.stopped(df), f"last_{metric}"]
    shown = pd.concat([queries.complete(df)[y], stopped]).dropna()
    if shown.empty:
        return 0.0
    return float(shown.min() if queries.maximised(metric) else shown.max())


def _feasible_region(fig, done, x, y, metric, max_size, bound, cell) -> None:
    """Shade what meets the constraints: up to the size limit (when x is the size), and on the
    good side of the metric's bound (above a minimum accuracy, below a maximum rmse)."""
    on_size = max_size is not None and x == "size_bytes"
    x_hi = max_size if on_size else float(done[x].max()) * 2
    x_lo = float(done[x].min()) / 2
    lo, hi = float(done[y].min()), float(done[y].max())
    fraction = metric in METRICS and METRICS[metric].fraction
    if queries.maximised(metric):
        y0 = bound if bound is not None else lo
        y1 = max(1.0, hi) if fraction else hi + 0.05 * (hi - lo or 1.0)
    else:
        y0 = lo - 0.05 * (hi - lo or 1.0)
        y1 = bound if bound is not None else hi
    fig.add_shape(
        type="rect",
        x0=x_lo,
        x1=x_hi,
        y0=y0,
        y1=y1,
        fillcolor=FEASIBLE_COLOR,
        opacity=0.08,
        line=dict(width=0),
        layer="below",
        **cell,
    )
    if on_size:
        fig.add_vline(x=max_size, line=dict(color=FEASIBLE_COLOR, dash="dash", width=1), **cell)
    if bound is not None:
        fig.add_hline(y=bound, line=dict(color=FEASIBLE_COLOR, dash="dash", width=1), **cell)


def _colors(groups: pd.Series) -> dict:
    names = sorted(groups.dropna().unique(), key=str)
    known = {g: QUANT_COLORS[g] for g in names if g in QUANT_COLORS}
    rest = [g for g in names if g not in known]
    return {**known, **{g: PALETTE[i % len(PALETTE)] for i, g in enumerate(rest)}}


def compare(
    frames: Mapping[str, pd.DataFrame], *, y: str | None = None, x: str = "size_bytes"
) -> go.Figure:
    """Deployable fronts of several searches overlaid, each search's other trials that keep its
    limits faint behind its front.

    y: the first search's metric column (the default) or its test column; each search draws its
    own metric's column of that kind (the page compares searches by the same metric). x: a cost,
    as in `pareto`.
    """
    fig = go.Figure()
    first = queries.metric_of(next(iter(frames.values()))) if frames else "accuracy"
    y = y or first
    kind = "test" if y == f"test_{first}" else "validation"
    xs = []
    for i, (name, df) in enumerate(frames.items()):
        color = PALETTE[i % len(PALETTE)]
        metric = queries.metric_of(df)
        col = queries.score_columns(metric)[kind]
        done = queries.complete(df)
        done = done[~queries.infeasible(done)]
        done = done[done[col].notna() & done[x].notna()] if col in done else done.iloc[:0]
        xs.append(done[x])
        fig.add_trace(
            go.Scatter(
                x=done[x],
                y=done[col],
                mode="markers",
                name=f"{name}: trials",
                legendgroup=name,
                marker=dict(color=color, size=5, opacity=0.25),
                customdata=_custom(done),
                hovertemplate=f"{name}<br>%{{customdata[1]}}<extra></extra>",
            )
        )
        line = queries.staircase(done, col, x=x, metric=metric)
        fig.add_trace(
            go.Scatter(
                x=line[x],
                y=line[col],
                mode="lines+markers",
                name=f"{name}: front ({len(line)})",
                legendgroup=name,
                line=dict(shape="hv", color=color, width=2.5),
                marker=dict(color=color, size=9, line=dict(color="white", width=1)),
                customdata=_custom(line),
                hovertemplate=f"{name}<br>%{{customdata[1]}}<extra></extra>",
            )
        )
    _x_axis(fig, x, pd.concat(xs) if xs else pd.Series(dtype=float), {})
    fig.update_yaxes(title_text=y_title(y, first))
    fig.update_layout(**_LAYOUT, height=480)
    return fig


def hypervolume(history: pd.DataFrame, *, x: str = "finished") -> go.Figure:
    """Hypervolume against COMPLETE trials finished (x="finished") or wall-clock minutes."""
    titles = {"finished": "complete trials finished", "minutes": "minutes since the first trial"}
    fig = go.Figure(
        go.Scatter(
            x=history[x],
            y=history["hypervolume"],
            mode="lines",
            line=dict(shape="hv", color=PALETTE[0], width=2),
            customdata=history["trial"],
            hovertemplate="after trial %{customdata}: %{y:.4f}<extra></extra>",
            name="hypervolume",
        )
    )
    fig.update_xaxes(title_text=titles.get(x, x))
    fig.update_yaxes(title_text="hypervolume (normalised)")
    fig.update_layout(**_LAYOUT, height=320, showlegend=False)
    return fig


def throughput(counts: pd.DataFrame) -> go.Figure:
    """Trials finished per time bin (queries.throughput picks it), stacked by how they ended."""
    colors = {"COMPLETE": PALETTE[2], "PRUNED": "#AAAAAA", "FAIL": PALETTE[3]}
    width = counts.attrs.get("width", 1.0)
    fig = go.Figure()
    for state, part in counts.groupby("state", sort=False):
        fig.add_trace(
            go.Bar(
                x=part["at"] + width / 2,  # a bar covers its bin, from its start
                y=part["trials"],
                width=width * 0.9,
                name=state_word(str(state)),
                marker_color=colors.get(state),
            )
        )
    unit = counts.attrs.get("unit", "minutes")
    fig.update_xaxes(title_text=f"{unit} since the first trial started", rangemode="tozero")
    fig.update_yaxes(title_text=f"trials finished per {counts.attrs.get('bin_label', 'bin')}")
    fig.update_layout(**_LAYOUT, height=320, barmode="stack")
    return fig


def learning_curves(frame: pd.DataFrame, *, metric: str | None = None) -> go.Figure:
    """The validation metric per epoch (`queries.curves`; its column is named by the metric);
    the fine-tuning after channel pruning is drawn dotted, and a legend entry says so."""
    column = queries.metric_of(frame)
    metric = metric or column
    fig = go.Figure()
    for i, (label, part) in enumerate(frame.groupby("label", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        for phase, dash in (("train", "solid"), ("fine-tune", "dot")):
            seg = part[part["phase"] == phase]
            if phase == "fine-tune" and not seg.empty:
                seg = pd.concat([part[part["phase"] == "train"].tail(1), seg])
            if seg.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=seg["epoch"],
                    y=seg[column],
                    mode="lines+markers",
                    name=label if phase == "train" else f"{label} fine-tune",
                    legendgroup=label,
                    showlegend=phase == "train",
                    line=dict(color=color, dash=dash),
                    marker=dict(size=4),
                )
            )
    if (frame["phase"] == "fine-tune").any():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="dotted: fine-tuning after channel pruning",
                line=dict(color="#555555", dash="dot"),
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=f"validation {metric}")
    fig.update_layout(**_LAYOUT, height=380)
    return fig


def importance(frame: pd.DataFrame) -> go.Figure:
    """Param importance as horizontal bars, one colour per objective."""
    fig = go.Figure()
    order = (
        frame.groupby("param")["importance"].max().sort_values().index.tolist()
        if not frame.empty
        else []
    )
    for i, (objective, part) in enumerate(frame.groupby("objective", sort=False)):
        part = part.set_index("param").reindex(order)
        fig.add_trace(
            go.Bar(
                y=order,
                x=part["importance"],
                orientation="h",
                name=objective,
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    fig.update_xaxes(title_text="importance (share per objective)")
    fig.update_layout(**_LAYOUT, height=max(260, 28 * len(order) + 120), barmode="group")
    return fig


def parallel(
    df: pd.DataFrame, *, y: str | None = None, columns: Sequence[str] | None = None
) -> go.Figure:
    """Params and objectives of the COMPLETE trials on parallel axes, coloured by `y` (the
    search's metric unless given), which is the last axis.

    columns: the axes before y (`queries.parallel_axes` chooses a few); all params and costs by
    default. Labels are the params' own names, tilted so that a dozen axes do not overlap; bytes,
    MACs and latency go on log axes with their units on the ticks, a whole-number param with a
    few values (depth 1-3) is ticked at whole numbers only, and a float category reads in at most
    4 significant digits.
    """
    metric = queries.metric_of(df)
    y = y or metric
    done = queries.complete(df)
    dims = []
    shown = [*df.attrs.get("params", []), *queries.X_AXES] if columns is None else list(columns)
    for col in [*(c for c in shown if c != y), y]:
        if col not in done or done[col].isna().all():
            continue
        values = done[col]
        label = y_title(col, metric) if col == y else AXIS_LABELS.get(col, queries.param_label(col))
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            dims.append(_numeric_dimension(col, label, values))
        else:
            text = values.map(lambda v: "-" if pd.isna(v) else queries.value_text(v))
            cats = sorted(text.unique())
            codes = text.map({c: i for i, c in enumerate(cats)})
            dims.append(
                dict(label=label, values=codes, tickvals=list(range(len(cats))), ticktext=cats)
            )
    fig = go.Figure(
        go.Parcoords(
            line=dict(
                color=done[y],
                colorscale="Viridis",
                showscale=True,
                colorbar=dict(title=y_title(y, metric)),
            ),
            dimensions=dims,
            labelangle=-30,
            labelside="top",
        )
    )
    fig.update_layout(margin=dict(l=60, r=80, t=130, b=30), height=540)
    return fig


# Units on a log axis of parallel coordinates, by column.
_UNIT_TICKS = {
    **{c: size_ticks for c in ("size_bytes", "flash_bytes", "ram_bytes")},
    "macs": count_ticks,
}
# A whole-number axis spanning at most this many values gets a tick at each.
MAX_INTEGER_TICKS = 12


def _numeric_dimension(col: str, label: str, values: pd.Series) -> dict:
    positive = bool((values.dropna() > 0).all())
    if col in _UNIT_TICKS and positive:
        lo, hi = float(values.min()), float(values.max())
        ticks, text = _UNIT_TICKS[col](lo, hi)
        inside = [(t, x) for t, x in zip(ticks, text, strict=True) if lo <= t <= hi]
        return dict(
            label=label,
            values=np.log10(values),
            tickvals=[math.log10(t) for t, _ in inside],
            ticktext=[x for _, x in inside],
        )
    if col in LOG_AXES and positive:
        return dict(label=f"{label} (log10)", values=np.log10(values), tickformat=".3~g")
    filled = values.fillna(values.min())
    known = values.dropna()
    whole = bool((known == known.round()).all())
    if whole and known.max() - known.min() < MAX_INTEGER_TICKS:
        # Plotly's own ticks would read 1, 1.2, 1.4 ... on a param that is only ever 1, 2 or 3.
        ticks = list(range(int(known.min()), int(known.max()) + 1))
        return dict(label=label, values=filled, tickvals=ticks, ticktext=[str(t) for t in ticks])
    return dict(label=label, values=filled, tickformat=".3~g")
