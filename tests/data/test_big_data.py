"""Big data without copies: .npz members mapped from the file, splits gathered and standardised a
block at a time, and the content hash of the splits that export checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from autonn.data import _arrays, _inputs, load_dataset
from autonn.data._npz import read_npz
from autonn.errors import UsageError
from autonn.package._verify import rebuild_data


def _data(tmp_path, name="d.npz", *, compressed=False, **edits):
    rng = np.random.default_rng(0)
    arrays = {"x": rng.normal(3.0, 2.0, size=(300, 4, 5)).astype(np.float32),
              "y": np.tile([0, 1, 2], 100), **edits}  # fmt: skip
    path = tmp_path / name
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path, arrays


def test_stored_members_are_mapped_not_read(tmp_path):
    path, arrays = _data(tmp_path)
    got = read_npz(path)
    base = got["x"]
    while isinstance(base, np.ndarray):
        base = base.base
    assert type(base).__name__ == "mmap"  # a view of the file, not a copy in memory
    np.testing.assert_array_equal(got["x"], arrays["x"])
    np.testing.assert_array_equal(read_npz(_data(tmp_path, "c.npz", compressed=True)[0])["x"],
                                  arrays["x"])  # fmt: skip


def test_splits_are_the_rows_splitting_x_itself_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 1000)  # many blocks, some splitting nothing
    path, arrays = _data(tmp_path)
    d = load_dataset(str(path), seed=3)
    x, y = arrays["x"], arrays["y"]
    x, x_test, y, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=3)
    x_train, x_val, *_ = train_test_split(x, y, test_size=0.2, stratify=y, random_state=3)
    np.testing.assert_allclose(d.x_test * d.std + d.mean, x_test, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d.x_val * d.std + d.mean, x_val, rtol=1e-5, atol=1e-5)
    # The chunked mean and std are numpy's, per channel.
    np.testing.assert_allclose(d.mean, x_train.mean(axis=(0, 2), keepdims=True)[0], rtol=1e-5)
    np.testing.assert_allclose(d.std, x_train.std(axis=(0, 2), keepdims=True)[0], rtol=1e-5)
    assert d.x_train.dtype == np.float32 and d.x_train.flags.writeable


def test_stored_and_compressed_files_give_the_same_splits_and_hash(tmp_path):
    a = load_dataset(str(_data(tmp_path)[0]))
    b = load_dataset(str(_data(tmp_path, "c.npz", compressed=True)[0]))
    assert a.split_hash == b.split_hash and len(a.split_hash) == 32
    np.testing.assert_array_equal(a.x_train, b.x_train)


def test_the_hash_changes_with_one_value_or_the_seed(tmp_path):
    path, arrays = _data(tmp_path)
    x = arrays["x"].copy()
    x[7, 1, 2] += 1.0
    edited = load_dataset(str(_data(tmp_path, "e.npz", x=x)[0])).split_hash
    assert len({load_dataset(str(path)).split_hash, edited,
                load_dataset(str(path), seed=1).split_hash}) == 3  # fmt: skip


def test_non_finite_values_are_found_in_any_block(tmp_path, monkeypatch):
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 1000)
    x = _data(tmp_path)[1]["x"].copy()
    x[-1, 3, 4] = np.nan
    with pytest.raises(UsageError, match="x holds 1 NaN or infinite values"):
        load_dataset(str(_data(tmp_path, "nan.npz", x=x)[0]))


def test_a_data_set_larger_than_memory_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "available_memory", lambda: 10_000)
    with pytest.raises(UsageError, match=r"would take about .* MiB of memory, but this machine"):
        load_dataset(str(_data(tmp_path)[0]))


def test_raw_test_rows_stay_on_the_driver(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i % 3},{i % 2}" for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows))
    d = load_dataset(str(tmp_path / "t.csv"))
    assert d.raw_test is not None and d.for_workers().raw_test is None
    assert d.for_workers().x_train is d.x_train  # the splits themselves are not copied


# Export rebuilds the splits from the search's record and compares.


def _record(path, data) -> dict:
    return {"data": str(path), "seed": 0, "dataset": data.summary(), "split_hash": data.split_hash}


def test_export_refuses_edited_data_with_the_same_row_count(tmp_path):
    path, arrays = _data(tmp_path)
    record = _record(path, load_dataset(str(path)))
    assert rebuild_data(record).split_hash == record["split_hash"]  # unchanged: accepted
    x = arrays["x"].copy()
    x[0, 0, 0] = 99.0
    np.savez(path, x=x, y=arrays["y"])
    with pytest.raises(UsageError, match="holds other values than the search trained on"):
        rebuild_data(record)


def test_export_of_a_search_without_a_stored_hash_checks_counts_only(tmp_path):
    path, arrays = _data(tmp_path)
    record = _record(path, load_dataset(str(path)))
    del record["split_hash"]  # as searches before 0.3 stored it
    np.savez(path, x=arrays["x"] + 1.0, y=arrays["y"])
    assert rebuild_data(record).split_hash is not None


def test_values_past_float32s_range_are_refused(tmp_path):
    x = np.ones((60, 3))
    x[5, 1] = 1e300
    with pytest.raises(UsageError, match="beyond float32's range"):
        load_dataset(str(_data(tmp_path, "huge.npz", x=x, y=np.tile([0, 1], 30))[0]))


def test_reading_a_mapped_member_leaves_no_pages_behind(tmp_path):
    """The checks read every row of a mapped x, and drop each block's file pages once read: the
    process's resident memory does not grow by the size of x (128 MiB here)."""
    import psutil

    np.savez(tmp_path / "big.npz", x=np.ones((1 << 15, 1 << 10), dtype=np.float32))
    x = read_npz(tmp_path / "big.npz")["x"]
    before = psutil.Process().memory_info().rss
    assert _arrays.count_nonfinite(x) == 0
    assert psutil.Process().memory_info().rss - before < 48 << 20
