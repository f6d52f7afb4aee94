"""Tabular preprocessing fitted on the training split: text columns one-hot encoded, numeric
columns imputed with their median, and blank columns dropped.

The fitted spec is plain data (`to_json`), stored in the exported package's model_card.json and
applied by autonn/data/_inputs.py's `encode`, the one copy that the data loader, the predictor
and the package's standalone predict.py all run. So the ONNX model stays exactly the network the
search measured: raw rows in, the spec's numbers out, then the usual (x - mean) / std.

Rows at prediction time may hold what training never saw: an unknown category, or a blank in any
column, encodes as all zeros in that column's one-hot block; a blank number becomes the column's
fitted median.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autonn.data._inputs import CATEGORY, EMPTY, NUMBER, InputError, encode, read_rows
from autonn.errors import UsageError

# More distinct values than this in a text column is an id or free text, not a category.
MAX_CATEGORIES = 256


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # NUMBER, CATEGORY or EMPTY (blank in every training row: dropped)
    median: float | None = None  # NUMBER: what a blank becomes
    categories: tuple[str, ...] = ()  # CATEGORY: one feature each, in this order

    @property
    def width(self) -> int:
        return {NUMBER: 1, CATEGORY: len(self.categories), EMPTY: 0}[self.kind]

    def features(self) -> list[str]:
        if self.kind == NUMBER:
            return [self.name]
        return [f"{self.name}={c}" for c in self.categories]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == NUMBER:
            out["median"] = self.median
        if self.kind == CATEGORY:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True)
class TabularSpec:
    """The columns of the raw rows, in order, and how each becomes model features."""

    columns: tuple[Column, ...]

    @classmethod
    def fit(cls, frame) -> TabularSpec:
        """Fit on the training split's feature columns (a pandas DataFrame, label removed)."""
        import pandas as pd

        columns = []
        for name in frame.columns:
            values = frame[name]
            # True/False columns are categories: read back from a .csv they are text
            number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
                values
            )
            present = values.dropna()
            if not number:
                present = present.astype(str).str.strip()
                present = present[present != ""]
            if present.empty:
                columns.append(Column(str(name), EMPTY))
            elif number:
                columns.append(Column(str(name), NUMBER, median=float(present.median())))
            else:
                cats = tuple(sorted(set(present)))
                if len(cats) > MAX_CATEGORIES:
                    raise UsageError(
                        f"column {name!r} has {len(cats)} distinct text values in the training "
                        f"split (such as {', '.join(map(repr, cats[:3]))}); one-hot encoding "
                        f"takes at most {MAX_CATEGORIES}: drop the column (an id or free text?) "
                        "or group its values"
                    )
                columns.append(Column(str(name), CATEGORY, categories=cats))
        spec = cls(tuple(columns))
        if spec.width == 0:
            raise UsageError("every feature column is blank in the training split")
        return spec

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def features(self) -> list[str]:
        return [f for c in self.columns for f in c.features()]

    def encode(self, frame) -> np.ndarray:
        """Raw rows (a DataFrame with at least these columns; others are ignored) -> float64
        features (n, width), before standardisation."""
        with usage_errors():
            return encode(frame, [c.to_json() for c in self.columns])

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": [c.to_json() for c in self.columns],
            "features": self.features(),
            "note": "raw rows -> features: a number column gives itself, a blank its median; a "
            "category column gives one 0/1 feature per category, all 0 for a blank or unknown "
            "value; an empty column (blank in every training row) gives nothing. Then "
            "(x - mean) / std.",
        }

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> TabularSpec:
        return cls(
            tuple(
                Column(c["name"], c["kind"], c.get("median"), tuple(c.get("categories", ())))
                for c in spec["columns"]
            )
        )


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """The shared input code raises InputError, a plain ValueError, because predict.py carries it
    without autonn; autonn's callers get the UsageError that the CLI prints as one line."""
    try:
        yield
    except InputError as exc:
        raise UsageError(str(exc)) from exc


def read_table(path: str | Path, *, text_columns: Sequence[str] = ()) -> Any:
    """A .csv or .parquet as a DataFrame; `text_columns` are read as text (category names such
    as "1" stay "1")."""
    with usage_errors():
        return read_rows(path, text_columns=text_columns)
