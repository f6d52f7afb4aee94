"""The library logs through logging.getLogger("autonn...") and never prints: only the CLI (and the
dashboard) talk to the person, so `autonn.search(...)` from Python is silent until logging is on."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "autonn"
# The CLI (its commands, tables and live display) and the predict.py every package holds.
TALKS = {"cli/__init__.py", "cli/_commands.py", "cli/_parser.py", "cli/_tables.py",
         "cli/_display.py", "package/_standalone.py"}  # fmt: skip


def test_no_library_module_prints_or_writes_to_the_terminal():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() in TALKS:
            continue
        tree = ast.parse(path.read_text())
        # sys.stderr.flush() writes nothing of its own (search/_ray.py flushes before it
        # redirects file descriptor 2 while Ray connects).
        flushed = {
            id(n.value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr == "flush"
        }
        for node in ast.walk(tree):
            if id(node) in flushed:
                continue
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} print()")
            if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
                if getattr(node.value, "id", None) == "sys":
                    found.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} sys.{node.attr}"
                    )
    assert found == []
