#!/usr/bin/env python3
"""Pip constraints pinning each of autonn's dependencies to its floor, for CI's lowest-versions job.

    python .ci/lowest.py dashboard edge test > lowest.txt
    pip install -c lowest.txt -e ".[dashboard,edge,test]"

Reads pyproject.toml: the core dependencies and those of the extras named on the command line.
Each requirement must state a floor (`>=X` or `==X`); one without is an error, since a floor
that nothing installs is a floor nobody has checked. A package named twice gets the higher
floor. torch is left out: CI installs torch==2.13.0 first, from this machine's disk (PyPI's
other torch wheels are multi-GB CUDA builds), so torch's floor is not tested here.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
SKIP = {"torch"}  # installed before autonn, at the version the README names


def floor(req: Requirement) -> Version:
    floors = [Version(s.version) for s in req.specifier if s.operator in (">=", "==")]
    if not floors:
        raise SystemExit(f"{req}: no floor (>= or ==) to install; give it one in pyproject.toml")
    return max(floors)


def constraints(project: dict, extras: list[str]) -> dict[str, Version]:
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"no such extra in pyproject.toml: {unknown}; there are {list(optional)}")
    pins: dict[str, Version] = {}
    own = canonicalize_name(project["name"])
    for line in [*project["dependencies"], *(r for e in extras for r in optional[e])]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == own or name in SKIP:  # an extra naming autonn's own other extras
            continue
        pins[name] = max(pins.get(name, floor(req)), floor(req))
    return pins


def main(extras: list[str]) -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    for name, version in sorted(constraints(project, extras).items()):
        print(f"{name}=={version}")  # a constraint names no extras (pip refuses them)


if __name__ == "__main__":
    main(sys.argv[1:])
