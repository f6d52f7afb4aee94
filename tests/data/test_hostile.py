"""Inputs from outside: malformed or hostile files and rows end in one clear autonn error or a
correct result, never another exception, a hang or an unpickled object.

The property-based tests (hypothesis, derandomized so every run draws the same cases) feed the
.csv/.parquet loader and the predictor's input parsing random tables, names and bytes.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autonn.data import Dataset, _inputs, load_dataset
from autonn.data._inputs import InputError, PackageInputs, read_inputs
from autonn.errors import UsageError
from autonn.store import search_location

CASES = settings(
    max_examples=60,
    deadline=10_000,  # ms: generous on a loaded machine, but a hang still fails
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Names a user may give columns and labels: quotes, markup, separators, unicode, blanks.
NASTY = st.sampled_from(
    [
        '"',
        "'",
        "<script>alert(1)</script>",
        "a,b",
        "../x",
        "a/b",
        "c:\\d",
        "é",
        "名前",
        "😀",
        " ",
        "",
        "NaN",
        "1e999",
        "-0",
        "True",
        "null",
        "\x00",
        "a\nb",
        "=1+1",
    ]  # fmt: skip
)
CELLS = st.one_of(
    NASTY,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


_SCRATCH: list[Path] = []  # the module's scratch folder, set by the fixture below


@pytest.fixture(scope="module", autouse=True)
def scratch_folder(tmp_path_factory):
    """Hypothesis runs thousands of examples, each writing a file; a function-scoped tmp_path
    cannot serve them, and folders of their own in /tmp were left behind (6,000 a run). They
    go in one folder that is removed when the module ends."""
    _SCRATCH[:] = [tmp_path_factory.mktemp("hostile")]
    yield
    shutil.rmtree(_SCRATCH.pop(), ignore_errors=True)


def _folder() -> Path:
    return Path(tempfile.mkdtemp(dir=_SCRATCH[0]))


def _file(suffix: str, content: bytes) -> Path:
    folder = _folder()
    path = folder / f"in{suffix}"
    path.write_bytes(content)
    return path


def _loads_or_says_why(path: Path, **kwargs) -> None:
    try:
        data = load_dataset(str(path), **kwargs)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)  # the CLI prints it as one line
        event("refused")
        return
    event("loaded")
    assert isinstance(data, Dataset)
    assert np.isfinite(data.x_train).all() and data.x_train.dtype == np.float32
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) > 0


@CASES
@given(
    header=st.lists(st.one_of(NASTY, st.text(max_size=6)), min_size=1, max_size=4),
    body=st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=60),
    labels=st.sampled_from([["a", "b"], ["<i>", "'\"", "é"], ["1", "2"], ["x", ""]]),
)
def test_random_csv_tables_load_or_fail_in_one_line(header, body, labels):
    """Random cells under random names; the label column holds a few classes, so that some
    tables load and the rest fail on the cells or names."""
    rows = [[*row, labels[i % len(labels)]] for i, row in enumerate(body)]
    path = _file(".csv", _csv([[*header, "label"], *rows]).encode("utf-8", "surrogatepass"))
    _loads_or_says_why(path)


@CASES
@given(content=st.binary(max_size=300))
def test_random_bytes_as_csv_parquet_or_npz_fail_in_one_line(content):
    for suffix in (".csv", ".parquet", ".npz"):
        _loads_or_says_why(_file(suffix, content))


@settings(CASES, max_examples=30)  # each case writes and reads a parquet file: the slowest here
@given(
    names=st.lists(st.one_of(NASTY, st.text(max_size=6)), min_size=1, max_size=4, unique=True),
    n=st.integers(0, 40),
    seed=st.integers(0, 3),
    text_label=st.booleans(),
)
def test_random_parquet_tables_load_or_fail_in_one_line(names, n, seed, text_label):
    rng = np.random.default_rng(seed)
    columns = {}
    for i, name in enumerate(names):
        kind = (i + seed) % 3
        if kind == 0:
            columns[name] = rng.normal(size=n)
        elif kind == 1:
            columns[name] = rng.choice(['<b>"x"</b>', "é/..", None], size=n)
        else:
            columns[name] = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 5, size=n))
    labels = rng.choice(["'; DROP TABLE trials; --", "<i>b</i>"] if text_label else [0, 1], n)
    frame = pd.DataFrame({**columns, "label": labels})
    folder = _folder()
    frame.to_parquet(folder / "t.parquet")
    _loads_or_says_why(folder / "t.parquet")


def test_nasty_column_names_and_labels_come_through_intact(tmp_path):
    names = ['q"uote', "<b>html</b>", "a/../b", "名前"]
    labels = ["'; --", "<i>"] * 30
    rows = [[*names, "label"]]
    rows += [[str(i), str(i % 3), "xy"[i % 2], str(-i), labels[i]] for i in range(60)]
    (tmp_path / "t.csv").write_text(_csv(rows))
    d = load_dataset(str(tmp_path / "t.csv"))
    assert d.classes == ("'; --", "<i>") and d.tabular.names == names


# The predictor's input parsing: a tabular package and a numeric one.

TABULAR = {
    "input_shape": [4],
    "mean": [0.0] * 4,
    "std": [1.0] * 4,
    "label_column": "label",
    "tabular": {
        "columns": [
            {"name": 'n"um', "kind": "number", "median": 1.5},
            {"name": "<cat>", "kind": "category", "categories": ["a", "é/.."]},
            {"name": "gone", "kind": "empty"},
            {"name": "名", "kind": "number", "median": 0.0},
        ]
    },
}
NUMERIC = {"input_shape": [1, 2, 2], "mean": [[[0.0]]], "std": [[[1.0]]], "label_column": "y"}


ROW_CELLS = st.one_of(CELLS, st.sampled_from(["a", "é/..", "1.5", "0", " 2 "]))


@CASES
@given(
    rows=st.one_of(
        st.lists(st.lists(ROW_CELLS, min_size=4, max_size=4), max_size=10),
        st.lists(st.lists(ROW_CELLS, max_size=6), max_size=5),
    ),
    named=st.booleans(),
)
def test_random_rows_for_a_tabular_package_encode_or_fail_in_one_line(rows, named):
    inputs = PackageInputs(TABULAR)
    x = rows
    if named and rows and all(len(r) == 4 for r in rows):
        x = pd.DataFrame(rows, columns=['n"um', "<cat>", "gone", "名"])
    try:
        batch = inputs.prepare(x)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused")
        return
    event("encoded")
    assert batch.dtype == np.float32 and batch.shape[1:] == (4,)
    assert np.isfinite(batch).all()


@CASES
@given(
    text=st.one_of(
        st.lists(st.lists(CELLS, max_size=6), max_size=8).map(_csv),
        st.lists(st.lists(st.floats().map(repr), min_size=4, max_size=4), max_size=8).map(_csv),
        st.text(max_size=200),
    ),
    suffix=st.sampled_from([".csv", ".npy", ".npz"]),
)
def test_random_input_files_parse_or_fail_in_one_line(text, suffix):
    path = _file(suffix, text.encode("utf-8", "surrogatepass"))
    inputs = PackageInputs(NUMERIC)
    try:
        batch = inputs.prepare(inputs.read_inputs(path))
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused")
        return
    event("parsed")
    assert batch.shape[1:] == (1, 2, 2) and np.isfinite(batch).all()


# Bounds and pickles.


def test_npz_and_npy_with_objects_are_refused_without_unpickling(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, boom)
    objects = np.array([{"a": 1}, None], dtype=object)
    np.savez(tmp_path / "d.npz", x=objects, y=np.array([0, 1]))
    np.save(tmp_path / "in.npy", objects)
    with pytest.raises(UsageError, match="holds Python objects"):
        load_dataset(str(tmp_path / "d.npz"))
    with pytest.raises(InputError, match="allow_pickle"):
        read_inputs(tmp_path / "in.npy")
    np.savez(tmp_path / "in.npz", x=objects)
    with pytest.raises(InputError, match="allow_pickle"):
        read_inputs(tmp_path / "in.npz")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_an_npz_whose_header_claims_more_than_it_holds_is_refused(tmp_path, compression):
    """numpy allocates what a .npy header claims before it reads: 4 TB here, in a 1 KB file."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
    for name in ("x.npy", "y.npy"):
        buffer = io.BytesIO()
        np.lib.format.write_array_header_2_0(buffer, header)
        with zipfile.ZipFile(tmp_path / "d.npz", "a", compression=compression) as zf:
            zf.writestr(name, buffer.getvalue() + bytes(1000))
    with pytest.raises(UsageError, match=r"claims .*\(1000000, 1000000\) float32"):
        load_dataset(str(tmp_path / "d.npz"))
    with pytest.raises(InputError, match="the file is truncated or not written by numpy"):
        read_inputs(tmp_path / "d.npz")


def test_a_table_with_too_many_columns_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "MAX_COLUMNS", 50)
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(51)) + ",label\n")
    with pytest.raises(UsageError, match="has 52 columns; autonn takes at most 50"):
        load_dataset(str(tmp_path / "wide.csv"))
    pd.DataFrame({f"c{i}": [1.0] for i in range(52)}).to_parquet(tmp_path / "wide.parquet")
    with pytest.raises(UsageError, match="has 52 columns"):
        load_dataset(str(tmp_path / "wide.parquet"))


def test_files_larger_than_memory_are_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "available_memory", lambda: 1000)
    (tmp_path / "big.csv").write_text("a,label\n" + "1.5,0\n" * 200)
    with pytest.raises(UsageError, match=r"big.csv: its rows .* would take about"):
        load_dataset(str(tmp_path / "big.csv"))
    np.save(tmp_path / "in.npy", np.zeros((100, 4)))
    with pytest.raises(InputError, match="its array would take about"):
        read_inputs(tmp_path / "in.npy")
    with pytest.raises(InputError, match="its rows would take about"):
        read_inputs(tmp_path / "big.csv")


def test_a_header_line_without_end_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "MAX_HEADER_BYTES", 100)
    (tmp_path / "one.csv").write_text("x" * 500)
    with pytest.raises(UsageError, match="first line is longer than"):
        load_dataset(str(tmp_path / "one.csv"))


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", "..", "", "nul\x00"])
def test_a_search_name_cannot_leave_the_artifact_root(tmp_path, name):
    with pytest.raises(UsageError, match="cannot name a folder under the artifact root"):
        search_location(str(tmp_path), name)


def test_names_with_quotes_markup_and_unicode_are_one_folder(tmp_path):
    for name in ["q'uote", '<b>"x"<b>', "名前-ü", "a..b", "; DROP TABLE studies"]:
        assert Path(search_location(str(tmp_path), name)).parent == tmp_path.resolve()


def test_loading_a_package_never_unpickles(tmp_path, monkeypatch):
    """A package holds JSON and a model file; autonn.load opens it with neither pickle nor
    torch.load (a package from someone else is data, not code)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    import autonn
    from autonn.package._predict import sha256

    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["input"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "W"], ["logits"]),
        ],  # fmt: skip
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 2, 2])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(np.eye(4, 2, dtype=np.float32), "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    onnx.save(model, str(pkg / "model.onnx"))
    card = {"preprocessing": {**NUMERIC, "classes": ["a", "b"], "class_values": ["a", "b"]},
            "files": {"model.onnx": {"sha256": sha256(pkg / "model.onnx")}}}  # fmt: skip
    (pkg / "model_card.json").write_text(json.dumps(card))
    np.savez(tmp_path / "in.npz", x=np.ones((3, 1, 2, 2), dtype=np.float32))

    def boom(*args, **kwargs):
        raise AssertionError("the package was unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, boom)
    if "torch" in sys.modules:  # not imported by predicting; if another test did, guard it too
        monkeypatch.setattr(sys.modules["torch"], "load", boom)
    assert autonn.load(pkg).predict_file(tmp_path / "in.npz").tolist() == ["a", "a", "a"]
