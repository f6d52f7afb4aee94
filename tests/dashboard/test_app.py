"""The page's logic through Streamlit's AppTest: every state shows a message, never a traceback."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

import autonn.dashboard as dashboard
from autonn.dashboard import figures
from autonn.dashboard.app import TABS
from autonn.store import list_searches
from tests.dashboard.synthetic import write_search

TIMEOUT = 30  # seconds; a run takes well under one, the first in a process pays the imports


def run(storage: str, monkeypatch, *, search: str | None = None, tab: str | None = None):
    monkeypatch.setenv(dashboard.STORAGE_ENV, storage)
    at = AppTest.from_file(str(dashboard.APP), default_timeout=TIMEOUT)
    if search is not None:
        at.query_params["search"] = search
    if tab is not None:
        at.session_state["tab"] = tab
    at.run()
    assert not at.exception, at.exception[0].message if at.exception else ""
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def metrics(at) -> dict[str, str]:
    """The headline's line, "trials **62** · complete **40** · ...", as {label: value}."""
    (line,) = [m.value for m in at.markdown if m.value.startswith("trials **")]
    return {label.strip(): value for label, value in re.findall(r"([^·*]+)\*\*([^*]+)\*\*", line)}


def test_missing_database_says_so_and_how_to_fix_it(tmp_path, monkeypatch):
    at = run(f"sqlite:///{tmp_path}/nothing-here.db", monkeypatch)
    assert "no database at" in texts(at.warning)
    assert "autonn search" in texts(at.info)
    assert not (tmp_path / "nothing-here.db").exists()  # the page never creates one


def test_a_url_that_is_no_database_url(monkeypatch):
    at = run("not a url", monkeypatch)
    assert "is not a database URL" in texts(at.warning)


def test_empty_database(empty_db, monkeypatch):
    at = run(empty_db, monkeypatch)
    assert "No search in" in texts(at.info)
    assert not at.get("plotly_chart")


def test_unknown_search_lists_the_known_ones(made, monkeypatch):
    at = run(made.storage, monkeypatch, search="no-such-search")
    warning = texts(at.warning)
    assert "no-such-search" in warning and made.full in warning
    assert not at.get("plotly_chart")
    (choice,) = at.selectbox
    assert choice.value is None  # nothing shown until a search is chosen
    choice.set_value(made.other).run()
    assert not at.exception
    assert at.header[0].value == made.other and at.get("plotly_chart")


def test_a_search_with_data_shows_counts_and_the_pareto_chart(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full)
    shown = metrics(at)
    counts = {i.name: i.counts for i in list_searches(made.storage)}[made.full]
    assert shown["trials"] == "62"
    assert shown["complete"] == str(counts["COMPLETE"])
    assert shown["running"] == "2"
    (chart,) = at.get("plotly_chart")
    assert chart.proto.spec  # the figure's JSON went to the page
    assert at.header[0].value == made.full
    assert live_toggle(at).value is True  # running trials: live refresh starts on
    assert not at.dataframe  # the front's table shows on demand
    assert front_table(at)["size_bytes"].is_monotonic_increasing


@pytest.mark.parametrize("tab", TABS[1:])
def test_every_tab_runs_on_a_search_with_data(made, monkeypatch, tab):
    at = run(made.storage, monkeypatch, search=made.full, tab=tab)
    if tab == "Progress":
        assert len(at.get("plotly_chart")) == 3  # hypervolume by count and by time, throughput
    if tab == "Trials":
        assert len(at.dataframe[0].value) == 62
        assert at.get("download_button")
    if tab == "Analysis":
        assert len(at.get("plotly_chart")) == 3  # curves, importance, parallel coordinates
    if tab == "Export":
        assert at.button[0].label.startswith("Export trial")
    if tab == "Compare":
        assert at.multiselect[0].value == [made.latency]  # the latest other search


def test_a_three_objective_search_shows_every_tab(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.latency)
    assert "latency_ms" in texts(at.caption)
    assert len(at.get("plotly_chart")) == 1
    for tab in TABS[1:]:
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
    at.session_state["tab"] = "Export"
    at.run()
    next(r for r in at.radio if r.label == "Choose").set_value("a rule").run()
    next(s for s in at.selectbox if s.label == "Rule").set_value("fastest").run()
    assert not at.exception
    assert "`--pick fastest` chooses" in texts(at.markdown)


def test_a_search_with_no_complete_trial_explains_why_the_front_is_missing(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.none_done)
    assert "has completed yet" in texts(at.info)
    assert not at.get("plotly_chart")
    expected = {
        "Progress": "starts with the first complete trial",
        "Trials": None,
        "Analysis": "at least 2 complete trials",
        "Export": "no trial has completed",
        "Compare": "no complete trial yet",
    }
    for tab, message in expected.items():
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        if message:
            assert message in texts(at.info), tab
        else:
            assert len(at.dataframe[0].value) == 5  # 4 finished (none complete), 1 running


def live_toggle(at):
    return next(t for t in at.toggle if t.label == "Live refresh")


def front_table(at):
    """Turn on the table of the front's trials (under the chart) and return it."""
    at.toggle(key="front_table").set_value(True).run()
    assert not at.exception
    return at.dataframe[0].value


def chart_options(at) -> None:
    """Turn on the sidebar's Chart options: the test metric, colours, stopped and failed
    trials, the size limit and the metric's bound."""
    next(t for t in at.toggle if t.label == "Chart options").set_value(True).run()
    assert not at.exception


def test_constraints_count_the_feasible_front_and_rules_pick_within_them(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full)
    assert not at.number_input and not at.radio  # the chart's options show once asked for
    chart_options(at)
    max_kb, min_acc = at.number_input
    max_kb.set_value(30.0)
    min_acc.set_value(0.8)
    at.run()
    assert not at.exception
    assert "front trials meet the constraints" in texts(at.markdown)
    at.session_state["tab"] = "Export"
    at.run()
    choose = next(r for r in at.radio if r.label == "Choose")
    choose.set_value("a rule").run()
    assert not at.exception
    rule = next(s for s in at.selectbox if s.label == "Rule")
    assert rule.options[:2] == ["accuracy>=0.8", "size_bytes<=30720"]
    rule.set_value("size_bytes<=30720").run()
    assert "`--pick size_bytes<=30720` chooses" in texts(at.markdown)


def test_switches_do_not_break_the_page(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full)
    chart_options(at)
    next(r for r in at.radio if r.label == "Accuracy").set_value("test")
    next(r for r in at.radio if r.label == "Colour by").set_value("model family")
    for box in at.checkbox:
        box.check()
    live_toggle(at).set_value(False)
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1


def test_export_errors_show_on_the_page(made, monkeypatch):
    """Made-up trials have no files: export fails with autonn's message, not a traceback."""
    at = run(made.storage, monkeypatch, search=made.full, tab="Export")
    at.button[0].click().run()
    assert not at.exception
    assert "Export failed" in texts(at.error)


@pytest.mark.integration
def test_a_front_point_of_a_real_search_exports_to_a_zip(digits_search, monkeypatch):
    import io
    import zipfile

    at = run(digits_search.storage, monkeypatch, search=digits_search.name, tab="Export")
    at.button[0].click().run(timeout=300)
    assert not at.exception
    assert not at.error, texts(at.error)
    assert "Exported trial" in texts(at.success)
    done = at.session_state["export"]
    names = zipfile.ZipFile(io.BytesIO(done.data)).namelist()
    root = f"{digits_search.name}-trial{done.trial}"
    assert {f"{root}/model.onnx", f"{root}/model_card.json", f"{root}/MODEL_CARD.md"} <= set(names)


def test_the_page_says_stopped_early_and_channel_pruned_never_plain_pruned(made, monkeypatch):
    plain = re.compile(r"(?<!channel-)\bpruned\b", re.IGNORECASE)
    at = run(made.storage, monkeypatch, search=made.full)
    assert "channel-pruned" in texts(at.caption)
    assert "stopped early" in metrics(at)
    (chart,) = at.get("plotly_chart")
    legend = [t.get("name", "") for t in json.loads(chart.proto.spec)["data"]]
    assert not [n for n in legend if plain.search(n)], legend
    at.session_state["tab"] = "Trials"
    at.run()
    states = next(m for m in at.multiselect if m.label == "States")
    assert "stopped early" in states.options and "PRUNED" not in states.options
    table = at.dataframe[0].value
    assert "stopped early" in set(table["state"]) and "PRUNED" not in set(table["state"])
    assert not [c for c in table.columns if plain.search(c)]


def test_the_trial_table_starts_narrow_and_offers_the_other_columns(made, monkeypatch):
    from autonn.dashboard.app import TABLE_COLUMNS

    at = run(made.storage, monkeypatch, search=made.full, tab="Trials")
    table = at.dataframe[0].value
    # A search before autonn 0.3: no flash, RAM, MACs nor limits, and no empty columns for them.
    first = [c for c in TABLE_COLUMNS if c not in ("flash_bytes", "ram_bytes", "macs")]
    first.remove("broken_limits")
    assert list(table.columns[: len(first)]) == first
    assert len(table.columns) <= len(first) + 4  # fits 1,500 px without scrolling
    more = next(m for m in at.multiselect if m.label == "More columns")
    assert "fail_reason" in more.options and "hover" not in more.options
    more.set_value([*more.value, "fail_reason"]).run()
    assert "fail_reason" in at.dataframe[0].value.columns


def test_progress_bins_follow_the_search_and_analysis_explains_the_dotted_curves(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full, tab="Progress")
    assert re.search(r"Trials finished per \d+ (s|min|h)\b", texts(at.markdown))
    at.session_state["tab"] = "Analysis"
    at.run()
    assert "Dotted: the fine-tuning epochs after channel pruning" in texts(at.caption)


# --- a regression search: the page follows rmse, and never says accuracy -----------------------


def everything(node) -> str:
    """Every element on the page as its protobuf text: labels, help, captions, tables' columns,
    figures' JSON (titles, hover text)."""
    out = [str(node.proto)] if getattr(node, "proto", None) is not None else []
    for child in getattr(node, "children", {}).values():
        out.append(everything(child))
    return "\n".join(out)


def assert_rmse_not_accuracy(at, tab: str) -> None:
    assert not at.exception, (tab, at.exception)
    page = everything(at._tree)
    assert "rmse" in page, tab
    assert "accuracy" not in page.lower(), (tab, re.findall(r".{60}accuracy.{20}", page, re.I))


def test_a_regression_search_shows_rmse_and_never_accuracy(made_regression, monkeypatch):
    reg = made_regression
    at = run(reg.storage, monkeypatch, search=reg.full)
    shown = metrics(at)
    assert "best val rmse" in shown
    infos = [i for i in list_searches(reg.storage) if i.name == reg.full]
    assert infos and infos[0].metric == "rmse"
    assert float(shown["best val rmse"]) == pytest.approx(
        front_table(at)["rmse"].min(), rel=1e-3
    )  # the lowest rmse is the best
    chart_options(at)
    assert next(r for r in at.radio if r.label == "rmse").options == ["validation", "test"]
    assert [n.label for n in at.number_input] == ["max size (KB)", "max rmse"]
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["layout"]["yaxis"]["title"]["text"] == "validation rmse"
    assert_rmse_not_accuracy(at, "Pareto front")
    for tab in TABS[1:]:
        at.session_state["tab"] = tab
        at.run()
        assert_rmse_not_accuracy(at, tab)
    at.session_state["tab"] = "Analysis"
    at.run()
    assert "Validation rmse after each epoch" in texts(at.caption)


def test_a_maximum_rmse_constrains_the_front_and_the_pick_rule(made_regression, monkeypatch):
    reg = made_regression
    at = run(reg.storage, monkeypatch, search=reg.full)
    front = front_table(at)
    bound = float(front["rmse"].median())
    chart_options(at)
    next(n for n in at.number_input if n.label == "max rmse").set_value(bound).run()
    assert not at.exception
    meets = int((front["rmse"] <= bound).sum())
    assert f"**{meets} of {len(front)}** front trials meet the constraints" in texts(at.markdown)
    next(r for r in at.radio if r.label == "rmse").set_value("test").run()
    assert_rmse_not_accuracy(at, "test rmse")
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["layout"]["yaxis"]["title"]["text"] == "test rmse"
    at.session_state["tab"] = "Export"
    at.run()
    next(r for r in at.radio if r.label == "Choose").set_value("a rule").run()
    rule = next(s for s in at.selectbox if s.label == "Rule")
    assert rule.options[0] == f"rmse<={bound:g}"
    rule.set_value(rule.options[0]).run()
    assert not at.exception and not at.warning, texts(at.warning)
    assert f"`--pick rmse<={bound:g}` chooses" in texts(at.markdown)
    assert_rmse_not_accuracy(at, "Export")


def test_a_regression_search_compares_only_with_searches_by_rmse(made_regression, monkeypatch):
    reg = made_regression
    at = run(reg.storage, monkeypatch, search=reg.full, tab="Compare")
    (choice,) = at.multiselect
    assert choice.options == [reg.other] and choice.value == [reg.other]
    at = run(reg.storage, monkeypatch, search=reg.classified, tab="Compare")
    assert "No other search here is by accuracy" in texts(at.info)


def test_the_export_message_names_the_metric_it_verified():
    from types import SimpleNamespace

    from autonn.dashboard.app import checked

    result = SimpleNamespace(metric="rmse", test_score=58.1234, stored_test_score=58.0)
    assert checked(result) == " Test rmse of the package: 58.12 (the search stored 58)."
    old = SimpleNamespace(test_accuracy=0.91, stored_test_accuracy=0.9)  # before metrics
    assert checked(old) == " Test accuracy of the package: 0.9100 (the search stored 0.9000)."
    assert checked(SimpleNamespace()) == ""


# --- device costs, limits and the floor (autonn 0.3) -------------------------------------------


def search_of(made_limited, name=None):
    from autonn.store import load_search

    return load_search(name or made_limited.limited, made_limited.storage)


def test_the_headline_counts_the_trials_that_broke_a_limit(made_limited, monkeypatch):
    from autonn.dashboard import queries

    at = run(made_limited.storage, monkeypatch, search=made_limited.limited)
    df = queries.trials_frame(search_of(made_limited))
    broke, refused = int(queries.infeasible(df).sum()), int(queries.refused(df).sum())
    assert broke > refused > 0
    shown = metrics(at)
    assert shown["broke a limit"] == f"{broke} ({refused} not trained)"
    # Refused trials are stored PRUNED, but were never started: not counted as stopped early.
    assert shown["stopped early"] == str(int(queries.stopped(df).sum()))
    # The best of what may be deployed, not of a trial that breaks a limit.
    best = df[df["on_front"]]["accuracy"].max()
    assert float(shown["best val accuracy"]) == pytest.approx(best, abs=5e-5)
    caption = texts(at.caption)
    assert "target `tflm`" in caption and "`ram_bytes<=1600`, `accuracy>=0.8`" in caption
    assert "floor 90% of the way from the trivial accuracy 0.1000" in caption
    # A search without limits says nothing of them.
    plain = run(made_limited.storage, monkeypatch, search=made_limited.costs)
    assert "broke a limit" not in metrics(plain) and "limits:" not in texts(plain.caption)


def test_the_front_table_is_the_deployable_front(made_limited, monkeypatch):
    at = run(made_limited.storage, monkeypatch, search=made_limited.limited)
    table = front_table(at)
    assert set(table["trial"]) == {t.number for t in search_of(made_limited).pareto}
    assert {"flash_bytes", "ram_bytes", "macs"} <= set(table.columns)
    assert (table["ram_bytes"] <= 1600).all() and (table["accuracy"] >= 0.8).all()


def chart(at) -> dict:
    (fig,) = at.get("plotly_chart")
    return json.loads(fig.proto.spec)


def test_limits_are_drawn_and_trials_that_break_them_shown_on_demand(made_limited, monkeypatch):
    at = run(made_limited.storage, monkeypatch, search=made_limited.limited)
    spec = chart(at)
    notes = {a["text"] for a in spec["layout"].get("annotations", [])}
    assert notes == {"accuracy>=0.8", "floor"}  # the RAM limit is off these axes
    assert not [t for t in spec["data"] if "breaks a limit" in t.get("name", "")]
    assert "break a limit and are not drawn" in texts(at.caption)
    chart_options(at)
    box = next(c for c in at.checkbox if c.label == "Show trials that break a limit")
    assert box.value is False
    box.check().run()
    assert not at.exception
    names = [t.get("name", "") for t in chart(at)["data"]]
    assert [n for n in names if n.startswith("breaks a limit (")]
    assert [n for n in names if n.startswith("breaks a limit, not trained (")]
    assert "are not drawn" not in texts(at.caption)


def test_ram_flash_and_macs_can_be_the_x_axis(made_limited, monkeypatch):
    at = run(made_limited.storage, monkeypatch, search=made_limited.limited)
    chart_options(at)
    axis = next(r for r in at.radio if r.label == "x axis")
    assert axis.options == ["size", "flash", "RAM", "MACs", "latency"]
    assert axis.value == "size_bytes"
    axis.set_value("ram_bytes").run()
    assert not at.exception
    spec = chart(at)
    assert spec["layout"]["xaxis"]["title"]["text"] == "RAM (log scale)"
    assert {a["text"] for a in spec["layout"]["annotations"]} >= {"ram_bytes<=1600"}
    next(r for r in at.radio if r.label == "x axis").set_value("macs").run()
    ticks = chart(at)["layout"]["xaxis"]["ticktext"]
    assert any(t.endswith("K") for t in ticks), ticks
    at.session_state["tab"] = "Compare"
    at.run()
    assert not at.exception  # the other search by accuracy is drawn on MACs too


def test_a_search_before_0_3_offers_size_and_latency_only(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full)
    chart_options(at)
    assert next(r for r in at.radio if r.label == "x axis").options == ["size", "latency"]


def test_the_trial_table_shows_costs_limits_and_refused_trials(made_limited, monkeypatch):
    at = run(made_limited.storage, monkeypatch, search=made_limited.limited, tab="Trials")
    (table,) = at.dataframe
    frame = table.value
    assert {"flash_bytes", "ram_bytes", "macs", "broken_limits"} <= set(frame.columns)
    refused = frame[frame["state"] == "not trained: breaks a limit"]
    assert len(refused) and refused["broken_limits"].str.startswith("ram_bytes<=1600 by").all()
    assert refused["size_bytes"].notna().all()  # its costs are known before training
    assert table.proto.HasField("placeholder") and table.proto.placeholder == ""  # not "None"
    states = next(m for m in at.multiselect if m.label == "States")
    assert "not trained: breaks a limit" in states.options


def test_captions_name_the_searchs_scheduler_and_never_deny_stopped_trials_a_size(
    made, made_limited, monkeypatch
):
    plain_asha = re.compile(r"(?<!MO-)ASHA")
    at = run(made_limited.storage, monkeypatch, search=made_limited.limited)
    caption = texts(at.caption)
    assert "Trials that MO-ASHA stopped early" in caption and not plain_asha.search(caption)
    assert "no size" not in caption
    at.session_state["tab"] = "Analysis"
    at.run()
    assert "a trial that MO-ASHA stopped early" in texts(at.caption)
    older = run(made.storage, monkeypatch, search=made.full)  # stored no scheduler's name
    assert "Trials that the scheduler stopped early" in texts(older.caption)
    assert "ASHA" not in texts(older.caption)


def test_every_tab_runs_on_a_search_with_limits(made_limited, monkeypatch):
    for tab in TABS[1:]:
        at = run(made_limited.storage, monkeypatch, search=made_limited.limited, tab=tab)
        assert not at.exception, tab
        if tab == "Export":
            front = {t.number for t in search_of(made_limited).pareto}
            choice = next(s for s in at.selectbox if s.label == "Front trial")
            assert {int(re.match(r"trial (\d+)", o)[1]) for o in choice.options} == front


def test_the_page_opens_on_the_pareto_figure_the_server_built_while_starting(tmp_path, monkeypatch):
    """`reads.warm` builds the figure with the options the page opens with (x axis and the
    trials that break a limit included): the first visit must not build it again."""
    from autonn.dashboard import figures, reads
    from tests.dashboard.synthetic import write_search

    storage = f"sqlite:///{tmp_path}/warm.db"  # its own file: the caches live for the process
    objectives = ("accuracy", "ram_bytes")  # opens on RAM, not size
    write_search(storage, "s", trials=12, seed=3, objectives=objectives, limits=("macs<=9000",))
    reads.warm(storage)
    built = []
    real = figures.pareto
    monkeypatch.setattr(figures, "pareto", lambda df, **kw: built.append(kw) or real(df, **kw))
    at = run(storage, monkeypatch)
    assert chart(at)["layout"]["xaxis"]["title"]["text"] == "RAM (log scale)"
    assert built == []


def test_float_params_in_tables_read_in_at_most_4_significant_digits():
    from autonn.dashboard.app import table_columns

    config = table_columns(["trial", "prune", "quantization"], floats=["prune", "trial"])
    assert config["prune"]["type_config"]["format"] == "%.4g"
    assert config["trial"]["type_config"].get("format") is None  # its own config wins
    assert "format" not in config["quantization"].get("type_config", {})


# --- long names, Compare's choice, parallel coordinates' axes ------------------------------------


@dataclass(frozen=True)
class Named:
    storage: str
    names: tuple[str, ...]  # digits, digits, then the latest: wine


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> Named:
    storage = f"sqlite:///{tmp_path_factory.mktemp('dashboard-named')}/made.db"
    names = []
    for i, data in enumerate(("digits", "digits", "wine")):
        name = f"{data}-residual_mlp-20260101-12{i:02d}00"
        write_search(storage, name, trials=8, seed=20 + i, data=data)
        names.append(name)
    return Named(storage, tuple(names))


def test_long_search_names_keep_their_tail_in_the_selector(named, monkeypatch):
    at = run(named.storage, monkeypatch, search=named.names[0])
    (choice,) = at.selectbox
    assert len(set(choice.options)) == 3
    assert all(len(o) <= 26 and o[-6:] in {n[-6:] for n in named.names} for o in choice.options)
    assert f"{named.names[0]} · 8 trials" in texts(at.sidebar.caption)  # the whole name


def test_compare_starts_with_a_search_on_the_same_data(named, monkeypatch):
    first, second, wine = named.names
    at = run(named.storage, monkeypatch, search=first, tab="Compare")
    (choice,) = at.multiselect
    assert choice.value == [second]  # not the latest search, which learnt another data set
    assert f"{wine} (data wine)" in choice.options  # offered, named with its data
    at = run(named.storage, monkeypatch, search=wine, tab="Compare")
    (choice,) = at.multiselect
    assert choice.value == [] and "No other search by accuracy here is on `wine`" in texts(at.info)
    assert not at.get("plotly_chart")
    choice.set_value([first]).run()
    assert not at.exception and at.get("plotly_chart")


def parcoords(at) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (par,) = [s["data"][0] for s in specs if s["data"] and s["data"][0]["type"] == "parcoords"]
    return par


def test_parallel_coordinates_start_with_a_few_axes_and_take_more(made, monkeypatch):
    at = run(made.storage, monkeypatch, search=made.full, tab="Analysis")
    axes = next(m for m in at.multiselect if m.label == "Axes")
    assert len(axes.value) <= 7 < len(axes.options)  # of 13 params and 2 costs
    assert len(parcoords(at)["dimensions"]) == len(axes.value) + 1  # and the metric
    # A param not shown yet (options read as labels; a param's label is its name).
    labels = {axes.format_func(v) for v in axes.value} | set(figures.AXIS_LABELS.values())
    extra = next(o for o in axes.options if o not in labels)
    axes.set_value([*axes.value, extra]).run()
    assert len(parcoords(at)["dimensions"]) == len(axes.value) + 1


def test_the_caption_says_when_trials_lie_past_the_metric_axis(made):
    from autonn.dashboard.app import pareto_caption
    from autonn.dashboard.reads import DEFAULT_OPTIONS

    df = load_frame(made)
    options = {**DEFAULT_OPTIONS, "metric": "accuracy", "show_infeasible": False}
    assert "below it" not in pareto_caption(df, options)
    words = pareto_caption(df, options, beyond=3)
    assert "3 trials score below it (arrows on its edge" in words


def load_frame(made):
    from autonn.dashboard import queries
    from autonn.store import load_search

    return queries.trials_frame(load_search(made.full, made.storage))
