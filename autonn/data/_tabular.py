"""Tabular preprocessing fitted on the training split: text columns one-hot encoded, numeric
columns imputed with their median, and blank columns dropped.

The fitted spec is plain data (`to_json`), stored in the exported package's model_card.json and
applied by the predictor (and by the package's standalone predict.py, which has its own copy of
`encode` on pandas + numpy), so the ONNX model stays exactly the network the search measured:
raw rows in, the spec's numbers out, then the usual (x - mean) / std.

Rows at prediction time may hold what training never saw: an unknown category, or a blank in any
column, encodes as all zeros in that column's one-hot block; a blank number becomes the column's
fitted median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autonn.errors import UsageError

NUMBER, CATEGORY, EMPTY = "number", "category", "empty"
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
        missing = [c.name for c in self.columns if c.kind != EMPTY and c.name not in frame.columns]
        if missing:
            raise UsageError(
                f"the rows lack the model's columns {missing} (it takes {self.names}; the label "
                "column may be left out)"
            )
        return encode(frame, [c.to_json() for c in self.columns], UsageError)

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


def encode(frame, columns: list[dict[str, Any]], error=ValueError) -> np.ndarray:
    """The spec's columns of `frame` as features. _standalone.py holds the same code."""
    import pandas as pd

    blocks = []
    for col in columns:
        values = frame[col["name"]] if col["kind"] != EMPTY else None
        if col["kind"] == NUMBER:
            text = values.astype(str).str.strip()
            blank = values.isna() | (text == "")
            numbers = pd.to_numeric(values.where(~blank), errors="coerce")
            bad = numbers.isna() & ~blank
            if bad.any():
                raise error(
                    f"column {col['name']!r} must be numeric, but holds {values[bad].iloc[0]!r}"
                )
            blocks.append(numbers.fillna(col["median"]).to_numpy(np.float64)[:, None])
        elif col["kind"] == CATEGORY:
            text = values.astype(str).str.strip().where(values.notna(), None)
            blocks.append(
                np.stack([(text == c).to_numpy() for c in col["categories"]], axis=1).astype(
                    np.float64
                )
            )
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0))


def read_table(path, *, text_columns=()) -> Any:
    """A .csv or .parquet as a DataFrame; `text_columns` are read as text (category names such
    as "1" stay "1")."""
    import pandas as pd

    try:
        if str(path).endswith(".parquet"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={c: str for c in text_columns} or None)
    except (ValueError, OSError, ImportError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
