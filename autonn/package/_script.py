"""predict.py, the package's standalone predictor, written from the code autonn itself runs.

_standalone.py is the script (its Model, its command line); it imports PackageInputs from
autonn/data/_inputs.py, the input code `autonn.load` and the data loader run. predict.py is that
script with the import replaced by the module's code, so it runs without autonn and cannot drift
from autonn's predictor.
"""

from __future__ import annotations

import ast
from pathlib import Path

from autonn.data import _inputs

SCRIPT = Path(__file__).with_name("_standalone.py")


def write_script(path: Path) -> None:
    """Write predict.py to `path`."""
    path.write_text(script_source(), encoding="utf-8")


def script_source() -> str:
    """The text of predict.py."""
    script = SCRIPT.read_text(encoding="utf-8")
    start, end = _import_lines(script, _inputs.__name__)
    lines = script.splitlines(keepends=True)
    while start > 0 and lines[start - 1].startswith("#"):  # its comment is for autonn's readers
        start -= 1
    return "".join([*lines[:start], _inlined(), *lines[end:]])


def _import_lines(source: str, module: str) -> tuple[int, int]:
    """The 0-based [start, end) lines of the script's one `from <module> import ...`."""
    found = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.module == module
    ]
    if len(found) != 1:
        raise RuntimeError(f"{SCRIPT} must import from {module} exactly once, found {len(found)}")
    return found[0].lineno - 1, found[0].end_lineno


def _inlined() -> str:
    """The module's code after its `from __future__` line: predict.py has a docstring and that
    line of its own, and they must stay at its top."""
    path = Path(_inputs.__file__)
    source = path.read_text(encoding="utf-8")
    future = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    )
    body = "".join(source.splitlines(keepends=True)[future.end_lineno :]).strip("\n")
    name = "autonn/data/_inputs.py"
    return (
        f"# ---- {name}: the input code autonn runs ----\n{body}\n\n\n# ---- end of {name} ----\n"
    )
