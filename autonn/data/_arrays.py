"""Big input arrays, a block of rows at a time: checking them, gathering the splits, standardising
the splits in place, and the content hash of the splits.

A data set may be as large as memory allows, so nothing here makes a full-size temporary: the
input (often a view of a mapped .npz, see _npz) is read once, in order, a block at a time, and each
block's file pages are dropped once its rows are copied out. The splits are the only full-size
arrays, float32 like the model's inputs.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from autonn.data._npz import release

# About this many bytes of input rows per block: large enough that numpy's per-call overhead
# vanishes, small enough that a block's temporaries do not show in the process's memory.
BLOCK_BYTES = 16 << 20


def row_blocks(x: np.ndarray):
    """(start, stop) row ranges of about BLOCK_BYTES each."""
    per_row = max(1, math.prod(x.shape[1:]) * x.dtype.itemsize)
    step = max(1, BLOCK_BYTES // per_row)
    for start in range(0, len(x), step):
        yield start, min(start + step, len(x))


def count_nonfinite(x: np.ndarray) -> int:
    """NaN and infinite values in a numeric array (0 for integers), a block at a time."""
    if not np.issubdtype(x.dtype, np.inexact):
        return 0
    bad = 0
    for start, stop in row_blocks(x):
        bad += int(np.count_nonzero(~np.isfinite(x[start:stop])))
        release(x[start:stop])
    return bad


def take_splits(x: np.ndarray, parts: list[np.ndarray]) -> list[np.ndarray]:
    """float32 copies of `x`'s rows at each index array of `parts`, in each array's order, made
    in one pass over `x` in row order (a mapped file is read sequentially, once)."""
    n = len(x)
    owner = np.full(n, -1, dtype=np.int8)  # which part each row of x goes to
    slot = np.zeros(n, dtype=np.int64)  # and where in it
    for k, idx in enumerate(parts):
        owner[idx] = k
        slot[idx] = np.arange(len(idx))
    out = [np.empty((len(idx), *x.shape[1:]), dtype=np.float32) for idx in parts]
    for start, stop in row_blocks(x):
        block = x[start:stop]
        for k, dest in enumerate(out):
            rows = np.flatnonzero(owner[start:stop] == k)
            if len(rows):
                with np.errstate(over="ignore"):  # past float32's range: inf, which callers find
                    dest[slot[start + rows]] = block[rows]
        release(block)
    return out


def fit_standardization(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean/std per feature (vectors) or per channel (C, ...), shapes broadcasting to one sample,
    accumulated in float64 a block at a time (x.std would make a full-size temporary)."""
    axes = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
    count = len(x) * math.prod(x.shape[2:]) if x.ndim > 2 else len(x)
    total = sum(x[a:b].sum(axis=axes, keepdims=True, dtype=np.float64) for a, b in row_blocks(x))
    mean = total / max(count, 1)
    squares = 0.0
    for start, stop in row_blocks(x):
        block = x[start:stop] - mean.astype(x.dtype)  # one block-sized temporary, squared in place
        squares += np.square(block, out=block).sum(axis=axes, keepdims=True, dtype=np.float64)
    std = np.sqrt(squares / max(count, 1))
    std = np.where(std > 1e-8, std, 1.0)  # constant features would divide by zero
    return mean[0].astype(np.float32), std[0].astype(np.float32)


def standardize_inplace(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x - mean) / std written over x (float32), a block at a time; returns x."""
    for start, stop in row_blocks(x):
        block = x[start:stop]
        block -= mean
        block /= std
    return x


def content_hash(arrays: list[np.ndarray]) -> str:
    """blake2b of the arrays' dtypes, shapes and bytes, in order: equal for equal splits."""
    digest = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape};".encode())
        digest.update(a.reshape(-1).view(np.uint8))  # hashlib reads the buffer, no copy
    return digest.hexdigest()
