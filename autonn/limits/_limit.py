"""One limit, `name<=bound` or `name>=bound`, on a metric or a measurement of a trial."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from autonn.errors import UsageError

# Byte units as microcontroller datasheets use them: a "256 KB" SRAM holds 262,144 bytes.
_UNITS = {"": 1, "b": 1, "kb": 1024, "kib": 1024, "k": 1024, "mb": 1024**2, "mib": 1024**2,
          "m": 1024**2, "gb": 1024**3, "gib": 1024**3}  # fmt: skip
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_LIMIT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*(.+?)\s*$")
OPS = ("<=", ">=")


@dataclass(frozen=True)
class Limit:
    name: str  # a metric (accuracy, rmse, ...) or a measurement (ram_bytes, flash_bytes, macs, ...)
    op: str  # "<=" or ">="
    bound: float

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"`op` must be one of {OPS}, but got {self.op!r}.")
        if not math.isfinite(self.bound):
            raise ValueError(f"`bound` must be finite, but got {self.bound!r}.")

    @property
    def text(self) -> str:
        bound = int(self.bound) if float(self.bound).is_integer() else self.bound
        return f"{self.name}{self.op}{bound}"

    def excess(self, value: float | None) -> float | None:
        """How far `value` breaks the limit, relative to the bound (0.25: a quarter over a
        `<=` bound); 0.0 when it holds, None when the value is not known."""
        if value is None or not math.isfinite(float(value)):
            return None
        over = value - self.bound if self.op == "<=" else self.bound - value
        if over <= 0:
            return 0.0
        return over / abs(self.bound) if self.bound else over


def parse_bytes(text: str) -> float:
    """`64KB` -> 65536.0, `1.5MB`, `300000`; KB and KiB both mean 1024 bytes."""
    m = _NUMBER.match(str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"not a number with an optional unit (B, KB, MB, GB): {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def parse_limit(text: str, *, known: Iterable[str] | None = None) -> Limit:
    """`ram_bytes<=64KB`, `accuracy>=0.9`, `macs<=2e6`. Raises UsageError saying what is wrong."""
    m = _LIMIT.match(str(text))
    if not m:
        raise UsageError(
            f"--limit {text!r} is not NAME<=VALUE or NAME>=VALUE; e.g. --limit 'ram_bytes<=64KB'"
        )
    name, op, value = m.groups()
    known = tuple(known) if known is not None else None
    if known is not None and name not in known:
        raise UsageError(f"--limit {text!r}: unknown name {name!r}; choose from {', '.join(known)}")
    try:
        bound = parse_bytes(value)
    except ValueError as exc:
        raise UsageError(f"--limit {text!r}: {exc}") from None
    return Limit(name, op, bound)


def parse_limits(texts: Iterable[str], *, known: Iterable[str] | None = None) -> tuple[Limit, ...]:
    known = tuple(known) if known is not None else None
    return tuple(parse_limit(t, known=known) for t in texts)


def broken(limits: Sequence[Limit], values: Mapping[str, float | None]) -> dict[str, float]:
    """The limits `values` break, by text, with their relative excess; unknown values break none."""
    out = {}
    for limit in limits:
        excess = limit.excess(values.get(limit.name))
        if excess:
            out[limit.text] = round(excess, 6)
    return out


def violations(limits: Sequence[Limit], values: Mapping[str, float | None]) -> list[float]:
    """One number per limit, > 0 where it is broken (the relative excess), else 0: Optuna's
    `constraints_func` form. A value not known (a metric before training) counts as kept."""
    return [limit.excess(values.get(limit.name)) or 0.0 for limit in limits]
