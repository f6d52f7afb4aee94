"""Choosing the trial to export, on hand-made trial records (no database, milliseconds)."""

from __future__ import annotations

import pytest

from autonn.errors import UsageError
from autonn.package import Pick, choose, knee_scores, parse_pick
from autonn.store import TrialRecord

OBJ = ("accuracy", "size_bytes")


def _t(number, acc, size, *, state="COMPLETE", latency=None, test=None):
    values = {"accuracy": acc, "size_bytes": size} if state == "COMPLETE" else {}
    attrs = {"size_bytes": size}
    if latency is not None:
        attrs["latency_ms"] = latency
    if test is not None:
        attrs["test_accuracy"] = test
    return TrialRecord(number=number, state=state, values=values, params={}, attrs=attrs)


@pytest.fixture
def trials():
    return [
        _t(0, 0.80, 1_000, latency=0.010),
        _t(1, 0.90, 10_000, latency=0.020),
        _t(2, 0.93, 100_000, latency=0.030),
        _t(3, 0.95, 1_000_000, latency=0.040),
        _t(4, 0.96, 10_000_000, latency=0.050),
        _t(5, 0.85, 20_000, latency=0.001),  # dominated by 1: never picked
        _t(6, 0.99, 500, state="PRUNED"),  # half trained: never picked by rank
        _t(7, 0.94, 2_000_000, state="FAIL"),
    ]


def _pick(trials, pick, **kw):
    return choose(trials, OBJ, pick, **kw)[0].number


def test_named_picks_choose_on_the_front(trials):
    assert _pick(trials, "best-accuracy") == 4
    assert _pick(trials, "smallest") == 0
    # trial 5 is the fastest of all, but it is off the (accuracy, size) front
    assert _pick(trials, "fastest") == 0


def test_picks_use_validation_accuracy_never_test_accuracy():
    trials = [_t(0, 0.90, 100, test=0.99), _t(1, 0.95, 200, test=0.80)]
    assert _pick(trials, "best-accuracy") == 1


def test_ties_on_accuracy_go_to_the_smaller_model():
    trials = [_t(0, 0.9, 300), _t(1, 0.9, 200), _t(2, 0.8, 100)]
    assert _pick(trials, "best-accuracy") == 1


def test_knee_is_the_point_farthest_above_the_line_between_the_extremes(trials):
    # log10 sizes 3..7 -> 0, .25, .5, .75, 1; accuracies .80..0.96 -> 0, .625, .8125, .9375, 1
    scores = knee_scores([t for t in trials if t.number <= 4], "size_bytes")
    assert scores[0] == pytest.approx(0) and scores[4] == pytest.approx(0)
    assert scores[1] == pytest.approx(0.625 - 0.25)
    assert max(scores, key=scores.get) == 1
    number = _pick(trials, "knee")
    assert number == 1
    assert "knee" in choose(trials, OBJ, "knee")[1]


def test_knee_moves_with_the_front():
    # a big accuracy jump at 100 kB makes that the balanced point
    trials = [_t(0, 0.50, 1e3), _t(1, 0.55, 1e4), _t(2, 0.95, 1e5), _t(3, 0.96, 1e7)]
    assert _pick(trials, "knee") == 2


@pytest.mark.parametrize(
    "front",
    [
        [_t(0, 0.9, 100), _t(1, 0.95, 1000)],  # two points: both on the line
        [_t(0, 0.9, 10), _t(1, 0.91, 100), _t(2, 0.92, 1000)],  # collinear in (acc, log size)
        [_t(0, 0.9, 10), _t(1, 0.905, 100), _t(2, 0.92, 1000)],  # convex: all below the line
    ],
)
def test_knee_without_a_point_above_the_line_is_the_most_accurate(front):
    chosen, why = choose(front, OBJ, "knee")
    assert chosen.number == front[-1].number
    assert "best-scoring" in why


def test_knee_on_an_accuracy_latency_search_uses_latency():
    objectives = ("accuracy", "latency_ms")
    trials = [
        TrialRecord(n, "COMPLETE", {"accuracy": a, "latency_ms": lat}, {}, {})
        for n, (a, lat) in enumerate([(0.5, 0.001), (0.9, 0.01), (0.92, 0.1), (0.93, 1.0)])
    ]
    assert choose(trials, objectives, "knee")[0].number == 1


def test_size_constraint_takes_the_most_accurate_that_fits(trials):
    assert _pick(trials, "size_bytes<=150000") == 2
    assert _pick(trials, "size_bytes<=100000") == 2  # the bound itself meets it
    assert _pick(trials, "size_bytes <= 99_999") == 1


def test_accuracy_constraint_takes_the_smallest_that_reaches_it(trials):
    assert _pick(trials, "accuracy>=0.93") == 2
    assert _pick(trials, "accuracy>=0.931") == 3


def test_latency_constraint_reads_latency_from_the_attributes(trials):
    # latency is not an objective here: it comes from each trial's measurements
    assert _pick(trials, "latency_ms<=0.035") == 2


def test_constraint_nothing_meets_names_the_closest_trial(trials):
    with pytest.raises(
        UsageError, match=r"size_bytes<=10.*closest is trial 0 with size_bytes=1000"
    ):
        choose(trials, OBJ, "size_bytes<=10")
    with pytest.raises(UsageError, match=r"closest is trial 4 with accuracy=0\.96"):
        choose(trials, OBJ, "accuracy>=0.97")


def test_trial_number_exports_that_trial_whatever_its_rank(trials):
    chosen, why = choose(trials, OBJ, "best-accuracy", trial=5)
    assert chosen.number == 5 and "as asked" in why


@pytest.mark.parametrize(
    ("number", "message"),
    [(6, "trial 6 of the search is PRUNED, not COMPLETE"), (42, "has no trial 42")],
)
def test_trial_number_must_exist_and_be_complete(trials, number, message):
    with pytest.raises(UsageError, match=message):
        choose(trials, OBJ, trial=number)


def test_no_complete_trial_is_a_usage_error():
    trials = [_t(0, 0.9, 100, state="PRUNED"), _t(1, 0.9, 100, state="FAIL")]
    with pytest.raises(UsageError, match="has no COMPLETE trial to export"):
        choose(trials, OBJ, "best-accuracy", search="search 'x'")
    with pytest.raises(UsageError, match="has no COMPLETE trial"):
        choose([], OBJ, "smallest")


def test_parse_pick_accepts_the_documented_forms():
    assert parse_pick(" Best-Accuracy ") == Pick("best")  # 0.1's name still works
    assert parse_pick("best") == Pick("best")
    assert parse_pick("rmse <= 40") == Pick("constraint", "rmse", 40.0)
    assert parse_pick("r2>=-0.5") == Pick("constraint", "r2", -0.5)
    assert parse_pick("ram_bytes<=64KB") == Pick("constraint", "ram_bytes", 65536.0)
    assert parse_pick("flash_bytes<=1_000") == Pick("constraint", "flash_bytes", 1000.0)
    assert parse_pick("size_bytes<=5e4") == Pick("constraint", "size_bytes", 50_000.0)
    assert parse_pick("accuracy >= 0.95") == Pick("constraint", "accuracy", 0.95)
    assert str(parse_pick("latency_ms<=0.5")) == "latency_ms<=0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("top", "unknown pick 'top'; use best, smallest"),
        ("rmse>=40", "rmse takes a bound with '<='"),
        ("size<=100", "unknown metric 'size'"),
        ("size_bytes>=100", "size_bytes takes a bound with '<='"),
        ("accuracy<=0.9", "accuracy takes a bound with '>='"),
        ("accuracy>=95", r"accuracy is a fraction between 0 and 1, e\.g\. accuracy>=0\.95"),
        ("size_bytes<=1.2.3", "is not a number"),
    ],
)
def test_parse_pick_rejects_other_syntax_in_one_line(text, message):
    with pytest.raises(UsageError, match=message) as info:
        parse_pick(text)
    assert "\n" not in str(info.value)


def _r(number, rmse, size):
    return TrialRecord(
        number, "COMPLETE", {"rmse": rmse, "size_bytes": size}, {}, {}, metric="rmse"
    )


REG = [_r(0, 80.0, 1_000), _r(1, 60.0, 10_000), _r(2, 55.0, 100_000), _r(3, 70.0, 50_000)]


def test_regression_picks_follow_the_metrics_direction():
    objectives = ("rmse", "size_bytes")
    best, why = choose(REG, objectives, "best")
    assert best.number == 2 and "rmse 55" in why  # lowest rmse, not highest
    assert choose(REG, objectives, "rmse<=60")[0].number == 1  # smallest that reaches it
    assert choose(REG, objectives, "size_bytes<=20000")[0].number == 1  # lowest rmse that fits
    assert choose(REG, objectives, "smallest")[0].number == 0
    with pytest.raises(UsageError, match=r"closest is trial 2 with rmse=55"):
        choose(REG, objectives, "rmse<=50")


def test_a_constraint_on_another_metric_than_the_searchs_is_refused():
    with pytest.raises(UsageError, match="searched on rmse"):
        choose(REG, ("rmse", "size_bytes"), "accuracy>=0.9")
