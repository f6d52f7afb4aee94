"""autonn.pareto against the definitions: dominance, fronts, crowding, order, hypervolume."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autonn import pareto


def _brute_ranks(points) -> list[int]:
    """Deb's fronts by definition: peel off the rows nothing left dominates, front by front."""
    points = [tuple(p) for p in np.asarray(points).tolist()]

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    left, ranks, k = set(range(len(points))), [0] * len(points), 0
    while left:
        front = {i for i in left if not any(dominates(points[j], points[i]) for j in left)}
        for i in front:
            ranks[i] = k
        left -= front
        k += 1
    return ranks


def _random_points(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Small integers give ties and equal rows; a shared column gives long chains.
    if seed % 3 == 0:
        return rng.integers(0, 5, (n, d)).astype(float)
    if seed % 3 == 1:
        return rng.random((n, 1)) + 0.1 * rng.random((n, d))
    return rng.random((n, d))


def test_dominance_is_strict_on_one_objective_and_weak_on_the_rest():
    assert pareto.dominates((1, 2), (1, 3)) and not pareto.dominates((1, 3), (1, 2))
    assert not pareto.dominates((1, 2), (1, 2))  # equal: neither
    assert not pareto.dominates((0, 3), (1, 2))  # a trade-off: neither


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("seed", range(12))
def test_ranks_fronts_and_mask_match_the_definition(seed, d):
    points = _random_points(seed, 40, d)
    expected = _brute_ranks(points)
    assert pareto.nondominated_ranks(points).tolist() == expected
    assert pareto.nondominated_mask(points).tolist() == [r == 0 for r in expected]
    fronts = pareto.nondominated_fronts(points)
    assert [sorted(f) for f in fronts] == fronts  # each front in row order
    assert [[i for i, r in enumerate(expected) if r == k] for k in range(len(fronts))] == fronts


def test_nondominated_fronts():
    points = [(1, 5), (2, 2), (5, 1), (3, 3), (4, 4), (2, 2), (6, 6)]
    assert pareto.nondominated_fronts(points) == [[0, 1, 2, 5], [3], [4], [6]]
    assert pareto.nondominated_fronts(np.empty((0, 2))) == []
    # Three objectives: (2, 2, 0) is worse on two, better on one, so no one dominates it.
    assert pareto.nondominated_fronts([(1, 1, 1), (2, 2, 0), (2, 2, 2)]) == [[0, 1], [2]]


def test_a_row_with_nan_is_incomparable():
    points = [(1.0, 1.0), (math.nan, 0.0), (2.0, 2.0)]
    assert pareto.nondominated_mask(points).tolist() == [True, True, False]
    assert pareto.nondominated_ranks(points).tolist() == [0, 0, 1]


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("seed", range(9))
def test_ranks_kept_one_insertion_at_a_time_equal_ranks_from_scratch(seed, d, monkeypatch):
    """Including when a point heads chains longer than the layers peeled one at a time."""
    monkeypatch.setattr(pareto, "MAX_LAYERS", 2)
    points = _random_points(seed, 120, d)
    ranks = np.zeros(0, dtype=np.int64)
    for i, point in enumerate(points):
        rank, ranks = pareto.insert_rank(points[:i], ranks, point)
        ranks = np.append(ranks, rank)
    assert ranks.tolist() == _brute_ranks(points)


def test_a_point_that_dominates_a_chain_pushes_the_whole_chain_down(monkeypatch):
    monkeypatch.setattr(pareto, "MAX_LAYERS", 3)
    chain = np.array([(i, i) for i in range(1, 9)], dtype=float)
    rank, ranks = pareto.insert_rank(chain, np.arange(8), (0.0, 0.0))
    assert rank == 0 and ranks.tolist() == list(range(1, 9))


def test_crowding_distance_keeps_the_ends_and_prefers_lonely_points():
    front = [(0, 10), (1, 9), (2, 8), (8, 2), (10, 0)]
    d = pareto.crowding_distances(front)
    assert d[0] == d[4] == math.inf
    assert d[3] > d[2] > d[1]  # (8, 2) sits in the biggest gap; (1, 9) is crowded
    assert d[1] == pytest.approx(2 * (2 - 0) / 10)
    assert pareto.crowding_distances([(1, 1)]).tolist() == [0.0]  # alone: no spread to measure
    # Equal on x: x says nothing; on y the two are the ends.
    assert pareto.crowding_distances([(3, 1), (3, 2)]).tolist() == [math.inf, math.inf]


def test_crowding_of_all_fronts_at_once_equals_front_by_front():
    points = _random_points(2, 60, 2)
    ranks = pareto.nondominated_ranks(points)
    together = pareto.crowding_distances(points, ranks)
    for front in pareto.nondominated_fronts(points):
        assert together[front].tolist() == pareto.crowding_distances(points[front]).tolist()


def test_order_keys_put_fronts_first_and_incomplete_points_last():
    keys = pareto.order_keys([(2, 2), (math.nan, math.nan), (1, 1), (0, 5)])
    assert np.lexsort(keys.T[::-1]).tolist() == [2, 3, 0, 1]
    assert tuple(keys[1]) == (0.0, math.inf, 0.0)


def test_a_point_that_breaks_a_limit_ranks_below_every_feasible_one():
    points = [(0, 0), (5, 5), (6, 6), (1, 1)]  # (0, 0) dominates all, but breaks a limit
    violations = [0.5, 0.0, 0.0, 0.1]
    keys = pareto.order_keys(points, violations)
    assert np.lexsort(keys.T[::-1]).tolist() == [1, 2, 3, 0]  # infeasible by violation
    assert [pareto.count_ahead(keys, i) for i in range(4)] == [3, 0, 1, 2]
    assert not pareto.survives(points, 0, keep=2, violations=violations)
    assert pareto.survives(points, 2, keep=2, violations=violations)


def test_add_to_front_keeps_only_what_no_other_point_covers():
    front, changed = pareto.add_to_front(np.empty((0, 2)), (0.5, 0.5))
    assert changed and front.tolist() == [[0.5, 0.5]]
    assert pareto.add_to_front(front, (0.5, 0.5)) == (front, False)  # equal: adds nothing
    front, changed = pareto.add_to_front(front, (0.2, 0.9))
    front, changed = pareto.add_to_front(front, (0.1, 0.4))  # covers both
    assert changed and front.tolist() == [[0.1, 0.4]]


def test_hypervolume_of_a_staircase_and_in_three_dimensions():
    assert pareto.hypervolume([(0.5, 0.5), (0.25, 0.75)], (1, 1)) == pytest.approx(0.3125)
    assert pareto.hypervolume(np.empty((0, 2)), (1, 1)) == 0.0
    assert pareto.hypervolume([(2, 0)], (1, 1)) == 0.0  # beyond the reference: nothing
    assert pareto.hypervolume([(0.5, 0.5, 0.5)], (1, 1, 1)) == pytest.approx(0.125)


def test_an_infinite_value_still_compares():
    """The most accurate trial with an infinite size is on the front; one further on is not."""
    points = [(-0.9, math.inf), (-0.5, 1.0), (-0.4, math.inf)]
    assert pareto.nondominated_mask(points).tolist() == [True, True, False]
    assert pareto.nondominated_ranks(points).tolist() == [0, 0, 1]
    rank, ranks = pareto.insert_rank(points[1:], [0, 1], points[0])
    assert (rank, ranks.tolist()) == (0, [0, 1])
