"""Pareto maths, once, in numpy: dominance, non-dominated sorting, crowding, constrained order and
hypervolume, for MO-ASHA's rungs, the store's front and the dashboard.

Points are the rows of a 2-D float array, every objective minimised (negate one to maximise).

    ranks = nondominated_ranks(points)           # 0 for the front, 1 for the next, ...
    keys = order_keys(points, violations)        # (violation, rank, -crowding) per row
    count_ahead(keys, i)                         # how many rows rank strictly before row i
    hypervolume(points[ranks == 0], ref)

Two objectives (the usual metric against size) take a sort and a sweep, O(n log n); more take a
general numpy path, O(n^2) comparisons but vectorised. A rung that grows one result at a time
keeps its ranks with `insert_rank`, which touches only what the new point pushes down.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

# ---------------------------------------------------------------------------------------------
# Dominance


def as_points(points, n_objectives: int | None = None) -> np.ndarray:
    """`points` as a float array of shape (n, objectives), copied only when it must be."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 1 and n_objectives is not None:
        arr = arr.reshape(-1, n_objectives)
    if arr.ndim != 2:
        raise ValueError(f"points must be a 2-D array (n, objectives), but got {arr.shape=}.")
    return arr


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether `a` is at least as good as `b` in every objective and better in one."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(a <= b) and np.any(a < b))


def _compare(points: np.ndarray, point: np.ndarray):
    """(rows that dominate `point`, rows `point` dominates), a column at a time: far cheaper
    than broadcasting to an (n, objectives) array of booleans and reducing it."""
    col, v = points[:, 0], point[0]
    le, lt, ge, gt = col <= v, col < v, col >= v, col > v
    for k in range(1, points.shape[1]):
        col, v = points[:, k], point[k]
        le &= col <= v
        lt |= col < v
        ge &= col >= v
        gt |= col > v
    return le & lt, ge & gt


def _leaders(x: np.ndarray, y: np.ndarray):
    """Lexicographic order of (x, y), and which sorted rows differ from the row before: equal
    points share a rank, so the sweeps below look at one of each."""
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    lead = np.ones(len(order), dtype=bool)
    lead[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    return order, ys, lead


def _columns_2d(points: np.ndarray):
    x = points[:, 0]
    y = points[:, 1] if points.shape[1] > 1 else np.zeros(len(points))
    return x, y


# ---------------------------------------------------------------------------------------------
# Non-dominated sorting


def nondominated_mask(points) -> np.ndarray:
    """Which rows no other row dominates. Equal rows are kept together; a row with a NaN is
    incomparable, so it is on the front and dominates nothing."""
    pts = as_points(points)
    out = np.ones(len(pts), dtype=bool)
    ok = ~np.isnan(pts).any(axis=1)
    if ok.sum() > 1:
        out[ok] = _front_2d(pts[ok]) if pts.shape[1] <= 2 else _front_general(pts[ok])
    return out


def _front_2d(pts: np.ndarray) -> np.ndarray:
    # In (x, y) order a distinct point is dominated exactly when an earlier one has y <= its y.
    order, ys, lead = _leaders(*_columns_2d(pts))
    ly = ys[lead]
    on_lead = _first_layer(ly)
    on = np.empty(len(pts), dtype=bool)
    on[order] = on_lead[np.cumsum(lead) - 1]
    return on


def _first_layer(ys: np.ndarray) -> np.ndarray:
    """Which of distinct points in (x, y) order no earlier one dominates: those below every
    earlier y, and the first (compared with nothing, so an infinite y is on it too)."""
    best_before = np.minimum.accumulate(ys)
    layer = np.ones(len(ys), dtype=bool)
    layer[1:] = ys[1:] < best_before[:-1]
    return layer


def _front_general(pts: np.ndarray) -> np.ndarray:
    # Lexicographic order puts every dominator first, and a dominated point is dominated by
    # some front member: each point need only be checked against the front so far.
    order = np.lexsort(pts.T[::-1])
    on = np.zeros(len(pts), dtype=bool)
    front = np.empty((0, pts.shape[1]))
    for i in order:
        p = pts[i]
        if len(front) and _compare(front, p)[0].any():
            continue
        on[i] = True
        front = np.vstack([front, p])
    return on


def nondominated_ranks(points) -> np.ndarray:
    """Each row's front, counting from 0: the length of the longest chain of rows that dominate
    it one after another (Deb's fronts: front 1 is what front 0 alone dominates, and so on).
    Equal rows share a front; a row with a NaN is incomparable and gets 0."""
    pts = as_points(points)
    ranks = np.zeros(len(pts), dtype=np.int64)
    ok = ~np.isnan(pts).any(axis=1)
    if ok.sum() > 1:
        ranks[ok] = _ranks_2d(pts[ok]) if pts.shape[1] <= 2 else _ranks_general(pts[ok])
    return ranks


def _ranks_2d(pts: np.ndarray) -> np.ndarray:
    # Sort by x, sweep y: `lows[k]` is the lowest y seen in front k, ascending in k, so a
    # point's front is the number of fronts already holding a y at or below its own.
    order, ys, lead = _leaders(*_columns_2d(pts))
    lows: list[float] = []
    lead_ranks = []
    for y in ys[lead].tolist():
        k = bisect.bisect_right(lows, y)
        if k == len(lows):
            lows.append(y)
        else:
            lows[k] = y
        lead_ranks.append(k)
    ranks = np.empty(len(pts), dtype=np.int64)
    ranks[order] = np.asarray(lead_ranks, dtype=np.int64)[np.cumsum(lead) - 1]
    return ranks


def _ranks_general(pts: np.ndarray) -> np.ndarray:
    order = np.lexsort(pts.T[::-1])  # dominators first
    sorted_pts = pts[order]
    ranks = np.zeros(len(pts), dtype=np.int64)
    for i in range(1, len(pts)):
        above = _compare(sorted_pts[:i], sorted_pts[i])[0]
        if above.any():
            ranks[i] = ranks[:i][above].max() + 1
    out = np.empty_like(ranks)
    out[order] = ranks
    return out


def nondominated_fronts(points) -> list[list[int]]:
    """Row indices split into fronts, best first, each front in ascending row order."""
    ranks = nondominated_ranks(points)
    if not len(ranks):
        return []
    order = np.argsort(ranks, kind="stable")
    bounds = np.cumsum(np.bincount(ranks))[:-1]
    return [part.tolist() for part in np.split(order, bounds)]


def insert_rank(points, ranks, point) -> tuple[int, np.ndarray]:
    """The rank of `point` among `points` (whose ranks are `ranks`, NaN-free), and the ranks of
    `points` once it joins them (a new array).

    Only rows `point` dominates can move down: each becomes the larger of its old rank and the
    point's rank plus its depth below the point (Salinas et al. keep a rung's fronts the same
    way). The depths are taken a layer at a time and stop at the first layer nothing moves in,
    since no row below a layer that held can move either.
    """
    pts = as_points(points, len(point))
    point = np.asarray(point, dtype=float)
    ranks = np.array(ranks, dtype=np.int64, copy=True)
    above, below = _compare(pts, point)
    rank = int(ranks[above].max()) + 1 if above.any() else 0
    rows = np.flatnonzero(below)
    if len(rows):
        push = _push_2d if pts.shape[1] <= 2 else _push_general
        ranks[rows] = push(pts[rows], ranks[rows], rank, point)
    return rank, ranks


# Layers peeled one vectorised pass at a time before the remaining depths are taken in one
# sweep: a point that heads a long chain would otherwise cost a pass per layer.
MAX_LAYERS = 32


def _push_2d(pts: np.ndarray, old: np.ndarray, rank: int, point) -> np.ndarray:
    order, ys, lead = _leaders(*_columns_2d(pts))
    group = np.empty(len(pts), dtype=np.int64)  # each row's distinct point, in (x, y) order
    group[order] = np.cumsum(lead) - 1
    ly = ys[lead]
    left = np.arange(len(ly))
    new = old.copy()
    for depth in range(1, MAX_LAYERS + 1):
        layer = _first_layer(ly[left])
        rows = np.flatnonzero(_member(left[layer], len(ly))[group])
        moved = rows[new[rows] < rank + depth]
        if not len(moved):
            return new
        new[moved] = rank + depth
        left = left[~layer]
        if not len(left):
            return new
    # Many layers moved: the depths of the rest in one sweep.
    rows = np.flatnonzero(_member(left, len(ly))[group])
    new[rows] = np.maximum(new[rows], rank + MAX_LAYERS + 1 + _ranks_2d(pts[rows]))
    return new


def _member(ids: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=bool)
    out[ids] = True
    return out


def _push_general(pts: np.ndarray, old: np.ndarray, rank: int, point) -> np.ndarray:
    # Relax from the point: the rows a moved row dominates may move, until none does.
    new = old.copy()
    movers, mover_ranks = point[None, :], np.array([rank])
    while len(movers):
        reach = np.flatnonzero(new <= mover_ranks.max())
        if not len(reach):
            break
        best = np.full(len(reach), -1, dtype=np.int64)
        for m, r in zip(movers, mover_ranks, strict=True):
            hit = _compare(pts[reach], m)[1]
            best[hit] = np.maximum(best[hit], r + 1)
        moved = best > new[reach]
        rows = reach[moved]
        new[rows] = best[moved]
        movers, mover_ranks = pts[rows], new[rows]
    return new


# ---------------------------------------------------------------------------------------------
# Crowding and the constrained order


def crowding_distances(points, ranks=None) -> np.ndarray:
    """NSGA-II crowding distance of each row within its front (`ranks`; one front if None):
    larger is lonelier, so better.

    Per objective, a row adds the gap between its two neighbours in its front, divided by the
    front's range; the rows at either end get infinity, so a front's extremes (the most
    accurate, the smallest) are always kept. An objective on which a whole front is equal says
    nothing about its spread and adds nothing. Ties keep row order, as a stable sort does.
    """
    pts = as_points(points)
    n = len(pts)
    fronts = np.zeros(n, dtype=np.int64) if ranks is None else np.asarray(ranks)
    distance = np.zeros(n)
    if n == 0:
        return distance
    for k in range(pts.shape[1]):
        order = np.lexsort((pts[:, k], fronts))
        v, f = pts[order, k], fronts[order]
        first = np.ones(n, dtype=bool)
        first[1:] = f[1:] != f[:-1]
        last = np.roll(first, -1)
        group = np.cumsum(first) - 1
        span = (v[last] - v[first])[group]
        spread = span != 0
        inner = spread & ~first & ~last
        gaps = np.zeros(n)
        gaps[1:-1] = v[2:] - v[:-2]
        idx = order[inner]
        distance[idx] += gaps[inner] / span[inner]
        distance[order[spread & (first | last)]] = np.inf
    return distance


def constrained_keys(violations, feasible, ranks, crowding) -> np.ndarray:
    """Sort keys, lower is better, one row each: (violation, rank, -crowding) for a feasible
    row, (violation, inf, 0) for any other.

    Constrained domination (Deb): a row that breaks a limit ranks after every feasible one, and
    infeasible rows rank by how far they break them; an incomplete row ranks after every
    complete one with its violation.
    """
    violations = np.asarray(violations, dtype=float)
    keys = np.zeros((len(violations), 3))
    keys[:, 0] = np.where(feasible, 0.0, violations)
    keys[:, 1] = np.where(feasible, ranks, np.inf)
    keys[feasible, 2] = -np.asarray(crowding, dtype=float)[feasible]
    return keys


def order_keys(points, violations=None) -> np.ndarray:
    """`constrained_keys` of every row: rows with a NaN are incomplete, rows with a violation
    above 0 infeasible, the rest ranked by front and crowding within it."""
    pts = as_points(points)
    n = len(pts)
    violations = np.zeros(n) if violations is None else np.asarray(violations, dtype=float)
    feasible = ~np.isnan(pts).any(axis=1) & (violations <= 0)
    ranks, crowding = np.zeros(n, dtype=np.int64), np.zeros(n)
    rows = np.flatnonzero(feasible)
    ranks[rows] = nondominated_ranks(pts[rows])
    crowding[rows] = crowding_distances(pts[rows], ranks[rows])
    return constrained_keys(violations, feasible, ranks, crowding)


def count_ahead(keys: np.ndarray, index: int) -> int:
    """How many rows of `keys` come strictly before row `index` in lexicographic order."""
    a, b, c = keys[:, 0], keys[:, 1], keys[:, 2]
    ka, kb, kc = keys[index]
    ahead = (a < ka) | ((a == ka) & ((b < kb) | ((b == kb) & (c < kc))))
    return int(np.count_nonzero(ahead))


def survives(points, index: int, keep: int, violations=None) -> bool:
    """Whether row `index` is among the best `keep` by `order_keys`. Ties go its way: it is out
    only if `keep` or more rows rank strictly better (as ASHA stops only below the cutoff)."""
    return count_ahead(order_keys(points, violations), index) < keep


# ---------------------------------------------------------------------------------------------
# Hypervolume


def add_to_front(front: np.ndarray, point) -> tuple[np.ndarray, bool]:
    """A non-dominated set with `point` offered to it: (the new set, whether it changed). A
    point some member is at least as good as everywhere adds nothing; members the point is at
    least as good as everywhere leave."""
    point = np.asarray(point, dtype=float)
    if len(front) and np.any(np.all(front <= point, axis=1)):
        return front, False
    keep = ~np.all(point <= front, axis=1) if len(front) else np.ones(0, dtype=bool)
    return np.vstack([front[keep], point]), True


def hypervolume(points, ref: Sequence[float]) -> float:
    """Volume dominated by `points` and bounded by `ref` (points not below it add nothing).

    Exact: a sweep in 2-D, slicing along the first objective above that (fronts of tens to
    hundreds of points).
    """
    ref = np.asarray(ref, dtype=float)
    pts = np.asarray(points, dtype=float).reshape(-1, len(ref))
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    if len(ref) == 1:
        return float(ref[0] - pts[:, 0].min())
    if len(ref) == 2:
        return _hypervolume_2d(pts, ref)
    pts = pts[np.argsort(pts[:, 0])]
    volume = 0.0
    for i in range(len(pts)):
        upper = pts[i + 1, 0] if i + 1 < len(pts) else ref[0]
        if upper > pts[i, 0]:
            volume += (upper - pts[i, 0]) * hypervolume(pts[: i + 1, 1:], ref[1:])
    return float(volume)


def _hypervolume_2d(pts: np.ndarray, ref: np.ndarray) -> float:
    # Sweep by x: each point adds the strip below the lowest y so far. cumsum adds the strips
    # in that order, as a loop would, so the figure does not depend on numpy's pairwise sum.
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    x, y = pts[:, 0], pts[:, 1]
    best_before = np.minimum.accumulate(np.concatenate(([ref[1]], y)))[:-1]
    gain = y < best_before
    strips = (ref[0] - x[gain]) * (best_before[gain] - y[gain])
    return float(np.cumsum(strips)[-1]) if len(strips) else 0.0


__all__ = [
    "MAX_LAYERS",
    "add_to_front",
    "as_points",
    "constrained_keys",
    "count_ahead",
    "crowding_distances",
    "dominates",
    "hypervolume",
    "insert_rank",
    "nondominated_fronts",
    "nondominated_mask",
    "nondominated_ranks",
    "order_keys",
    "survives",
]
