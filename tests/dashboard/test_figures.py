"""The dashboard's figures hold the points and highlights they claim to."""

from __future__ import annotations

import itertools
import math

import pytest

from autonn.dashboard import figures, queries

FRONT = "Pareto front"


@pytest.fixture
def df(mk):
    return queries.trials_frame(mk.search(mk.hand))


def traces(fig, prefix: str):
    return [t for t in fig.data if (t.name or "").startswith(prefix)]


def plotted_trials(fig) -> set[int]:
    """Trial numbers drawn as ordinary points (not the front line or the selection ring)."""
    out = set()
    for t in fig.data:
        if t.customdata is not None and not (t.name or "").startswith(FRONT):
            out |= {int(row[0]) for row in t.customdata}
    return out


def test_every_complete_trial_is_a_point_and_the_front_is_joined_in_size_order(df):
    fig = figures.pareto(df)
    assert plotted_trials(fig) == {0, 1, 2, 3}
    (front,) = traces(fig, FRONT)
    assert [int(r[0]) for r in front.customdata] == [0, 1, 3]
    assert front.line.shape == "hv" and front.mode == "lines+markers"
    assert list(front.x) == sorted(front.x)
    assert fig.layout.xaxis.type == "log"


def test_colour_groups_and_channel_pruning_markers(mk):
    df = queries.trials_frame(mk.search(mk.random_trials(40)))
    df.loc[df.index[:10], "channel_pruned"] = True
    df.loc[df.index[:5], "quantization"] = "int8-static"
    fig = figures.pareto(df)
    names = {t.name for t in fig.data}
    assert {"fp32", "fp32 · channel-pruned", "int8-static · channel-pruned"} <= names
    assert not [n for n in names if "pruned" in n.replace("channel-pruned", "")]
    symbols = {t.name: t.marker.symbol for t in fig.data if not t.name.startswith(FRONT)}
    assert symbols["fp32"] == "circle" and symbols["fp32 · channel-pruned"] == "diamond"
    by_family = figures.pareto(df, color_by="family")
    assert {t.name for t in by_family.data} >= {"mlp", "mlp · channel-pruned"}


def _rgb(color: str) -> tuple[int, ...]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def test_every_legend_entry_of_the_front_has_a_colour_of_its_own(mk):
    """fp16 and "fp16 · channel-pruned" used to be one colour, and fp16's teal sat next to
    fp32's blue: every pair of groups must now differ clearly (RGB distance >= 60 of 441)."""
    trials = mk.random_trials(80)
    df = queries.trials_frame(mk.search(trials))
    formats = ["fp32", "fp16", "int8-dynamic", "int8-static"]
    df["quantization"] = [formats[i % 4] for i in range(len(df))]
    df["channel_pruned"] = [(i // 4) % 2 == 1 for i in range(len(df))]
    colours = {
        t.name: t.marker.color
        for t in figures.pareto(df).data
        if not t.name.startswith(FRONT) and t.legendgroup != "beyond"  # arrows: each its colour
    }
    assert len(colours) == 8
    for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2):
        distance = sum((x - y) ** 2 for x, y in zip(_rgb(ca), _rgb(cb), strict=True)) ** 0.5
        assert distance >= 60, (a, ca, b, cb, distance)


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (2_300, 60_000, ["2 KB", "5 KB", "10 KB", "20 KB", "50 KB", "100 KB"]),
        (3_000, 9_000, ["2 KB", "3 KB", "4 KB", "5 KB", "7 KB", "10 KB"]),
        (300, 5_000, ["200 B", "500 B", "1 KB", "2 KB", "5 KB"]),
        (800_000, 3_000_000, ["700 KB", "1 MB", "1.5 MB", "2 MB", "3 MB"]),
    ],
)
def test_size_ticks_read_in_bytes_with_units(lo, hi, expected):
    values, text = figures.size_ticks(lo, hi)
    assert text == expected
    assert values[0] <= lo and values[-1] >= hi  # the data lies between the outer ticks
    assert values == sorted(values)


def test_the_size_axis_of_the_front_shows_units(df):
    fig = figures.pareto(df)
    assert list(fig.layout.xaxis.ticktext) == ["500 B", "1 KB", "2 KB", "5 KB", "10 KB", "20 KB"]
    assert fig.layout.xaxis.tickvals[1] == 1024
    compared = figures.compare({"a": df})
    assert "KB" in compared.layout.xaxis.ticktext[1]


def test_stopped_and_failed_trials_appear_only_when_asked(df):
    assert plotted_trials(figures.pareto(df)) == {0, 1, 2, 3}
    fig = figures.pareto(df, show_stopped=True, show_failed=True)
    assert plotted_trials(fig) == {0, 1, 2, 3, 4, 5}
    (stopped,) = traces(fig, "stopped early")
    assert list(stopped.y) == [0.3]  # where its curve stopped: below the axis, so marked there
    (below,) = traces(fig, "below the axis (1)")
    assert [int(r[0]) for r in below.customdata] == [4]
    assert list(below.y) == [fig.layout.yaxis.range[0]] and below.xaxis == "x2"
    (failed,) = traces(fig, "failed")
    # No accuracy: on the axis's bottom edge, not at 0, which would squash the chart.
    assert list(failed.y) == [fig.layout.yaxis.range[0]]
    assert plotted_trials(figures.pareto(df, show_stopped=True)) == {0, 1, 2, 3, 4}


def test_constraints_colour_the_feasible_part_of_the_front(df):
    fig = figures.pareto(df, max_size=5_000, min_accuracy=0.85)
    (front,) = traces(fig, FRONT)
    colours = dict(zip((int(r[0]) for r in front.customdata), front.marker.color, strict=True))
    assert colours == {0: "#BBBBBB", 1: figures.FEASIBLE_COLOR, 3: "#BBBBBB"}
    assert any(s.type == "rect" for s in fig.layout.shapes)  # the feasible region


def test_test_accuracy_switch_plots_test_accuracy(df):
    fig = figures.pareto(df, y="test_accuracy")
    (front,) = traces(fig, FRONT)
    assert list(front.y) == pytest.approx([0.79, 0.89, 0.94])
    assert fig.layout.yaxis.title.text == "test accuracy"


def test_the_selected_trial_is_ringed(df):
    fig = figures.pareto(df, selected=2)
    (ring,) = traces(fig, "trial 2")
    assert list(ring.x) == [5_000]


def test_compare_overlays_one_front_per_search(df, mk):
    other = queries.trials_frame(mk.search(mk.random_trials(30, seed=5)))
    fig = figures.compare({"a": df, "b": other})
    fronts = [t for t in fig.data if ": front" in t.name]
    assert [t.name.split(":")[0] for t in fronts] == ["a", "b"]
    assert len(fronts[0].x) == 3


def test_progress_and_analysis_figures_build(df, mk):
    assert len(figures.hypervolume(queries.hypervolume_history(df)).data[0].x) == 4
    bars = figures.throughput(queries.throughput(df))
    assert sum(sum(t.y) for t in bars.data) == 6
    assert {t.name for t in bars.data} == {"complete", "stopped early", "failed"}
    assert bars.layout.yaxis.title.text == "trials finished per 30 s"
    curves = figures.learning_curves(queries.curves(mk.search(mk.hand), [1, 4]))
    assert len(curves.data) == 2
    par = figures.parallel(df)
    assert [d.label for d in par.data[0].dimensions] == ["width", "size", "validation accuracy"]
    assert list(par.data[0].dimensions[1].ticktext) == ["1 KB", "2 KB", "5 KB", "10 KB"]
    imp = figures.importance(queries.importance(df))
    assert {t.name for t in imp.data} == {"accuracy", "size_bytes"}
    assert figures.importance(queries.importance(df.iloc[:0])).data == ()


def test_learning_curves_explain_the_dotted_fine_tuning(mk):
    from autonn.store import TrialRecord

    t = TrialRecord(0, "COMPLETE", {"accuracy": 0.9, "size_bytes": 1.0}, {}, {
        "curve": [0.5, 0.7, 0.6, 0.9], "epochs": 2})  # fmt: skip
    fig = figures.learning_curves(queries.curves(mk.search([t]), [0]), metric="rmse")
    dotted = [tr for tr in fig.data if tr.line.dash == "dot"]
    assert any(tr.showlegend is not False and "fine-tuning" in tr.name for tr in dotted)
    assert fig.layout.yaxis.title.text == "validation rmse"
    plain = figures.learning_curves(queries.curves(mk.search(mk.hand), [1]))
    assert not [tr for tr in plain.data if "fine-tuning" in (tr.name or "")]  # nothing to explain


def test_parallel_coordinates_labels_are_short_and_tilted(mk):
    trials = [
        mk.trial(i, 0.5 + i / 100, 1000 + 100 * i, width=8 + i, trial=i % 3, lr=10 ** -(i % 4 + 1))
        for i in range(12)
    ]
    par = figures.parallel(queries.trials_frame(mk.search(trials))).data[0]
    labels = [d.label for d in par.dimensions]
    assert labels == ["width", "trial", "lr (log10)", "size", "validation accuracy"]
    assert not [label for label in labels if "param:" in label]
    assert par.labelangle and par.labelangle < 0  # tilted: a dozen long labels do not overlap


# --- a regression search: rmse, lower is better ------------------------------------------------


@pytest.fixture
def reg(mk):
    return queries.trials_frame(mk.reg_search(mk.reg_hand))


def _no_accuracy(fig) -> None:
    """Nothing in the figure (titles, trace names, hover text, colour bars) says accuracy."""
    assert "accuracy" not in fig.to_json().lower()


def test_a_regression_front_is_drawn_on_rmse(reg):
    fig = figures.pareto(reg, show_stopped=True, show_failed=True)
    (front,) = traces(fig, FRONT)
    assert [int(r[0]) for r in front.customdata] == [0, 1, 3]
    assert list(front.y) == [70.0, 60.0, 50.0]  # down as size grows: lower is better
    assert fig.layout.yaxis.title.text == "validation rmse"
    assert "val rmse 60" in " ".join(str(r[1]) for r in front.customdata)
    (failed,) = traces(fig, "failed")
    assert list(failed.y) == [fig.layout.yaxis.range[1]]  # no rmse: on the worse (top) edge
    (above,) = traces(fig, "above the axis")  # stopped at rmse 150, far worse than the front
    assert [int(r[0]) for r in above.customdata] == [4]
    assert above.marker.symbol == "arrow-up"
    _no_accuracy(fig)
    test = figures.pareto(reg, y="test_rmse")
    assert test.layout.yaxis.title.text == "test rmse"
    assert list(traces(test, FRONT)[0].y) == [72.0, 62.0, 52.0]
    _no_accuracy(test)


def test_a_maximum_rmse_colours_the_front_below_it(reg):
    fig = figures.pareto(reg, max_size=5_000, bound=65.0)
    (front,) = traces(fig, FRONT)
    colours = dict(zip((int(r[0]) for r in front.customdata), front.marker.color, strict=True))
    assert colours == {0: "#BBBBBB", 1: figures.FEASIBLE_COLOR, 3: "#BBBBBB"}
    (region,) = [s for s in fig.layout.shapes if s.type == "rect"]
    assert region.y1 == 65.0 and region.y0 < 50.0  # the feasible side is below the bound
    _no_accuracy(fig)


def test_every_figure_of_a_regression_search_names_rmse_never_accuracy(reg, mk):
    other = queries.trials_frame(mk.reg_search(mk.random_reg_trials(30, seed=5)))
    compared = figures.compare({"a": reg, "b": other})
    assert compared.layout.yaxis.title.text == "validation rmse"
    fronts = [t for t in compared.data if ": front" in t.name]
    assert list(fronts[0].y) == [70.0, 60.0, 50.0]
    assert figures.compare({"a": reg}, y="test_rmse").layout.yaxis.title.text == "test rmse"
    curves = figures.learning_curves(queries.curves(mk.reg_search(mk.reg_hand), [1, 4]))
    assert curves.layout.yaxis.title.text == "validation rmse"
    assert list(curves.data[0].y) == [120.0, 60.0]
    par = figures.parallel(reg)
    assert [d.label for d in par.data[0].dimensions][-1] == "validation rmse"
    assert par.data[0].line.colorbar.title.text == "validation rmse"
    hv = figures.hypervolume(queries.hypervolume_history(reg))
    imp = figures.importance(queries.importance(reg))
    assert {t.name for t in imp.data} == {"rmse", "size_bytes"}
    bars = figures.throughput(queries.throughput(reg))
    for fig in (compared, curves, par, hv, imp, bars):
        _no_accuracy(fig)


# --- device costs, limits and the floor (autonn 0.3) -------------------------------------------

# 0 breaks the RAM limit after training, 1 keeps every limit but is below the floor (0.78), 2 and
# 3 are the front, 4 was refused before training for its RAM, 5 was stopped early.
LIMITED_CONFIG = {
    "limits_applied": ["ram_bytes<=2048", "accuracy>=0.5"],
    "trivial": 0.1,
    "floor": 0.8,
    "target": "tflm",
}


@pytest.fixture
def limited(mk):
    def cost(size, ram, macs=5_000):  # flash is the model file: its size, as on every target
        return {"flash_bytes": size, "ram_bytes": ram, "macs": macs}

    trials = [
        mk.trial(
            0, 0.97, 500, attrs={**cost(500, 2560), "broken_limits": {"ram_bytes<=2048": 0.25}}
        ),  # fmt: skip
        mk.trial(1, 0.70, 800, attrs=cost(800, 1000)),
        mk.trial(2, 0.90, 1_000, attrs=cost(1_000, 1500)),
        mk.trial(3, 0.95, 4_000, attrs=cost(4_000, 1900, 40_000)),
        mk.refused_trial(4, 9_000, {"ram_bytes<=2048": 0.5}, ram_bytes=3072, macs=90_000),
        mk.trial(5, state="PRUNED"),
    ]
    return queries.trials_frame(mk.search(trials, config=LIMITED_CONFIG))


def dashed(fig, axis: str) -> list[float]:
    """Where the figure's dashed lines cross an axis: x for vertical lines, y for horizontal."""
    return [
        s[f"{axis}0"]
        for s in fig.layout.shapes
        if s.type == "line" and s.line.dash == "dash" and s[f"{axis}0"] == s[f"{axis}1"]
    ]


def labels(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_limits_and_the_floor_are_dashed_lines_on_their_axes(limited):
    on_ram = figures.pareto(limited, x="ram_bytes")
    assert dashed(on_ram, "x") == [2048]
    assert sorted(dashed(on_ram, "y")) == pytest.approx([0.5, 0.78])
    assert set(labels(on_ram)) == {"ram_bytes<=2048", "accuracy>=0.5", "floor"}
    # An annotation's x on a log axis is the log of the value: the label sits at its line.
    (ram_label,) = [a for a in on_ram.layout.annotations if a.text == "ram_bytes<=2048"]
    assert ram_label.x == pytest.approx(math.log10(2048))
    # The axis reaches the limit, even where no point shown does.
    assert on_ram.layout.xaxis.range[1] >= math.log10(2048)
    on_size = figures.pareto(limited)
    assert dashed(on_size, "x") == [] and "ram_bytes<=2048" not in labels(on_size)
    # Limits and the floor hold on the validation metric: none on the test axis.
    assert labels(figures.pareto(limited, y="test_accuracy")) == []


def test_trials_that_break_a_limit_are_hidden_unless_asked_and_then_marked(limited):
    assert plotted_trials(figures.pareto(limited)) == {1, 2, 3}
    fig = figures.pareto(limited, show_infeasible=True)
    assert plotted_trials(fig) == {0, 1, 2, 3, 4}
    (trained,) = traces(fig, "breaks a limit (")
    assert trained.marker.symbol == figures.LIMIT_SYMBOL
    assert [int(r[0]) for r in trained.customdata] == [0]
    assert "breaks ram_bytes<=2048 by 25%" in trained.customdata[0][1]
    (refused,) = traces(fig, "breaks a limit, not trained")
    assert refused.marker.symbol == figures.REFUSED_SYMBOL
    assert list(refused.x) == [9_000]  # at its size, along the bottom (it has no accuracy)
    assert list(refused.y) == [fig.layout.yaxis.range[0]]
    assert "refused before training: breaks ram_bytes<=2048 by 50%" in refused.customdata[0][1]
    symbols = {t.marker.symbol for t in fig.data if t.name in ("fp32", "fp32 · channel-pruned")}
    assert figures.LIMIT_SYMBOL not in symbols and figures.REFUSED_SYMBOL not in symbols
    (front,) = traces(fig, FRONT)
    assert [int(r[0]) for r in front.customdata] == [2, 3]  # the deployable front


def test_the_stopped_early_strip_leaves_refused_trials_out(limited):
    fig = figures.pareto(limited, show_stopped=True)
    (stopped,) = traces(fig, "stopped early")
    assert [int(r[0]) for r in stopped.customdata] == [5]
    assert fig.layout.xaxis2.title.text == "not fully trained"


@pytest.mark.parametrize(
    ("x", "title", "unit"),
    [
        ("ram_bytes", "RAM (log scale)", r"[\d.]+ (B|KB)"),
        ("flash_bytes", "flash (log scale)", r"[\d.]+ (B|KB)"),
        ("macs", "multiply-accumulates (MACs) (log scale)", r"[\d.]+[KM]?"),
    ],
)
def test_ram_flash_and_macs_can_be_the_x_axis(limited, x, title, unit):
    import re

    fig = figures.pareto(limited, x=x, show_infeasible=True)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == title
    assert all(re.fullmatch(unit, t) for t in fig.layout.xaxis.ticktext), fig.layout.xaxis.ticktext
    (front,) = traces(fig, FRONT)
    assert list(front.x) == list(limited.set_index("trial").loc[[2, 3], x])


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (300, 90_000, ["200", "500", "1K", "2K", "5K", "10K", "20K", "50K", "100K"]),
        (1.2e6, 3e6, ["1M", "1.5M", "2M", "3M"]),
    ],
)
def test_mac_ticks_read_in_thousands_and_millions(lo, hi, expected):
    values, text = figures.count_ticks(lo, hi)
    assert text == expected and values[0] <= lo and values[-1] >= hi


def test_latency_ticks_read_in_micro_and_milliseconds():
    values, text = figures.ms_ticks(0.03, 0.4)
    assert text == ["20 µs", "50 µs", "100 µs", "200 µs", "500 µs"]
    assert values[0] == pytest.approx(0.02)
    fig = figures.pareto(queries.trials_frame(_with_latency()), x="latency_ms")
    assert fig.layout.xaxis.title.text == "latency (log scale)"


def _with_latency():
    from tests.dashboard.conftest import search, trial

    return search([trial(i, 0.8 + i / 100, 1_000 * (i + 1), attrs={"latency_ms": 0.05 * (i + 1)})
                   for i in range(4)])  # fmt: skip


def test_a_channel_pruned_front_point_keeps_its_diamond_inside_the_ring(mk):
    trials = [mk.trial(0, 0.8, 1_000), mk.trial(1, 0.9, 2_000, prune=0.5)]
    fig = figures.pareto(queries.trials_frame(mk.search(trials)))
    (front,) = traces(fig, FRONT)
    assert list(front.marker.symbol) == ["circle-open", "diamond-open"]
    (diamond,) = traces(fig, "fp32 · channel-pruned")
    assert diamond.marker.symbol == "diamond"


def test_compare_draws_only_the_deployable_fronts(limited, mk):
    fig = figures.compare({"a": limited, "b": queries.trials_frame(mk.search(mk.hand))})
    (front_a, _) = [t for t in fig.data if ": front" in t.name]
    assert [int(r[0]) for r in front_a.customdata] == [2, 3]
    (cloud_a, _) = [t for t in fig.data if ": trials" in t.name]
    assert 0 not in {int(r[0]) for r in cloud_a.customdata}  # breaks a limit
    on_ram = figures.compare({"a": limited}, x="ram_bytes")
    assert on_ram.layout.xaxis.title.text == "RAM (log scale)"


def test_parallel_coordinates_tick_whole_numbers_at_whole_numbers(mk):
    trials = [mk.trial(i, 0.5 + i / 20, 1_000 + 100 * i, depth=1 + i % 3) for i in range(6)]
    (depth,) = [d for d in figures.parallel(queries.trials_frame(mk.search(trials))).data[0]
                .dimensions if d.label == "depth"]  # fmt: skip
    assert list(depth.tickvals) == [1, 2, 3] and list(depth.ticktext) == ["1", "2", "3"]


def test_parallel_coordinates_show_ram_and_macs_with_units(limited):
    dims = {d.label: d for d in figures.parallel(limited).data[0].dimensions}
    assert {"RAM", "MACs", "flash"} <= set(dims)
    assert all(t.endswith("KB") or t.endswith(" B") for t in dims["RAM"].ticktext)


# --- the metric axis: the front and what is better, the rest marked on its edge ----------------

# Trial 0 keeps every limit but scores far below the floor (0.1 + 0.8 x (0.97 - 0.1) = 0.796):
# it used to stretch the axis down to 0.3 and squash the front (0.86-0.97) into its top fifth.
FAR_BELOW = [(0, 0.30, 500), (1, 0.86, 1_000), (2, 0.93, 3_000), (3, 0.97, 8_000), (4, 0.9, 6_000)]


@pytest.fixture
def far_below(mk):
    trials = [mk.trial(n, acc, size) for n, acc, size in FAR_BELOW]
    return queries.trials_frame(mk.search(trials, config={"trivial": 0.1, "floor": 0.8}))


def test_the_metric_axis_spans_the_floor_and_the_front_not_a_trial_far_below(far_below):
    floor = far_below.attrs["floor"]
    fig = figures.pareto(far_below)
    lo, hi = fig.layout.yaxis.range
    assert floor - 0.02 < lo < floor and 0.97 < hi < 0.99  # a small margin either side
    # The trial below the axis is not clipped silently: an arrow on the bottom edge, at its size.
    (below,) = traces(fig, "below the axis (1)")
    assert [int(r[0]) for r in below.customdata] == [0]
    assert list(below.x) == [500] and list(below.y) == [lo]
    assert below.marker.symbol == "arrow-down" and below.cliponaxis is False
    assert "val accuracy 0.3000" in below.customdata[0][1]
    # Selected, it is ringed on the edge too.
    (ring,) = traces(figures.pareto(far_below, selected=0), "trial 0")
    assert list(ring.y) == [lo]


def test_without_a_floor_the_axis_reaches_the_worst_front_trial(df):
    fig = figures.pareto(df)
    lo, hi = fig.layout.yaxis.range
    assert 0.79 < lo < 0.80 and 0.95 < hi < 0.96  # the front runs from 0.80 to 0.95
    assert not traces(fig, "below the axis")


def test_the_dashed_lines_on_the_metric_stay_on_the_axis(far_below, limited):
    lo, _ = figures.pareto(far_below, bound=0.7).layout.yaxis.range
    assert lo < 0.7  # the bound the person asked for is drawn, not cut off
    lo, _ = figures.pareto(limited).layout.yaxis.range
    assert lo < 0.5  # the search's limit accuracy>=0.5, below its floor (0.78)


def test_every_point_drawn_is_on_the_axis_or_marked_on_its_edge(made_limited):
    """A made-up search with limits, a floor, trials stopped early and failed, all shown."""
    from autonn.store import load_search

    df = queries.trials_frame(load_search(made_limited.limited, made_limited.storage))
    fig = figures.pareto(df, show_infeasible=True, show_stopped=True, show_failed=True)
    lo, hi = fig.layout.yaxis.range
    marked = {int(r[0]) for t in traces(fig, "below the axis") for r in t.customdata}
    outside = set()
    for t in fig.data:
        if t.customdata is None or t.legendgroup == "beyond":
            continue
        outside |= {int(r[0]) for r, v in zip(t.customdata, t.y, strict=True) if not lo <= v <= hi}
    assert outside and outside == marked  # this search has trials far below its floor


def test_parallel_coordinates_draw_the_columns_asked_for_then_the_metric(df):
    dims = figures.parallel(df, columns=["width", "accuracy", "size_bytes"]).data[0].dimensions
    assert [d.label for d in dims] == ["width", "size", "validation accuracy"]  # y once, last


def test_a_float_category_reads_in_at_most_4_significant_digits(df):
    df["choice"] = ["none", 0.35000000000000003, 0.1, "none", None, None, None]
    df.attrs["params"] = [*df.attrs["params"], "choice"]
    (axis,) = [d for d in figures.parallel(df).data[0].dimensions if d.label == "choice"]
    assert list(axis.ticktext) == ["0.1", "0.35", "none"]
