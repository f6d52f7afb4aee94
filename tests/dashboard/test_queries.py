"""The dashboard's data: trial frames, fronts, constraints, hypervolume, throughput, importance."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pandas as pd
import pytest

from autonn.dashboard import queries
from autonn.store import TrialRecord, pareto_front, state_word


def test_trials_frame_has_a_row_per_trial_and_marks_the_stored_front(mk):
    df = queries.trials_frame(mk.search(mk.hand))
    assert list(df["trial"]) == [t.number for t in mk.hand]
    assert list(df[df["on_front"]]["trial"]) == [0, 1, 3]
    assert df.attrs["params"] == ["width"]
    assert df.loc[df["trial"] == 4, "last_accuracy"].item() == 0.3
    assert df.loc[df["trial"] == 5, "fail_reason"].item() == "NaN loss"
    assert df["family"].unique().tolist() == ["mlp"]


def test_front_matches_the_store_on_random_trials(mk):
    trials = mk.random_trials(300)
    df = queries.trials_frame(mk.search(trials))
    assert set(df[df["on_front"]]["trial"]) == {
        t.number for t in pareto_front(trials, ("accuracy", "size_bytes"))
    }


def test_a_param_named_like_a_column_keeps_its_own_column(mk):
    df = queries.trials_frame(mk.search([mk.trial(0, 0.9, 1000, state="COMPLETE", trial=3)]))
    assert "param:trial" in df.attrs["params"]
    assert df["trial"].item() == 0 and df["param:trial"].item() == 3


def test_studies_without_autonn_objectives_still_get_an_accuracy_size_front(mk):
    renamed = [
        TrialRecord(t.number, t.state, {}, t.params, t.attrs, t.started, t.finished)
        for t in mk.hand
    ]
    # A plain Optuna study: values named value_0/value_1; the measurements are in the attributes.
    trials = [
        TrialRecord(
            t.number,
            t.state,
            {"value_0": 0.0, "value_1": 0.0, "accuracy": h.accuracy, "size_bytes": h.size_bytes}
            if h.accuracy is not None
            else {},
            t.params,
            t.attrs,
        )
        for t, h in zip(renamed, mk.hand, strict=True)
    ]
    front = queries.front_trials(trials, ("value_0", "value_1"))
    assert [t.number for t in front] == [0, 1, 3]


def test_staircase_rises_with_size_and_holds_the_whole_two_objective_front(mk):
    df = queries.trials_frame(mk.search(mk.random_trials(200, seed=1)))
    line = queries.staircase(df, "accuracy")
    assert set(line["trial"]) == set(df[df["on_front"]]["trial"])
    assert line["size_bytes"].is_monotonic_increasing
    assert line["accuracy"].is_monotonic_increasing


def test_feasible_applies_each_bound_and_ignores_missing_ones(mk):
    df = queries.trials_frame(mk.search(mk.hand))
    ok = queries.feasible(df, max_size=5_000, min_accuracy=0.85)
    assert list(df[ok]["trial"]) == [1, 2]
    only_size = queries.feasible(df, max_size=4_000, min_accuracy=None)
    assert list(df[only_size]["trial"]) == [0, 1]
    none = queries.feasible(df, max_size=None, min_accuracy=None)
    assert list(df[none]["trial"]) == [0, 1, 2, 3]  # unmeasured trials are never feasible
    on_test = queries.feasible(df, max_size=None, min_accuracy=0.9, y="test_accuracy")
    assert list(df[on_test]["trial"]) == [3]  # test accuracy is 0.01 lower here


@pytest.mark.parametrize(
    ("points", "ref", "expected"),
    [
        ([[0.5, 0.5]], [1, 1], 0.25),
        ([[0.0, 0.5], [0.5, 0.0]], [1, 1], 0.75),
        ([[0.5, 0.5], [0.6, 0.6]], [1, 1], 0.25),  # a dominated point adds nothing
        ([[2.0, 0.0]], [1, 1], 0.0),  # beyond the reference point
        ([[0.5, 0.5, 0.5]], [1, 1, 1], 0.125),
        ([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]], [1, 1, 1], 0.375),
    ],
)
def test_hypervolume_exact_values(points, ref, expected):
    assert queries.hypervolume(np.array(points), ref) == pytest.approx(expected)


def test_hypervolume_in_three_dimensions_matches_a_grid_count():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 1, size=(6, 3))
    grid = (np.arange(40) + 0.5) / 40
    cells = np.array(list(itertools.product(grid, grid, grid)))
    covered = np.any(np.all(cells[:, None, :] >= pts[None, :, :], axis=2), axis=1)
    assert queries.hypervolume(pts, [1, 1, 1]) == pytest.approx(covered.mean(), abs=0.02)


def test_hypervolume_history_never_falls_and_ends_at_the_front_volume(mk):
    trials = mk.random_trials(150, seed=2)
    df = queries.trials_frame(mk.search(trials))
    history = queries.hypervolume_history(df)
    assert len(history) == 150
    assert history["hypervolume"].is_monotonic_increasing
    assert history["hypervolume"].iloc[0] > 0
    points, ref = queries.normalised(queries.complete(df), ["accuracy", "size_bytes"])
    front_points = points[queries.complete(df)["on_front"].to_numpy()]
    assert history["hypervolume"].iloc[-1] == pytest.approx(queries.share_of_box(front_points, ref))


def test_a_dominated_trial_leaves_the_hypervolume_unchanged(mk):
    df = queries.trials_frame(mk.search(mk.hand))
    history = queries.hypervolume_history(df)
    by_trial = dict(zip(history["trial"], history["hypervolume"], strict=True))
    assert by_trial[2] == by_trial[1]  # trial 2 is beaten by trial 1
    assert by_trial[3] > by_trial[2]
    assert list(history["minutes"]) == pytest.approx([0.5, 1.5, 2.5, 3.5])


def test_hypervolume_history_is_empty_without_complete_trials(mk):
    df = queries.trials_frame(
        mk.search([mk.trial(0, state="PRUNED"), mk.trial(1, state="RUNNING")])
    )
    assert queries.hypervolume_history(df).empty


def test_throughput_counts_each_finished_trial_once_by_bin_and_state(mk):
    trials = [mk.trial(i, 0.9, 1000 + i, minute=i // 3) for i in range(9)]
    trials += [mk.trial(9, state="PRUNED", minute=0), mk.trial(10, state="RUNNING", minute=1)]
    counts = queries.throughput(queries.trials_frame(mk.search(trials)))
    assert counts["trials"].sum() == 10  # the running trial has not finished
    complete = counts[counts["state"] == "COMPLETE"]
    # 150 s from the first start to the last finish: 10-second bins, placed in minutes.
    assert counts.attrs["bin_label"] == "10 s" and counts.attrs["unit"] == "minutes"
    assert dict(zip(complete["at"], complete["trials"], strict=True)) == {0.5: 3, 1.5: 3, 2.5: 3}


def test_a_search_under_a_minute_gets_several_bars(mk):
    from datetime import timedelta

    trials = [mk.trial(i, 0.9, 1000 + i, minute=0) for i in range(12)]
    trials = [  # finished 4 s apart, all within 48 s
        type(t)(**{**t.__dict__, "finished": t.started + timedelta(seconds=4 * (i + 1))})
        for i, t in enumerate(trials)
    ]
    counts = queries.throughput(queries.trials_frame(mk.search(trials)))
    assert counts.attrs["bin_label"] == "5 s" and counts.attrs["unit"] == "seconds"
    assert len(counts) >= 8 and counts["trials"].sum() == 12


@pytest.mark.parametrize(
    ("span_s", "label"),
    [(40, "2 s"), (150, "10 s"), (59 * 60, "5 min"), (3 * 3600, "10 min"), (3 * 86400, "6 h")],
)
def test_the_time_bin_follows_the_length_of_the_search(span_s, label):
    width = queries.time_bin(span_s)
    assert queries.duration_label(width) == label
    assert span_s / width <= queries.MAX_BINS or width == 86400


def test_page_words_keep_early_stopping_apart_from_channel_pruning(mk):
    assert state_word("PRUNED") == "stopped early"
    assert state_word("FAIL") == "failed"
    df = queries.trials_frame(mk.search(mk.hand))
    hover = dict(zip(df["trial"], df["hover"], strict=True))
    assert "(stopped early)" in hover[4] and not re.search("(?<!channel-)pruned", hover[4])
    assert "not channel-pruned" in hover[0]
    pruned = queries.trials_frame(mk.search([mk.trial(0, 0.9, 1000, prune=0.5)]))
    assert "channel-pruned 50%" in pruned["hover"].item()
    assert pruned["channel_pruned"].item()
    curves = queries.curves(mk.search(mk.hand), [4])
    assert curves["label"].unique().tolist() == ["#4 stopped early"]


def test_importance_names_params_without_the_internal_prefix(mk):
    trials = [mk.trial(i, 0.5 + i / 20, 1000 + i, finetune_epochs=i % 4) for i in range(8)]
    df = queries.trials_frame(mk.search(trials))
    assert "param:finetune_epochs" in df.attrs["params"]  # clashes with a frame column
    assert set(queries.importance(df)["param"]) == {"finetune_epochs"}
    assert "finetune_epochs=" in df["hover"].iloc[0] and "param:" not in df["hover"].iloc[0]


def test_importance_finds_the_param_that_drives_accuracy(mk):
    rng = random.Random(0)
    trials = []
    for i in range(80):
        width, noise = rng.randint(8, 64), rng.uniform(0, 1)
        act = rng.choice(["relu", "tanh"])
        trials.append(
            mk.trial(i, 0.5 + width / 200, 1000 + 10 * i, width=width, noise=noise, act=act)
        )
    imp = queries.importance(queries.trials_frame(mk.search(trials)))
    acc = imp[imp["objective"] == "accuracy"].set_index("param")["importance"]
    assert acc.idxmax() == "width"
    assert acc.sum() == pytest.approx(1.0)
    size = imp[imp["objective"] == "size_bytes"].set_index("param")["importance"]
    assert size["width"] < 0.5  # size follows the trial number here, not the width


def test_importance_needs_two_complete_trials(mk):
    df = queries.trials_frame(
        mk.search([mk.trial(0, 0.9, 1000, width=8), mk.trial(1, state="PRUNED")])
    )
    assert queries.importance(df).empty


def test_curves_split_training_from_fine_tuning(mk):
    t = TrialRecord(
        0,
        "COMPLETE",
        {"accuracy": 0.9, "size_bytes": 1.0},
        {},
        {"curve": [0.5, 0.7, 0.6, 0.9], "epochs": 2},
    )
    frame = queries.curves(mk.search([t, mk.trial(1, state="PRUNED")]), [0, 1])
    mine = frame[frame["trial"] == 0]
    assert list(mine["phase"]) == ["train", "train", "fine-tune", "fine-tune"]
    assert list(frame[frame["trial"] == 1]["accuracy"]) == [0.3]


def test_human_bytes():
    assert queries.human_bytes(512) == "512 B"
    assert queries.human_bytes(2048) == "2.0 KB"
    assert queries.human_bytes(3 * 1024**2) == "3.0 MB"


def test_frame_of_a_search_without_trials_is_empty_but_usable(mk):
    df = queries.trials_frame(mk.search([]))
    assert df.empty and queries.complete(df).empty
    assert queries.throughput(df).empty and queries.hypervolume_history(df).empty
    assert isinstance(df, pd.DataFrame)


# --- a regression search: rmse, lower is better ------------------------------------------------


def test_a_regression_frame_names_its_columns_and_hover_by_the_metric(mk):
    df = queries.trials_frame(mk.reg_search(mk.reg_hand))
    assert df.attrs["metric"] == "rmse"
    assert {"rmse", "test_rmse", "last_rmse"} <= set(df.columns)
    assert not [c for c in df.columns if "accuracy" in c]
    assert df.loc[df["trial"] == 1, "test_rmse"].item() == 62.0
    assert df.loc[df["trial"] == 4, "last_rmse"].item() == 150.0
    hover = dict(zip(df["trial"], df["hover"], strict=True))
    assert "val rmse 60 · test 62" in hover[1]
    assert not [h for h in df["hover"] if "accuracy" in h]
    assert list(queries.complete(df)["trial"]) == [0, 1, 2, 3]


def test_the_regression_front_keeps_the_lowest_rmse_for_each_size(mk):
    df = queries.trials_frame(mk.reg_search(mk.reg_hand))
    assert list(df[df["on_front"]]["trial"]) == [0, 1, 3]
    line = queries.staircase(df, "rmse")
    assert list(line["trial"]) == [0, 1, 3]
    assert line["rmse"].is_monotonic_decreasing  # falls as size grows


def test_the_regression_staircase_on_random_trials(mk):
    trials = mk.random_reg_trials(200, seed=3)
    df = queries.trials_frame(mk.reg_search(trials))
    assert set(df[df["on_front"]]["trial"]) == {
        t.number for t in pareto_front(trials, ("rmse", "size_bytes"))
    }
    line = queries.staircase(df, "rmse")
    assert set(line["trial"]) == set(df[df["on_front"]]["trial"])
    assert line["size_bytes"].is_monotonic_increasing
    assert line["rmse"].is_monotonic_decreasing
    done = queries.complete(df)
    for size, rmse in zip(line["size_bytes"], line["rmse"], strict=True):
        # No trial at most this size has a lower rmse: each step is the lowest so far.
        assert done[done["size_bytes"] <= size]["rmse"].min() == rmse
    # On test rmse a front trial can be beaten; the line still only falls.
    assert queries.staircase(df, "test_rmse")["test_rmse"].is_monotonic_decreasing


def test_regression_bounds_are_maxima(mk):
    df = queries.trials_frame(mk.reg_search(mk.reg_hand))
    ok = queries.feasible(df, max_size=None, bound=65.0)
    assert list(df[ok]["trial"]) == [1, 2, 3]  # rmse at most 65
    both = queries.feasible(df, max_size=5_000, bound=65.0)
    assert list(df[both]["trial"]) == [1, 2]
    on_test = queries.feasible(df, max_size=None, bound=62.0, y="test_rmse")
    assert list(df[on_test]["trial"]) == [1, 3]  # test rmse is 2 higher here


def test_the_hypervolume_grows_as_rmse_falls(mk):
    df = queries.trials_frame(mk.reg_search(mk.reg_hand))
    history = queries.hypervolume_history(df)
    by_trial = dict(zip(history["trial"], history["hypervolume"], strict=True))
    assert 0 < by_trial[0] < by_trial[1] < by_trial[3]
    assert by_trial[2] == by_trial[1]  # trial 2 is beaten by trial 1

    def final(rmse: float) -> float:
        # The same two sizes and the same worst trial; only the better trial's rmse differs.
        trials = [mk.reg_trial(0, 100.0, 1_000), mk.reg_trial(1, rmse, 8_000)]
        return queries.hypervolume_history(queries.trials_frame(mk.reg_search(trials)))[
            "hypervolume"
        ].iloc[-1]

    assert final(80.0) < final(60.0) < final(40.0) < final(0.0)


def test_the_rmse_reference_point_is_a_tenth_past_the_worst_trial(mk):
    df = queries.complete(queries.trials_frame(mk.reg_search(mk.reg_hand)))
    points, ref = queries.normalised(df, ["rmse", "size_bytes"])
    assert ref == [1.1, 1.1]
    assert list(points[:, 0]) == pytest.approx([70 / 70, 60 / 70, 65 / 70, 50 / 70])


def test_a_regression_searchs_curves_and_importance_use_rmse(mk):
    frame = queries.curves(mk.reg_search(mk.reg_hand), [1, 4])
    assert frame.attrs["metric"] == "rmse" and "accuracy" not in frame.columns
    assert list(frame[frame["trial"] == 1]["rmse"]) == [120.0, 60.0]
    trials = [mk.reg_trial(i, 100 - i, 1_000 + 7 * (i % 3), width=i) for i in range(8)]
    imp = queries.importance(queries.trials_frame(mk.reg_search(trials)))
    assert set(imp["objective"]) == {"rmse", "size_bytes"}
    assert imp[imp["objective"] == "rmse"].set_index("param")["importance"]["width"] == 1.0


def test_page_numbers_follow_the_metric():
    assert queries.maximised("accuracy") and queries.maximised("r2")
    assert not queries.maximised("rmse") and not queries.maximised("mae")
    assert queries.best_value(pd.Series([60.0, 50.0, 70.0]), "rmse") == 50.0
    assert queries.best_value(pd.Series([0.6, 0.5]), "accuracy") == 0.6
    assert queries.score_text(0.91234, "accuracy") == "0.9123"
    assert queries.score_text(58.12345, "rmse") == "58.12"


# --- device costs, limits and the floor (autonn 0.3) -------------------------------------------

# A search with a RAM limit and a floor: 0 is the smallest and best but breaks the RAM limit
# after training; 1 keeps every limit but is below the floor; 2 and 3 are the deployable front;
# 4 was refused before training for its RAM.
LIMITS = {"limits_applied": ["ram_bytes<=2048", "accuracy>=0.5"], "trivial": 0.1, "floor": 0.8}


def limited(mk):
    ram = {"flash_bytes": 0, "macs": 5_000}
    return [
        mk.trial(
            0,
            0.97,
            500,
            attrs={**ram, "ram_bytes": 2560, "broken_limits": {"ram_bytes<=2048": 0.25}},
        ),  # fmt: skip
        mk.trial(1, 0.70, 800, attrs={**ram, "ram_bytes": 1000}),
        mk.trial(2, 0.90, 1_000, attrs={**ram, "ram_bytes": 1500}),
        mk.trial(3, 0.95, 4_000, attrs={**ram, "ram_bytes": 1900}),
        mk.refused_trial(4, 9_000, {"ram_bytes<=2048": 0.5}, ram_bytes=3072, macs=90_000),
    ]


def test_the_front_is_the_deployable_one_the_store_gives(mk):
    trials = limited(mk)
    search = mk.search(trials, config=LIMITS)
    df = queries.trials_frame(search)
    assert [t.number for t in search.pareto] == [2, 3]
    assert list(df[df["on_front"]]["trial"]) == [2, 3]
    assert list(df[df["deployable"]]["trial"]) == [2, 3]  # 1 is below the floor
    # 0.1 + 0.8 * (0.95 - 0.1): the best trial that keeps the limits sets the floor, not trial 0.
    assert df.attrs["floor"] == pytest.approx(0.78)
    assert df.attrs["limits"] == ["ram_bytes<=2048", "accuracy>=0.5"]
    # Without the floor 1 is on it; 0 still breaks a limit, whatever the search's config says.
    unlimited = queries.trials_frame(mk.search(trials))
    assert list(unlimited[unlimited["on_front"]]["trial"]) == [1, 2, 3]
    assert unlimited.attrs["floor"] is None
    # Only its broken limit keeps 0 off: smaller and better than every other trial.
    bare = [TrialRecord(t.number, t.state, t.values, t.params, {}) for t in trials]
    assert [t.number for t in queries.front_trials(bare, ("accuracy", "size_bytes"))] == [0]


def test_a_made_up_search_with_limits_marks_the_same_front_as_the_store(made_limited):
    from autonn.store import load_search

    search = load_search(made_limited.limited, made_limited.storage)
    df = queries.trials_frame(search)
    assert set(df[df["on_front"]]["trial"]) == {t.number for t in search.pareto}
    assert not (df["on_front"] & queries.infeasible(df)).any()
    assert (df.loc[df["on_front"], "accuracy"] >= df.attrs["floor"]).all()
    # The floor keeps some trials that keep every limit off the front all the same.
    below = df["deployable"].eq(False) & df["state"].eq("COMPLETE") & ~queries.infeasible(df)
    assert below.any()
    assert queries.refused(df).any() and (df.loc[queries.refused(df), "epochs"] == 0).all()
    assert df.attrs["scheduler"] == "MO-ASHA"


def test_the_hypervolume_counts_only_deployable_trials(mk):
    df = queries.trials_frame(mk.search(limited(mk), config=LIMITS))
    history = queries.hypervolume_history(df)
    assert list(history["trial"]) == [2, 3]  # 0 breaks a limit, 1 is below the floor
    points, ref = queries.normalised(df[df["on_front"]], ["accuracy", "size_bytes"])
    assert history["hypervolume"].iloc[-1] == pytest.approx(queries.share_of_box(points, ref))
    # Trial 0 (smaller and better than all) would have raised it, had it counted.
    points, ref = queries.normalised(
        df[df["deployable"] | (df["trial"] == 0)], ["accuracy", "size_bytes"]
    )
    assert queries.share_of_box(points, ref) > history["hypervolume"].iloc[-1]


def test_device_costs_and_broken_limits_are_columns_and_hover_text(mk):
    df = queries.trials_frame(mk.search(limited(mk), config=LIMITS))
    row = df.set_index("trial")
    assert row.loc[2, "ram_bytes"] == 1500 and row.loc[4, "macs"] == 90_000
    assert row.loc[4, "size_bytes"] == 9_000  # refused, but its costs are known
    assert row.loc[0, "broken_limits"] == "ram_bytes<=2048 by 25%"
    assert pd.isna(row.loc[2, "broken_limits"])
    assert "RAM 1.5 KB" in row.loc[2, "hover"] and "5K MACs" in row.loc[2, "hover"]
    assert "breaks ram_bytes<=2048 by 25%" in row.loc[0, "hover"]
    assert "(not trained)" in row.loc[4, "hover"]
    assert "refused before training: breaks ram_bytes<=2048 by 50%" in row.loc[4, "hover"]
    assert list(df[queries.refused(df)]["trial"]) == [4]
    assert list(df[queries.stopped(df)]["trial"]) == []  # refused is not stopped early
    old = queries.trials_frame(mk.search(mk.hand))  # a search before 0.3: no device line
    assert not [h for h in old["hover"] if "RAM" in h or "MACs" in h or "breaks" in h]


@pytest.mark.parametrize(
    ("broken", "text"),
    [
        ({"ram_bytes<=2048": 0.25}, "ram_bytes<=2048 by 25%"),
        ({"accuracy>=0.9": 0.0333}, "accuracy>=0.9 by 3.3%"),
        ({"a<=1": 0.004, "b>=2": 1.5}, "a<=1 by 0.4%; b>=2 by 150%"),
    ],
)
def test_broken_limits_read_with_their_excess(broken, text):
    assert queries.broken_text(broken) == text


def test_the_staircase_follows_the_chosen_cost(mk):
    trials = [
        mk.trial(0, 0.80, 1_000, attrs={"ram_bytes": 4_000}),
        mk.trial(1, 0.90, 2_000, attrs={"ram_bytes": 1_000}),
        mk.trial(2, 0.95, 8_000, attrs={"ram_bytes": 2_000}),
    ]
    df = queries.trials_frame(mk.search(trials))
    assert list(queries.staircase(df, "accuracy")["trial"]) == [0, 1, 2]
    # On RAM, 0 is beaten by 1 (less RAM, higher accuracy): not a step of the line.
    assert list(queries.staircase(df, "accuracy", x="ram_bytes")["trial"]) == [1, 2]


def test_the_x_axes_on_offer_and_the_one_the_page_opens_with():
    assert queries.default_x(["accuracy", "size_bytes"]) == "size_bytes"
    assert queries.default_x(["accuracy", "ram_bytes", "flash_bytes"]) == "ram_bytes"
    assert queries.default_x(["value_0", "value_1"]) == "size_bytes"
    assert queries.x_choices({"target": "tflm"}, ["accuracy", "size_bytes"]) == list(queries.X_AXES)
    assert queries.x_choices({}, ["accuracy", "size_bytes"]) == ["size_bytes", "latency_ms"]


def test_limits_are_read_per_axis_and_the_scheduler_is_named(mk):
    df = queries.trials_frame(mk.search(limited(mk), config=LIMITS))
    assert [lim.bound for lim in queries.limits_on(df, "ram_bytes")] == [2048.0]
    assert [lim.op for lim in queries.limits_on(df, "accuracy")] == [">="]
    assert queries.limits_on(df, "size_bytes") == []
    assert queries.scheduler_name({"scheduler": "moasha"}) == "MO-ASHA"
    assert queries.scheduler_name({"scheduler": "asha"}) == "ASHA"
    assert queries.scheduler_name({}) == "the scheduler"


def test_human_count():
    assert queries.human_count(950) == "950"
    assert queries.human_count(12_345) == "12.3K"
    assert queries.human_count(1_500_000) == "1.5M"


# --- the normalised hypervolume lies in [0, 1] ----------------------------------------------------


def test_the_normalised_hypervolume_of_a_near_ideal_front_stays_below_1(mk):
    # The best model is also the smallest: 1 - 0.995 on accuracy, 0 on log size. Against the
    # reference point (1, 1.1) its raw volume is 0.995 x 1.1 = 1.09, which the page showed.
    trials = [mk.trial(0, 0.995, 1_000), mk.trial(1, 0.5, 50_000)]
    history = queries.hypervolume_history(queries.trials_frame(mk.search(trials)))
    assert list(history["hypervolume"]) == pytest.approx([0.995, 0.995])


@pytest.mark.parametrize("seed", range(5))
def test_the_normalised_hypervolume_lies_in_0_1_for_any_search(mk, seed):
    accuracy = queries.trials_frame(mk.search(mk.random_trials(40, seed=seed)))
    rmse = queries.trials_frame(mk.reg_search(mk.random_reg_trials(40, seed=seed)))
    perfect = queries.trials_frame(mk.reg_search([mk.reg_trial(0, 0.0, 900), *mk.reg_hand]))
    for df in (accuracy, rmse, perfect):
        values = queries.hypervolume_history(df)["hypervolume"]
        assert ((values >= 0) & (values <= 1)).all(), values.max()
    assert queries.hypervolume_history(perfect)["hypervolume"].iloc[-1] == pytest.approx(1.0)


def test_the_hypervolume_with_three_objectives_lies_in_0_1(made):
    from autonn.store import load_search

    df = queries.trials_frame(load_search(made.latency, made.storage))
    values = queries.hypervolume_history(df)["hypervolume"]
    assert len(values) > 10 and 0 < values.iloc[-1] <= 1


def test_share_of_box_is_the_volume_over_the_reference_box():
    assert queries.share_of_box(np.array([[0.0, 0.0]]), [1.0, 1.1]) == pytest.approx(1.0)
    assert queries.share_of_box(np.array([[0.5, 0.55]]), [1.0, 1.1]) == pytest.approx(0.25)


# --- which searches the Compare tab starts with ----------------------------------------------


def info(name: str, data: str | None, objectives=("accuracy", "size_bytes")):
    from autonn.store import SearchInfo

    task = "regression" if "rmse" in objectives else "classification"
    return SearchInfo(name, {"data": data, "task": task}, tuple(objectives))


def test_compare_starts_with_the_latest_search_on_the_same_data_only():
    here = info("a", "digits")
    infos = [
        here,
        info("b", "digits"),
        info("c", "digits", ("rmse", "size_bytes")),  # another metric: never offered
        info("d", "iris.csv"),  # the latest, but on another data set
    ]
    offered, chosen = queries.compare_choices(here, infos)
    assert offered == ["b", "d"] and chosen == ["b"]
    assert queries.compare_label(infos[1], here) == "b"
    assert queries.compare_label(infos[3], here) == "d (data iris.csv)"


def test_compare_starts_with_none_when_no_other_search_is_on_the_same_data():
    here = info("a", "digits")
    offered, chosen = queries.compare_choices(here, [here, info("b", "wine"), info("c", None)])
    assert offered == ["b", "c"] and chosen == []  # a search with no data stored matches none
    assert queries.compare_label(info("c", None), here) == "c (data unknown)"


# --- parallel coordinates: a few axes by default ------------------------------------------------


def test_parallel_axes_are_the_params_that_matter_and_the_costs(mk):
    rng = random.Random(0)
    trials = []
    for i in range(30):
        width = rng.randint(8, 256)
        noise = {f"p{k}": rng.uniform(0, 1) for k in range(8)}
        trials.append(mk.trial(i, 0.5 + width / 600, 1_000 + i, width=width, depth=2, **noise))
    df = queries.trials_frame(mk.search(trials))
    assert queries.parallel_choices(df)[-1] == "size_bytes"  # the only cost these trials have
    assert len(queries.parallel_choices(df)) == 10 + 1  # and every param
    axes = queries.parallel_axes(df)
    assert len(axes) == queries.PARALLEL_PARAMS + 1 and axes[-1] == "size_bytes"
    assert axes[0] == "width"  # the one that goes with accuracy
    assert "depth" not in axes  # one value: nothing to see on its axis
    df.attrs["objectives"] = ["accuracy", "ram_bytes", "latency_ms"]
    assert queries.parallel_axes(df, params=2)[2:] == ["ram_bytes", "latency_ms"]


# --- names and values as the page shows them -----------------------------------------------------


def test_a_long_search_name_keeps_its_distinguishing_tail():
    names = [f"california_housing-residual_mlp-20261125-2215{i:02d}" for i in range(3)]
    short = [queries.short_name(n) for n in names]
    assert all(len(s) <= queries.NAME_WIDTH for s in short)
    assert len(set(short)) == 3 and all(
        s.endswith(n[-12:]) for s, n in zip(short, names, strict=True)
    )
    assert short[0].startswith("cali") and "…" in short[0]
    assert queries.short_name("digits-mlp-20261125-221502") == "digits-mlp-20261125-221502"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.35000000000000003, "0.35"),  # Optuna's stepped float
        (np.float32(0.1), "0.1"),
        (0.000123456789, "0.0001235"),
        (123456.7, "1.235e+05"),
        (3, "3"),
        ("relu", "relu"),
        (True, "True"),
    ],
)
def test_param_values_read_in_at_most_4_significant_digits(value, text):
    assert queries.value_text(value) == text


def test_the_hover_shows_stepped_floats_short(mk):
    df = queries.trials_frame(mk.search([mk.trial(0, 0.9, 1_000, prune=0.35000000000000003,
                                                  lr=0.000123456789)]))  # fmt: skip
    assert "prune=0.35 " in df["hover"][0] + " " and "lr=0.0001235" in df["hover"][0]
    assert "0.35000000000000003" not in df["hover"][0]
