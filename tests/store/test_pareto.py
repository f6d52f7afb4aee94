from autonn.store import TrialRecord, pareto_front


def _t(number, acc, size, state="COMPLETE"):
    values = {"accuracy": acc, "size_bytes": size} if state == "COMPLETE" else {}
    return TrialRecord(number=number, state=state, values=values, params={}, attrs={})


def test_front_keeps_only_non_dominated_complete_trials_sorted_by_size():
    trials = [
        _t(0, 0.90, 1000),
        _t(1, 0.95, 5000),
        _t(2, 0.89, 2000),  # dominated by 0
        _t(3, 0.97, 9000),
        _t(4, 0.99, 100, state="PRUNED"),  # not fully trained: never on the front
        _t(5, 0.95, 5000),  # ties with 1: neither dominates
    ]
    front = pareto_front(trials, ("accuracy", "size_bytes"))
    assert [t.number for t in front] == [0, 1, 5, 3]


def test_front_of_nothing_is_empty():
    assert pareto_front([_t(0, 0.9, 1, state="FAIL")], ("accuracy", "size_bytes")) == []


def test_a_trial_that_breaks_a_limit_is_never_on_the_front():
    over = TrialRecord(
        number=6,
        state="COMPLETE",
        values={"accuracy": 0.99, "size_bytes": 10},  # would dominate every other trial
        params={},
        attrs={"broken_limits": {"ram_bytes<=65536": 0.2}},
    )
    front = pareto_front([_t(0, 0.90, 1000), _t(1, 0.95, 5000), over], ("accuracy", "size_bytes"))
    assert [t.number for t in front] == [0, 1]


def test_the_floor_keeps_the_useless_small_models_off_the_front():
    """trivial 0.1, share 0.8, best 0.96: the floor is 0.788; 0.70 and 0.78 are gone though
    nothing dominates them, and a share of 0 keeps all better than the trivial predictor."""
    trials = [_t(0, 0.70, 100), _t(1, 0.78, 200), _t(2, 0.80, 300), _t(3, 0.96, 900)]
    objectives = ("accuracy", "size_bytes")
    assert [t.number for t in pareto_front(trials, objectives, (0.1, 0.8))] == [2, 3]
    assert [t.number for t in pareto_front(trials, objectives, (0.1, 0.0))] == [0, 1, 2, 3]
    assert [t.number for t in pareto_front(trials, objectives, (0.75, 0.0))] == [1, 2, 3]


def test_the_floor_of_an_error_metric_is_a_ceiling():
    def r(number, rmse, size):
        return TrialRecord(number, "COMPLETE", {"rmse": rmse, "size_bytes": size}, {}, {},
                           metric="rmse")  # fmt: skip

    trials = [r(0, 75.0, 100), r(1, 60.0, 200), r(2, 55.0, 900)]  # trivial 77: 75 is useless
    front = pareto_front(trials, ("rmse", "size_bytes"), (77.0, 0.5))  # floor 66
    assert [t.number for t in front] == [1, 2]


def test_a_loaded_search_computes_its_front_once(monkeypatch):
    import autonn.store._pareto as store_pareto
    from autonn.store import Search, SearchInfo

    config = {"objectives": ["accuracy", "size_bytes"]}
    search = Search(
        info=SearchInfo.from_config("s", config, 2, {"COMPLETE": 2}),
        trials=[_t(0, 0.90, 1000), _t(1, 0.89, 2000)],
        storage="sqlite://",
    )
    calls = []
    real = store_pareto.pareto_front
    monkeypatch.setattr(store_pareto, "pareto_front", lambda *a: calls.append(1) or real(*a))
    assert [t.number for t in search.pareto] == [0]
    assert search.pareto is search.pareto and len(calls) == 1
