"""Raw inputs -> the standardised float32 batch an exported model takes: reading input files,
encoding table rows with the card's `preprocessing.tabular` spec, checking shapes, standardising.

This is the one copy. The data loader encodes training rows with it (TabularSpec.encode), the
Predictor that `autonn.load` returns prepares inputs with it, and export writes this file's code
into every package's standalone predict.py (autonn/package/_script.py). So it imports the standard
library and numpy only, pandas only for table rows, and never autonn: its errors are InputError, a
ValueError, which autonn raises again as UsageError and predict.py prints as one line.
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# How a raw column becomes features: a number gives itself, a category one 0/1 feature per
# category, an empty column (blank in every training row) nothing.
NUMBER, CATEGORY, EMPTY = "number", "category", "empty"


# Bounds on what one file may hold, so that a hostile or mistaken file ends in one line instead of
# exhausting memory: a table's columns, the length of its header line, and how much memory
# reading a table takes per byte of file (parsed numbers and text cells, about 3x for pandas).
MAX_COLUMNS = 10_000
MAX_HEADER_BYTES = 4 << 20
TABLE_EXPANSION = 3


class InputError(ValueError):
    """Inputs the model cannot take; the message says why and what it takes."""


def available_memory() -> int | None:
    """Bytes of memory this machine can give without swapping (None: unknown)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # predict.py runs without psutil: Linux says it in /proc/meminfo
        try:
            with open("/proc/meminfo") as f:
                kib = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable"))
            return kib * 1024
        except (OSError, StopIteration, ValueError):
            return None


def check_fits(path: str | Path, nbytes: int, what: str) -> None:
    """InputError when reading `what` of `path` would take more memory than is available."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise InputError(
            f"{path}: {what} would take about {_gib(nbytes)} of memory, but this machine has "
            f"{_gib(free)} available; use a smaller file or a machine with more memory"
        )


def check_table(path: Path) -> None:
    """Bound a .csv or .parquet before pandas reads it: its columns, and the memory its rows
    will take relative to what is available."""
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
        except ImportError:
            return  # pandas says which engine is missing when it reads
        except Exception as exc:  # pyarrow raises its own errors for a file that is not parquet
            raise InputError(f"cannot read {path} as .parquet: {exc}") from exc
        columns = meta.num_columns
        nbytes = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    else:
        columns = _csv_columns(path)
        nbytes = path.stat().st_size * TABLE_EXPANSION
    if columns > MAX_COLUMNS:
        raise InputError(
            f"{path} has {columns} columns; autonn takes at most {MAX_COLUMNS}: select the "
            "features to use, or save numeric samples as a .npz"
        )
    check_fits(path, nbytes, f"its rows ({_gib(path.stat().st_size)} on disk)")


def _csv_columns(path: Path) -> int:
    """How many columns the first line of a .csv names, reading at most MAX_HEADER_BYTES."""
    with path.open("rb") as f:
        line = f.readline(MAX_HEADER_BYTES)
    if len(line) == MAX_HEADER_BYTES and not line.endswith(b"\n"):
        raise InputError(
            f"{path}: the first line is longer than {MAX_HEADER_BYTES >> 20} MiB; is it a .csv?"
        )
    text = line.decode("utf-8", errors="replace")
    try:
        return max((len(r) for r in csv.reader([text])), default=0)
    except csv.Error as exc:
        raise InputError(f"cannot read {path} as .csv: {exc}") from exc


def _gib(nbytes: int) -> str:
    return f"{nbytes / (1 << 30):.2f} GiB" if nbytes >= 1 << 28 else f"{nbytes / (1 << 20):.1f} MiB"


def import_pandas() -> Any:
    """pandas, which table rows need; without it, an ImportError saying how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "this model takes table rows, which need pandas: pip install pandas"
        ) from exc
    return pandas


class PackageInputs:
    """What a package takes, from its card's `preprocessing`, and how raw inputs become the batch
    its ONNX model runs on. autonn's Predictor and predict.py's Model both build on it."""

    def __init__(self, preprocessing: dict[str, Any]) -> None:
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in preprocessing["input_shape"])
        self.mean = np.asarray(preprocessing["mean"], dtype=np.float32)
        self.std = np.asarray(preprocessing["std"], dtype=np.float32)
        self.label_column: str | None = preprocessing.get("label_column")
        tabular = preprocessing.get("tabular")
        # Trained on a .csv or .parquet: raw rows in, each column encoded as its spec says.
        self.columns: list[dict[str, Any]] | None = tabular["columns"] if tabular else None
        if self.columns is not None:
            import_pandas()  # say so when the package is opened, not at its first rows

    @property
    def n_features(self) -> int:
        return math.prod(self.input_shape)

    def prepare(self, x: Any) -> np.ndarray:
        """Raw inputs as the standardised float32 batch the ONNX model takes."""
        if self.columns is not None:
            x = encode(rows_frame(x, [c["name"] for c in self.columns]), self.columns)
        x = as_batch(np.asarray(x), self.input_shape)
        with np.errstate(over="ignore", invalid="ignore"):  # found just below, in one line
            batch = np.ascontiguousarray((x.astype(np.float32) - self.mean) / self.std, np.float32)
        if not np.isfinite(batch).all():
            raise InputError(
                f"inputs hold values beyond float32's range (largest {np.abs(x).max():.3g}); the "
                "model takes float32 inputs"
            )
        return batch

    def read_inputs(self, path: str | Path) -> Any:
        """Raw inputs from a file (see `read_inputs`); for a package trained on table rows, a .csv
        or .parquet gives its rows as a DataFrame, the label column dropped."""
        if self.columns is not None and Path(path).suffix in (".csv", ".parquet"):
            text = [c["name"] for c in self.columns if c["kind"] == CATEGORY]
            frame = read_rows(path, text_columns=text)
            return frame.drop(columns=[self.label_column], errors="ignore")
        return read_inputs(path, label_column=self.label_column, n_features=self.n_features)


def as_batch(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Numeric, finite samples shaped (n, *shape), from any form `PackageInputs` accepts."""
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise InputError(f"inputs must be numeric, but have dtype {x.dtype}")
    n_features = math.prod(shape)
    # One channel: (H, W) images or (L,) signals are unambiguous without the channel axis.
    bare = shape[1:] if len(shape) > 1 and shape[0] == 1 else None
    if x.shape == shape:
        x = x[None]
    elif bare is not None and x.shape == bare:
        x = x.reshape((1, *shape))
    elif x.ndim == 2 and x.shape[1] == n_features and len(shape) > 1:
        x = x.reshape((len(x), *shape))
    elif bare is not None and x.shape[1:] == bare:
        x = x[:, None]
    if x.shape[1:] != shape:
        forms = [_shape_text(shape)] + ([_shape_text(bare)] if bare is not None else [])
        flat = f" or flattened (n, {n_features})" if len(shape) > 1 else ""
        raise InputError(f"inputs must be shaped {', '.join(forms)}{flat}, but got {x.shape}")
    bad = int((~np.isfinite(x)).sum()) if np.issubdtype(x.dtype, np.floating) else 0
    if bad:
        raise InputError(f"inputs hold {bad} NaN or infinite values")
    return x


def rows_frame(x: Any, names: list[str]) -> Any:
    """Raw rows as a DataFrame: one as it is, or an array (or list) of rows in `names` order."""
    pd = import_pandas()
    if isinstance(x, pd.DataFrame):
        return x
    if isinstance(x, pd.Series):
        return x.to_frame().T
    rows = np.asarray(x, dtype=object)
    if rows.ndim == 1:
        rows = rows[None]
    if rows.ndim != 2 or rows.shape[1] != len(names):
        raise InputError(
            f"rows must be a DataFrame with columns {names}, or shaped (n, {len(names)}) in that "
            f"order, but got shape {rows.shape}"
        )
    return pd.DataFrame(rows, columns=names)


def encode(frame: Any, columns: list[dict[str, Any]]) -> np.ndarray:
    """Raw rows (a DataFrame with at least the spec's columns; others are ignored) -> float64
    features (n, width), before standardisation. `columns` is the spec as the card holds it."""
    pd = import_pandas()
    names = [c["name"] for c in columns]
    missing = [c["name"] for c in columns if c["kind"] != EMPTY and c["name"] not in frame.columns]
    if missing:
        raise InputError(
            f"the rows lack the model's columns {missing} (it takes {names}; the label column "
            "may be left out)"
        )
    blocks = []
    for col in columns:
        values = frame[col["name"]] if col["kind"] != EMPTY else None
        if col["kind"] == NUMBER:
            blank = values.isna() | (values.astype(str).str.strip() == "")
            numbers = pd.to_numeric(values.where(~blank), errors="coerce")
            bad = numbers.isna() & ~blank
            if bad.any():
                raise InputError(
                    f"column {col['name']!r} must be numeric, but holds {values[bad].iloc[0]!r}"
                )
            blocks.append(numbers.fillna(col["median"]).to_numpy(np.float64)[:, None])
        elif col["kind"] == CATEGORY:
            # A blank or unknown category matches none: all zeros.
            text = values.astype(str).str.strip().where(values.notna(), None)
            hot = [(text == c).to_numpy() for c in col["categories"]]
            blocks.append(np.stack(hot, axis=1).astype(np.float64))
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0))


def read_rows(path: str | Path, *, text_columns: Sequence[str] = ()) -> Any:
    """A .csv or .parquet as a DataFrame, as raw as the file; `text_columns` are read as text
    (category names such as "1" stay "1")."""
    pd = import_pandas()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    check_table(path)
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={c: str for c in text_columns} or None)
    except (ValueError, OSError, ImportError, csv.Error) as exc:  # ImportError: no parquet engine
        raise InputError(f"cannot read {path}: {_first_line(exc)}") from exc


def read_inputs(
    path: str | Path, *, label_column: str | None = "label", n_features: int | None = None
) -> np.ndarray:
    """Raw inputs from `path`: a .npy array, a .npz with array `x` (or a single array of any
    name), or a .csv of numeric columns in training order, with or without a header row (a
    column named `label_column` is dropped, so the training .csv itself is a valid input)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    if path.suffix == ".npz":
        try:
            with zipfile.ZipFile(path) as zf:  # bound the arrays before numpy reads them
                check_fits(path, npz_bytes(path, zf, zf.infolist()), "its arrays")
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read {path} as .npz: {_first_line(exc)}") from exc
        if "x" in arrays:
            return arrays["x"]
        if len(arrays) == 1:  # np.savez(path, x) names it arr_0
            return next(iter(arrays.values()))
        raise InputError(f"{path} has arrays {sorted(arrays)}; it needs one named 'x'")
    if path.suffix == ".npy":
        try:
            check_fits(path, _npy_bytes(path), "its array")
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"cannot read {path} as .npy: {_first_line(exc)}") from exc
    if path.suffix == ".csv":
        return _read_csv(path, label_column, n_features)
    raise InputError(f"inputs must be a .npy, a .npz (array x) or a .csv file, but got {path.name}")


def _read_csv(path: Path, label_column: str | None, n_features: int | None) -> np.ndarray:
    check_fits(path, path.stat().st_size * TABLE_EXPANSION, "its rows")
    if _csv_columns(path) > MAX_COLUMNS:
        raise InputError(f"{path} has more than {MAX_COLUMNS} columns")
    try:
        with path.open(newline="") as f:
            return _parse_csv(path, csv.reader(f), label_column, n_features)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path} as .csv: {_first_line(exc)}") from exc


def _parse_csv(path: Path, reader, label_column: str | None, n_features: int | None):
    """Numeric rows, one at a time (a list of cells per row would take far more memory)."""
    rows = (r for r in reader if r and any(c.strip() for c in r))
    first = next(rows, None)
    if first is None:
        raise InputError(f"{path} holds no rows")
    header = [c.strip() for c in first]
    has_header = not all(_is_number(c) for c in header)
    keep = list(range(len(header)))
    if has_header and label_column and label_column in header:
        keep.remove(header.index(label_column))
    if n_features is not None and len(keep) != n_features:
        names = f" ({', '.join(header[i] for i in keep)})" if has_header else ""
        raise InputError(
            f"{path}: the model takes {n_features} feature columns, but the file has "
            f"{len(keep)}{names}"
        )
    parsed = []
    for i, row in enumerate(rows if has_header else _chain(first, rows)):
        if len(row) != len(header):
            raise InputError(f"{path}: row {i + 1} has {len(row)} columns, the first {len(header)}")
        values = np.empty(len(keep), dtype=np.float64)
        for j, col in enumerate(keep):
            try:
                values[j] = float(row[col])
            except ValueError:
                name = header[col] if has_header else f"column {col + 1}"
                raise InputError(
                    f"{path}: {name} must be numeric, but row {i + 1} has {row[col]!r}"
                ) from None
        parsed.append(values)
    return np.stack(parsed) if parsed else np.empty((0, len(keep)), dtype=np.float64)


def _chain(first, rest):
    yield first
    yield from rest


def _npy_bytes(path: Path) -> int:
    """The bytes of the array a .npy holds, from its header alone."""
    with path.open("rb") as f:
        shape, _, dtype = read_npy_header(f)
    return math.prod(shape) * dtype.itemsize


def npz_bytes(path: str | Path, zf: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> int:
    """The bytes the .npy `members` of an open .npz hold, from their headers, each checked against
    the member's size: numpy would allocate what a header claims before reading a byte."""
    total = 0
    for info in members:
        if not info.filename.endswith(".npy"):
            continue
        with zf.open(info) as f:
            shape, _, dtype = read_npy_header(f)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size:
            raise InputError(
                f"{path}: {info.filename} claims an array of {shape} {dtype} ({nbytes} bytes), but "
                f"holds {info.file_size} bytes; the file is truncated or not written by numpy"
            )
        total += nbytes
    return total


def read_npy_header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) of the .npy whose header `f` is at; leaves `f` at its data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)  # 3.0 differs only in how names are encoded


def _first_line(exc: BaseException) -> str:
    """A library's message, which may run over several lines, as one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"(n, {', '.join(map(str, shape))})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
