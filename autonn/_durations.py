"""Durations as people write them on a command line: "90s", "10m", "1.5h", "2d".

One parser and one formatter for every option that takes a time (--trial-timeout,
--db-timeout) and every message that shows one.
"""

from __future__ import annotations

import re

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float) -> float | None:
    """Seconds in "90s", "10m", "1.5h", "2d" or a plain number of seconds; None if not one."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    found = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([smhd]?)\s*", str(text).lower())
    return float(found.group(1)) * _UNITS[found.group(2)] if found else None


def duration_text(seconds: float) -> str:
    """90 -> "90s", 600 -> "10m", 7200 -> "2h", 37.44 -> "37.4s": as a person writes it."""
    seconds = round(seconds, 1)
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
