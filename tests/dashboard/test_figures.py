"""The dashboard's figures hold the points and highlights they claim to."""

from __future__ import annotations

import itertools

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
        t.name: t.marker.color for t in figures.pareto(df).data if not t.name.startswith(FRONT)
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
    assert list(stopped.y) == [0.3]  # where its curve stopped
    (failed,) = traces(fig, "failed")
    assert list(failed.y) == [0.3]  # no accuracy: along the bottom of what is shown, not at 0
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
    assert list(failed.y) == [150.0]  # no rmse: at the worst value shown, where stopped ones end
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
