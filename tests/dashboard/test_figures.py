"""The dashboard's figures hold the points and highlights they claim to."""

from __future__ import annotations

import pytest

from dashboard import figures, queries

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


def test_colour_groups_and_pruning_markers(mk):
    df = queries.trials_frame(mk.search(mk.random_trials(40)))
    df.loc[df.index[:10], "pruned"] = True
    df.loc[df.index[:5], "quantization"] = "int8-static"
    fig = figures.pareto(df)
    names = {t.name for t in fig.data}
    assert {"fp32", "fp32 · pruned", "int8-static · pruned"} <= names
    symbols = {t.name: t.marker.symbol for t in fig.data if not t.name.startswith(FRONT)}
    assert symbols["fp32"] == "circle" and symbols["fp32 · pruned"] == "diamond"
    by_family = figures.pareto(df, color_by="family")
    assert {t.name for t in by_family.data} >= {"mlp", "mlp · pruned"}


def test_stopped_and_failed_trials_appear_only_when_asked(df):
    assert plotted_trials(figures.pareto(df)) == {0, 1, 2, 3}
    fig = figures.pareto(df, show_pruned=True, show_failed=True)
    assert plotted_trials(fig) == {0, 1, 2, 3, 4, 5}
    (stopped,) = traces(fig, "stopped early")
    assert list(stopped.y) == [0.3]  # where its curve stopped
    (failed,) = traces(fig, "failed")
    assert list(failed.y) == [0.3]  # no accuracy: along the bottom of what is shown, not at 0
    assert plotted_trials(figures.pareto(df, show_pruned=True)) == {0, 1, 2, 3, 4}


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
    curves = figures.learning_curves(queries.curves(mk.search(mk.hand), [1, 4]))
    assert len(curves.data) == 2
    par = figures.parallel(df)
    assert [d.label for d in par.data[0].dimensions] == ["width", "log10 size_bytes", "accuracy"]
    imp = figures.importance(queries.importance(df))
    assert {t.name for t in imp.data} == {"accuracy", "size_bytes"}
    assert figures.importance(queries.importance(df.iloc[:0])).data == ()
