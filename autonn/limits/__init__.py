"""Limits a search honours: bounds on any metric or measurement, boards' RAM and flash, and the
floor below which a model is useless.

    limits = parse_limits(["ram_bytes<=64KB", "accuracy>=0.9"], known=("accuracy", "ram_bytes"))
    limits += device_limits("stm32f446", reserve=0.25)   # RAM and flash of a real board
    broken(limits, {"ram_bytes": 70_000, "accuracy": 0.93})  # -> {"ram_bytes<=65536": 0.068}

A trial that breaks a limit stays stored and visible, marked with what it breaks and by how much,
but is never on the front nor picked for export. See README "Deploying to a device".
"""

from autonn.limits._devices import DEVICES, RESERVE, Device, device_limits, parse_device
from autonn.limits._floor import FLOOR, floor_value, trivial_score
from autonn.limits._limit import Limit, broken, parse_bytes, parse_limit, parse_limits, violations

__all__ = [
    "DEVICES",
    "FLOOR",
    "RESERVE",
    "Device",
    "Limit",
    "broken",
    "device_limits",
    "floor_value",
    "parse_bytes",
    "parse_device",
    "parse_limit",
    "parse_limits",
    "trivial_score",
    "violations",
]
