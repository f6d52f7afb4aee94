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
