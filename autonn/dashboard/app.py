"""The autonn dashboard page. Widgets only: data comes from `queries`, figures from `figures`.

Run it with `autonn dashboard --storage URL` (or `python -m streamlit run dashboard/app.py
--server.address 127.0.0.1 -- --storage URL`: Streamlit's default address is every address, where
the page shows nothing without the token `autonn dashboard` makes; see `_auth`). It only reads the
database, through `autonn.store`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

try:
    import autonn.dashboard as dashboard
except ImportError:  # run from a checkout that is not installed: the repo root holds the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import autonn.dashboard as dashboard

from autonn.dashboard import _auth, figures, queries
from autonn.dashboard.queries import human_bytes
from autonn.dashboard.reads import derived, load, pareto_figure
from autonn.errors import AutonnError
from autonn.store import display_url, list_searches, state_word
from autonn.task import METRICS

TABS = ["Pareto front", "Progress", "Trials", "Analysis", "Export", "Compare"]


# --- page --------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="autonn dashboard", layout="wide")
    if not _auth.gate():  # before the database is read or named: no token, nothing shown
        return
    storage = dashboard.storage_from(sys.argv[1:], os.environ)
    st.sidebar.title("autonn")
    st.sidebar.caption(f"database: `{display_url(storage)}`")
    try:
        infos = list_searches(storage)
    except AutonnError as exc:
        st.title("autonn dashboard")
        st.warning(f"Cannot open the database. {exc}")
        st.info(
            "Start a search first, e.g. `autonn search mlp --data digits`, or point the "
            "dashboard at its database: `autonn dashboard --storage sqlite:///path/to/autonn.db`."
        )
        return
    if not infos:
        st.title("autonn dashboard")
        st.info(
            f"No search in {display_url(storage)} yet. Start one with "
            f"`autonn search mlp --data digits --storage {display_url(storage)}`; "
            "it shows up here when its first trial is stored."
        )
        st.button("Check again")
        return

    name = choose_search(infos)
    if name is None:
        return
    info = next(i for i in infos if i.name == name)
    options = sidebar_options(info)
    run_every = options["interval"] if options["live"] else None
    st.fragment(search_page, run_every=run_every)(storage, name, options)


def choose_search(infos) -> str | None:
    """The search to show: ?search=NAME in the URL, else the sidebar's choice (the latest first)."""
    names = [i.name for i in infos]
    sizes = {i.name: sum(i.counts.values()) for i in infos}
    asked = st.query_params.get("search")
    unknown = asked is not None and asked not in names
    if unknown:
        st.warning(
            f"No search named {asked!r} in this database; searches there: {', '.join(names)}. "
            "Choose one in the sidebar."
        )

    def remember() -> None:
        st.query_params["search"] = st.session_state["search"]

    name = st.sidebar.selectbox(
        "Search",
        names,
        index=None if unknown else names.index(asked) if asked in names else len(names) - 1,
        key="search",
        on_change=remember,
        placeholder="choose a search",
        # The selector cuts a long name at its end, where autonn's names differ (their time).
        format_func=queries.short_name,
    )
    if name is not None:  # the whole name, wrapped, and how big the search is
        st.sidebar.caption(f"{name} · {sizes[name]} trials")
    return name


def sidebar_options(info) -> dict:
    side = st.sidebar
    running = info.counts.get("RUNNING", 0) + info.counts.get("WAITING", 0)
    live = side.toggle(
        "Live refresh", value=running > 0, help="Re-read new and running trials on an interval."
    )
    # Only while live: one widget less to draw on every other visit.
    interval = (
        side.select_slider("every (seconds)", options=[2, 5, 10, 30, 60], value=5, key="every")
        if live
        else st.session_state.get("every", 5)
    )
    side.divider()
    metric = info.metric
    up = queries.maximised(metric)
    defaults = dict(
        live=live,
        interval=interval,
        metric=metric,
        y=metric,
        x=queries.default_x(info.objectives),
        color_by="quantization",
        show_stopped=False,
        show_failed=False,
        show_infeasible=False,
        max_size=None,
        bound=None,
    )
    # The chart's options show once asked for: every widget costs the browser time on every
    # visit (in headless Chromium the page's elements, not its data, made it slower than a bare
    # Streamlit page), and the defaults are what most visits want.
    if not side.toggle(
        "Chart options",
        help=f"Test {metric}, another cost on the x axis, colour by model family, trials that "
        "break a limit, were stopped early or failed, and constraints. Off: validation "
        f"{metric} against {queries.X_LABELS[defaults['x']]}, coloured by number format, only "
        "trials that keep the search's limits, no constraints.",
    ):
        return defaults
    which = side.radio(
        metric_title(metric),
        list(queries.score_columns(metric)),
        horizontal=True,
        help=f"The front is chosen on validation {metric}; test {metric} shows how it holds up.",
    )
    choices = queries.x_choices(info.config, info.objectives)
    x = side.radio(
        "x axis",
        choices,
        index=choices.index(defaults["x"]) if defaults["x"] in choices else 0,
        horizontal=True,
        format_func=queries.X_LABELS.get,
        help="What a trial costs to deploy: the model file (size; flash, what the device "
        "stores), the memory it runs in (RAM), the multiply-accumulates of one inference "
        "(MACs), or the measured latency. Log scale.",
    )
    color_by = side.radio("Colour by", ["quantization", "model family"], horizontal=True)
    show_infeasible = side.checkbox(
        "Show trials that break a limit",
        help="Trials that break one of the search's limits are never on the front. Trained "
        "ones show as crossed rings; those refused before training, which have no "
        f"{metric}, as triangles along the bottom.",
    )
    show_stopped = side.checkbox("Show trials stopped early")
    show_failed = side.checkbox("Show failed trials")
    side.divider()
    side.markdown("**Constraints**")
    max_kb = side.number_input(
        "max size (KB)", min_value=0.0, value=None, step=1.0, placeholder="none"
    )
    # A bound on the metric on the side its direction improves towards: "min accuracy" keeps
    # what scores at least that, "max rmse" what errs at most that.
    fraction = metric in METRICS and METRICS[metric].fraction
    limits: dict = dict(min_value=0.0, max_value=1.0, step=0.01) if fraction else {"step": 0.01}
    if not up and not fraction:
        # An error is never negative (r2 can be); its scale is the target's, so %g, not 2 decimals.
        limits = dict(min_value=0.0, format="%g")
    bound = side.number_input(
        f"{'min' if up else 'max'} {metric}",
        value=None,
        placeholder="none",
        key=f"bound-{metric}",
        **limits,
    )
    return dict(
        defaults,
        y=queries.score_columns(metric)[which],
        x=x,
        color_by="family" if color_by == "model family" else "quantization",
        show_stopped=show_stopped,
        show_failed=show_failed,
        show_infeasible=show_infeasible,
        max_size=max_kb * 1024 if max_kb else None,
        bound=bound,
    )


def metric_title(metric: str) -> str:
    """A metric's name as a heading: "Accuracy", "Balanced accuracy", "F1 macro", "rmse"."""
    if metric in ("rmse", "mae", "r2"):  # abbreviations keep the name the CLI and picks use
        return metric
    return metric.replace("_", " ").capitalize()


def search_page(storage: str, name: str, options: dict) -> None:
    try:
        live, search, df = load(storage, name)
    except AutonnError as exc:
        st.warning(f"Cannot read the search {name!r}: {exc}")
        return
    metric = queries.metric_of(df)
    if options["metric"] != metric:  # the search changed between the sidebar and this read
        options = {**options, "metric": metric, "y": metric, "bound": None}
    headline(search, df)
    done = queries.complete(df)
    y = options["y"]
    if y != metric and done[y].isna().all():
        st.info(f"These trials have no test {metric} stored; showing validation {metric}.")
        options = {**options, "y": metric}
    x = options["x"]
    if x != "size_bytes" and not done.empty and done[x].isna().all():
        st.info(f"These trials have no {queries.X_LABELS[x]} stored; showing their size.")
        options = {**options, "x": "size_bytes"}
    # Only the open tab runs (on_change="rerun"): opening the page builds one figure, not seven.
    tabs = dict(zip(TABS, st.tabs(TABS, key="tab", on_change="rerun"), strict=True))
    if tabs["Pareto front"].open:
        with tabs["Pareto front"]:
            if done.empty:
                no_complete(search)
            else:
                pareto_tab(storage, name, live, df, options)
    if tabs["Progress"].open:
        with tabs["Progress"]:
            progress_tab(storage, name, live, df)
    if tabs["Trials"].open:
        with tabs["Trials"]:
            trials_tab(df, name)
    if tabs["Analysis"].open:
        with tabs["Analysis"]:
            analysis_tab(storage, name, live, search, df, options)
    if tabs["Export"].open:
        with tabs["Export"]:
            export_tab(storage, name, search, df, options)
    if tabs["Compare"].open:
        with tabs["Compare"]:
            compare_tab(storage, name, df, options)
    st.caption(
        f"{len(df)} trials · this refresh read {live.fetched} new or unfinished trial(s)"
        + (f" · live, every {options['interval']} s" if options["live"] else "")
    )


def headline(search, df) -> None:
    config = search.info.config
    metric = queries.metric_of(df)
    st.header(search.name)
    bits = [
        f"space `{config['space']}`" if config.get("space") else None,
        f"data `{config['data']}`" if config.get("data") else None,
        f"target `{config['target']}`" if config.get("target") else None,
        "objectives: " + ", ".join(search.objectives),
        "limits: " + ", ".join(f"`{t}`" for t in search.info.limits)
        if search.info.limits
        else None,
        floor_words(search.info.floor, metric),
        f"created {config['created']}" if config.get("created") else None,
    ]
    st.caption(" · ".join(b for b in bits if b))
    counts = search.info.counts
    refused = int(queries.refused(df).sum())
    shown = {
        "trials": len(df),
        "complete": counts.get("COMPLETE", 0),
        # Refused trials are stored PRUNED too, but were never started.
        "stopped early": counts.get("PRUNED", 0) - refused,
        "failed": counts.get("FAIL", 0),
        "running": counts.get("RUNNING", 0) + counts.get("WAITING", 0),
    }
    broke = int(queries.infeasible(df).sum())
    if broke or search.info.limits:
        shown["broke a limit"] = f"{broke}" + (f" ({refused} not trained)" if refused else "")
    usable = df[df["deployable"]]
    if not usable.empty:  # the best of what may be deployed, not of what breaks a limit
        best = queries.best_value(usable[metric], metric)
        shown[f"best val {metric}"] = queries.score_text(best, metric)
        shown["smallest"] = human_bytes(usable["size_bytes"].min())
    # One line, not seven st.metric cards in columns: the browser draws the page 0.17-0.21 s
    # sooner (docs/benchmarks.md, "the headline in one line").
    st.markdown(" · ".join(f"{label} **{value}**" for label, value in shown.items()))


def floor_words(floor: tuple[float, float] | None, metric: str) -> str | None:
    """The search's floor in words: "floor 80% of the way from the trivial accuracy 0.1000 to
    the best"."""
    if floor is None:
        return None
    trivial, share = floor
    return (
        f"floor {share:.0%} of the way from the trivial {metric} "
        f"{queries.score_text(trivial, metric)} to the best"
    )


def no_complete(search) -> None:
    counts = search.info.counts
    shown = ", ".join(f"{n} {s.lower()}" for s, n in counts.items()) or "no trials"
    st.info(
        f"No trial of {search.name!r} has completed yet ({shown}). The Pareto front appears "
        "when the first trial is trained, compressed and measured; turn on Live refresh to "
        "watch for it."
    )


def pareto_tab(storage: str, name: str, live, df, options: dict) -> None:
    selected = st.session_state.get("selected_trial")
    fig = pareto_figure(
        storage,
        name,
        live,
        y=options["y"],
        x=options["x"],
        color_by=options["color_by"],
        show_stopped=options["show_stopped"],
        show_failed=options["show_failed"],
        show_infeasible=options["show_infeasible"],
        max_size=options["max_size"],
        bound=options["bound"],
        selected=selected,
    )
    event = st.plotly_chart(
        fig, key="pareto", on_select="rerun", selection_mode="points", width="stretch"
    )
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points and points[0].get("customdata"):
        clicked = int(points[0]["customdata"][0])
        if clicked != selected:
            st.session_state["selected_trial"] = clicked
            st.rerun(scope="fragment")  # draw the selection ring now, not on the next rerun
    st.caption(pareto_caption(df, options, beyond=figures.beyond_count(fig)))
    metric = options["metric"]
    front = df[df["on_front"]].sort_values("size_bytes")
    if front.empty:
        st.info(
            "No trial is on the front yet: every complete trial breaks one of the search's "
            f"limits or falls below its floor on validation {metric}."
        )
        return
    if options["max_size"] is not None or options["bound"] is not None:
        ok = queries.feasible(
            front,
            max_size=options["max_size"],
            bound=options["bound"],
            y=options["y"],
            metric=metric,
        )
        st.markdown(f"**{int(ok.sum())} of {len(front)}** front trials meet the constraints.")
        front = front.assign(feasible=ok)
    cols = [
        c
        for c in [
            "trial",
            metric,
            f"test_{metric}",
            "size_bytes",
            "flash_bytes",
            "ram_bytes",
            "macs",
            "latency_ms",
            "quantization",
            "prune_ratio",
            "n_params",
            "feasible",
        ]
        if c in front and not front[c].isna().all()
    ]
    # On demand: a table is the costliest element to draw after the chart (in headless
    # Chromium), and the chart's hover and the Export tab already show each front trial.
    if st.toggle(f"Table of the {len(front)} front trials", key="front_table"):
        st.dataframe(
            front[cols],
            hide_index=True,
            width="stretch",
            column_config=table_columns(cols, metric, floats=float_columns(front[cols])),
            placeholder="",
        )


def pareto_caption(df, options: dict, *, beyond: int = 0) -> str:
    """What the chart shows, as drawn with these options: only what is true of this search.
    beyond: how many points lie past the metric axis's worse end (`figures.beyond_count`)."""
    metric, objectives = options["metric"], df.attrs.get("objectives", [])
    better = "higher" if queries.maximised(metric) else "lower"
    words = [
        "Every complete trial"
        + ("" if options["show_infeasible"] else " that keeps the search's limits")
        + " is a point, coloured by "
        + ("number format" if options["color_by"] == "quantization" else "model family")
        + " (circle: all channels kept; light diamond: channel-pruned, i.e. compressed by "
        "removing channels). The black step line is the Pareto front: no other trial that "
        "keeps the limits is at least as good on every objective ("
        + ", ".join(objectives)
        + f") and better on one ({better} {metric} is better)."
    ]
    if df.attrs.get("limits") or df.attrs.get("floor") is not None:
        words.append(
            "Dashed lines mark the search's limits on these axes and its floor on validation "
            f"{metric}; a trial below the floor is never on the front."
        )
    broke = int(queries.infeasible(df).sum())
    if broke and not options["show_infeasible"]:
        they = (
            "1 trial breaks a limit and is"
            if broke == 1
            else f"{broke} trials break a limit and are"
        )
        words.append(
            f"{they} not drawn: 'Show trials that break a limit' under Chart options draws them."
        )
    if queries.stopped(df).any():
        words.append(
            f"Trials that {df.attrs.get('scheduler', 'the scheduler')} stopped early were not "
            f"trained to the end, so they have no final {metric} and are never on the front: "
            "'Show trials stopped early' under Chart options puts them beside the chart, "
            f"at the {metric} they reached."
        )
    if beyond:
        where = "below" if queries.maximised(metric) else "above"
        words.append(
            f"The {metric} axis spans the front and what scores better; {beyond} "
            f"{'trial scores' if beyond == 1 else 'trials score'} {where} it (arrows on its "
            "edge: hover for the value; the chart's Autoscale button shows them in place)."
        )
    words.append("Click a point to select it for export and learning curves.")
    return " ".join(words)


def progress_tab(storage: str, name: str, live, df) -> None:
    history = derived(storage, name, live.version, "hypervolume", live)
    if history.empty:
        st.info("The hypervolume starts with the first complete trial.")
    else:
        left, right = st.columns(2)
        left.plotly_chart(figures.hypervolume(history, x="finished"), width="stretch")
        if history["minutes"].notna().any():
            right.plotly_chart(figures.hypervolume(history, x="minutes"), width="stretch")
        st.caption(
            f"Hypervolume: the area the front dominates, with {hypervolume_axis(df)} and log "
            "size from the smallest model to a tenth past the largest, as a share of the box "
            "from the ideal model to that reference point (so it lies between 0 and 1). It only "
            "grows; flat stretches mean recent trials did not improve the front."
        )
    counts = derived(storage, name, live.version, "throughput", live)
    if not counts.empty:
        st.markdown(f"**Trials finished per {counts.attrs['bin_label']}**")
        st.plotly_chart(figures.throughput(counts), width="stretch")


def hypervolume_axis(df) -> str:
    """How the hypervolume measures the metric (`queries.normalised`), in words."""
    metric = queries.metric_of(df)
    if queries.maximised(metric):
        zero = "0 (no better than predicting the mean)" if metric == "r2" else "0"
        return f"{metric} from {zero} up to 1"
    return f"{metric} from a tenth past the worst trial's down to 0 (a perfect fit)"


# The trial table's first columns (for a search by accuracy; `table_order` names them for any
# metric): what fits the page's width; the rest are one click away. Columns no trial has are left
# out, so a search before autonn 0.3 (no flash, RAM, MACs, limits) shows the rest in about 900 px
# of the 1,000 a wide page has on a 1,500 px screen; the device's columns add about 350.
TABLE_COLUMNS = [
    "trial",
    "state",
    "accuracy",
    "test_accuracy",
    "size_bytes",
    "flash_bytes",
    "ram_bytes",
    "macs",
    "latency_ms",
    "quantization",
    "prune_ratio",
    "broken_limits",
    "n_params",
    "duration_s",
]


def table_order(metric: str) -> list[str]:
    names = {"accuracy": metric, "test_accuracy": f"test_{metric}"}
    return [names.get(c, c) for c in TABLE_COLUMNS]


def trials_tab(df, name: str) -> None:
    metric = queries.metric_of(df)
    first = table_order(metric)
    # A trial refused for breaking a limit is stored PRUNED, but was never started: not "stopped
    # early".
    words = df["state"].map(state_word).where(~queries.refused(df), queries.REFUSED)
    states = sorted(words.unique())
    left, right = st.columns([1, 2])
    chosen = left.multiselect("States", states, default=states)
    shown = df.assign(state=words)[words.isin(chosen)]
    available = [c for c in df.columns if c != "hover" and not shown[c].isna().all()]
    params = [c for c in df.attrs.get("params", []) if c in available]
    extra = params + [c for c in available if c not in first and c not in params]
    more = right.multiselect(
        "More columns",
        extra,
        default=[],
        format_func=queries.param_label,
        help="Every column is in the CSV download.",
    )
    columns = [c for c in first if c in available] + more
    st.dataframe(
        shown[columns],
        hide_index=True,
        width="stretch",
        height=420,
        column_config=table_columns(columns, metric, floats=float_columns(shown[columns])),
        placeholder="",  # a value a trial does not have is an empty cell, not "None"
    )
    st.download_button(
        "Download CSV",
        data=lambda: shown[available].to_csv(index=False),
        file_name=f"{name}-trials.csv",
        mime="text/csv",
    )


def float_columns(frame) -> list[str]:
    return list(frame.select_dtypes("float").columns)


def table_columns(columns: list[str], metric: str = "accuracy", floats=()) -> dict:
    """Short headers, number formats and widths (pixels), so that the columns fit the page (see
    TABLE_COLUMNS). floats: columns of floats with no format of their own (params such as lr or
    dropout), shown in at most 4 significant digits: Streamlit's default shows 0.35 stored as
    0.35000000000000003 as is and cuts lr=0.000123 to 0.0001."""
    col = st.column_config
    short = "acc" if metric == "accuracy" else metric
    digits = "%.4f" if metric in METRICS and METRICS[metric].fraction else "%.4g"
    config = {
        "trial": col.NumberColumn("trial", width=60),
        "state": col.TextColumn("state", width=110),
        metric: col.NumberColumn(f"val {short}", format=digits, width=80),
        f"test_{metric}": col.NumberColumn(f"test {short}", format=digits, width=80),
        "size_bytes": col.NumberColumn("bytes", format="%d", width=80),
        "flash_bytes": col.NumberColumn("flash", format="%d", width=75),
        "ram_bytes": col.NumberColumn("RAM", format="%d", width=75),
        "macs": col.NumberColumn("MACs", format="compact", width=70),
        "latency_ms": col.NumberColumn("latency ms", format="%.4f", width=90),
        "quantization": col.TextColumn("quantization", width=110),
        "prune_ratio": col.NumberColumn("channel-pruned", format="percent", width=115),
        "broken_limits": col.TextColumn(
            "breaks", width=130, help="The limits the trial breaks, and by how much"
        ),
        "n_params": col.NumberColumn("params", width=80),
        "duration_s": col.NumberColumn("seconds", format="%.1f", width=80),
        "started": col.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "finished": col.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
    }
    for c in floats:
        config.setdefault(c, col.NumberColumn(queries.param_label(c), format="%.4g", width=100))
    return {c: config.get(c, col.Column(queries.param_label(c), width=100)) for c in columns}


def analysis_tab(storage: str, name: str, live, search, df, options: dict) -> None:
    st.subheader("Learning curves")
    metric = queries.metric_of(df)
    with_curves = df[df[f"last_{metric}"].notna()]
    front = df[df["on_front"]].sort_values("size_bytes")["trial"].tolist()
    # Up to 6 front trials from the smallest to the best.
    spread = sorted({round(k * (len(front) - 1) / 5) for k in range(6)}) if front else []
    default = [front[i] for i in spread]
    selected = st.session_state.get("selected_trial")
    if selected is not None and selected not in default:
        default.append(selected)
    picked = st.multiselect(
        "Trials",
        with_curves["trial"].tolist(),
        default=[t for t in default if t in set(with_curves["trial"])],
    )
    if picked:
        frame = queries.curves(search, picked)
        st.plotly_chart(figures.learning_curves(frame, metric=metric), width="stretch")
        st.caption(
            f"Validation {metric} after each epoch. Solid: training (a trial that "
            f"{df.attrs.get('scheduler', 'the scheduler')} stopped early ends there). Dotted: "
            "the fine-tuning epochs after channel pruning, which recover what removing channels "
            "cost."
        )
    st.subheader("Parameter importance")
    imp = derived(storage, name, live.version, "importance", live)
    if imp.empty:
        st.info("Importance needs at least 2 complete trials.")
    else:
        st.plotly_chart(figures.importance(imp), width="stretch")
        st.caption(
            "Rank correlation of each parameter with each objective over the complete trials "
            "(correlation ratio for categories), as a share per objective."
        )
    st.subheader("Parallel coordinates")
    if len(queries.complete(df)) < 2:
        st.info("Parallel coordinates need at least 2 complete trials.")
        return
    choices = queries.parallel_choices(df)
    default = [c for c in queries.parallel_axes(df, imp) if c in choices]
    axes = st.multiselect(
        "Axes",
        choices,
        default=default,
        format_func=lambda c: figures.AXIS_LABELS.get(c, queries.param_label(c)),
        help=f"Shown first: the {queries.PARALLEL_PARAMS} params most related to the objectives "
        f"and the search's costs; {figures.y_title(options['y'], options['metric'])} is always "
        "the last axis.",
    )
    st.plotly_chart(figures.parallel(df, y=options["y"], columns=axes), width="stretch")


def export_tab(storage: str, name: str, search, df, options: dict) -> None:
    front = df[df["on_front"]].sort_values("size_bytes")
    if front.empty:
        st.info("Nothing to export yet: no trial has completed.")
        return
    metric = queries.metric_of(df)
    labels = {
        int(r["trial"]): f"trial {r['trial']} · val {metric} "
        f"{queries.score_text(r[metric], metric)} · {human_bytes(r['size_bytes'])}"
        f" · {r['quantization']}"
        for r in front.to_dict("records")
    }
    how = st.radio("Choose", ["a point on the front", "a rule"], horizontal=True)
    if how == "a rule":
        choice = pick_by_rule(search, options)
        if choice is None:
            return
        trial, pick, reason = choice
        st.write(f"`--pick {pick}` chooses **{labels.get(trial, f'trial {trial}')}**: {reason}.")
    else:
        numbers = list(labels)
        selected = st.session_state.get("selected_trial")
        index = numbers.index(selected) if selected in labels else len(numbers) - 1
        trial = st.selectbox("Front trial", numbers, index=index, format_func=labels.get)
        pick = None
    command = f"autonn export {name} OUT " + (f"--pick '{pick}'" if pick else f"--trial {trial}")
    st.caption(f"Same as `{command} --storage {display_url(storage)}`, then zipped.")
    if st.button(f"Export trial {trial}", type="primary"):
        from autonn.dashboard.exporting import export_zip

        with st.spinner(f"Exporting trial {trial}: writing and verifying the package..."):
            try:
                st.session_state["export"] = export_zip(name, storage, trial=trial, pick=pick)
            except ImportError as exc:
                st.warning(f"Export is not available in this install of autonn ({exc}).")
            except AutonnError as exc:
                st.error(f"Export failed: {exc}")
    done = st.session_state.get("export")
    if done is not None and done.search == name:
        st.success(
            f"Exported trial {done.trial} of {name}: {', '.join(done.files)}.{checked(done.result)}"
        )
        st.download_button(
            f"Download {done.file_name}",
            data=done.data,
            file_name=done.file_name,
            mime="application/zip",
        )


def checked(result) -> str:
    """What export verified, in the metric it measured ("Test rmse of the package: ...")."""
    metric = getattr(result, "metric", "accuracy")
    measured = getattr(result, "test_score", getattr(result, "test_accuracy", None))
    stored = getattr(result, "stored_test_score", getattr(result, "stored_test_accuracy", None))
    if measured is None or stored is None:
        return ""
    return (
        f" Test {metric} of the package: {queries.score_text(measured, metric)} (the search "
        f"stored {queries.score_text(stored, metric)})."
    )


def pick_by_rule(search, options: dict) -> tuple[int, str, str] | None:
    """The trial `autonn export --pick RULE` would export, chosen by the same code."""
    try:
        from autonn.package import NAMED_PICKS, choose
    except ImportError as exc:
        st.warning(f"Export is not available in this install of autonn ({exc}).")
        return None
    rules = list(NAMED_PICKS)
    if options["max_size"] is not None:
        rules.insert(0, f"size_bytes<={options['max_size']:.0f}")
    metric = options["metric"]
    if options["bound"] is not None:
        op = ">=" if queries.maximised(metric) else "<="
        rules.insert(0, f"{metric}{op}{options['bound']:g}")
    pick = st.selectbox(
        "Rule", rules, help=f"Constraints come from the sidebar; picks use validation {metric}."
    )
    try:
        record, reason = choose(
            search.trials, search.objectives, pick, search=search.name, floor=search.info.floor
        )
    except AutonnError as exc:
        st.warning(str(exc))
        return None
    return record.number, pick, reason


def compare_tab(storage: str, name: str, df, options: dict) -> None:
    metric = options["metric"]
    try:
        infos = {i.name: i for i in list_searches(storage)}
    except AutonnError as exc:
        st.warning(str(exc))
        return
    current = infos.get(name)
    if current is None:  # removed from the database since this page read it
        st.warning(f"The search {name!r} is no longer in this database.")
        return
    others, default = queries.compare_choices(current, list(infos.values()))
    if not others:
        st.info(
            "This database holds only one search; run another to compare fronts."
            if len(infos) < 2
            else f"No other search here is by {metric}; fronts compare on the same metric."
        )
        return
    if queries.complete(df).empty:
        st.info(f"{name!r} has no complete trial yet, so no front to compare.")
        return
    data = current.config.get("data") or "unknown data"
    picked = st.multiselect(
        "Compare with",
        others,
        default=default,
        format_func=lambda n: queries.compare_label(infos[n], current),
        help=f"Searches by {metric}. Those on other data (named with it) are offered, not chosen: "
        "their fronts measure another problem.",
    )
    if not picked:
        st.info(
            f"No other search by {metric} here is on `{data}`; choose one above to overlay its "
            "front all the same."
            if not default
            else "Choose a search above to overlay its front."
        )
        return
    frames = {name: df}
    for other in picked:
        try:
            frames[other] = load(storage, other)[2]
        except AutonnError as exc:
            st.warning(f"Cannot read {other!r}: {exc}")
    st.plotly_chart(figures.compare(frames, y=options["y"], x=options["x"]), width="stretch")


main()
