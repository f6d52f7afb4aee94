#!/usr/bin/env python
"""Fail when autonn/ reaches into another library's private names.

Private attributes of Ray and Optuna (`_brackets`, `_trial_info`, `study._storage`, ...) change
without notice in a minor release and can break early stopping, or silently turn it off. Which
object an expression holds cannot be known statically, so the rule is deliberately blunt:

    `x._name` (one leading underscore, not a dunder) is flagged unless
      - `x` is `self` or `cls` and autonn defines `_name` for that class: assigned as
        `self._name = ...` in it, or defined in its body, or so in an autonn base class it
        extends. A subclass of a Ray or Optuna class that uses the parent's `self._brackets`
        or `self._ot_trials` is flagged; so is one that only changes it (`self._n -= 1`);
      - `x` is a name bound to autonn itself: imported from autonn (`from autonn.x import y`,
        `import autonn.x as z`, relative imports), or a class or function defined at the top
        of the same file; or a dotted path from such a name (`autonn.space._models`);
    `getattr`/`setattr`/`hasattr`/`delattr` with such a literal name follow the same rule;
    imports of private modules or names from outside autonn (`from optuna.study._x ...`) are
    flagged.

So `super()._x`, `other._x` and `scheduler._brackets` are flagged even where the object is
autonn's: make the attribute public, or keep the value in autonn's own object. The check cannot
see a subclass assigning an attribute that its Ray or Optuna parent also uses privately.

    python .ci/no_private_api.py [paths...]     (default: autonn/ beside this folder)

Prints `file:line:col: what` per finding and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

OWN = "autonn"
ATTR_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}
# Documented public API despite the underscore (os._exit: leave a forked child at once).
PUBLIC = {("os", "_exit")}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass
class ClassInfo:
    defines: set[str] = field(default_factory=set)  # private names autonn gives this class
    bases: list[str] = field(default_factory=list)  # autonn base classes, by name


def own_names(tree: ast.Module) -> set[str]:
    """Names in one file that stand for autonn's own modules and objects."""
    names = {OWN}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level > 0 or (node.module or "").split(".")[0] == OWN:
                names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == OWN:
                    names.add(a.asname or a.name.split(".")[0])
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def class_info(node: ast.ClassDef, own: set[str]) -> ClassInfo:
    info = ClassInfo(bases=[b.id for b in node.bases if isinstance(b, ast.Name) and b.id in own])
    for item in node.body:  # methods, class attributes, dataclass fields
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            info.defines.add(item.name)
        targets = item.targets if isinstance(item, ast.Assign) else []
        if isinstance(item, ast.AnnAssign):
            targets = [item.target]
        info.defines.update(t.id for t in targets if isinstance(t, ast.Name))
    for sub in ast.walk(node):  # self._x = ... / self._x: T = ... anywhere in its methods
        targets = sub.targets if isinstance(sub, ast.Assign) else []
        if isinstance(sub, ast.AnnAssign):
            targets = [sub.target]
        for t in targets:
            for leaf in ast.walk(t):  # also `self._a, self._b = ...`
                if (
                    isinstance(leaf, ast.Attribute)
                    and isinstance(leaf.value, ast.Name)
                    and leaf.value.id in ("self", "cls")
                ):
                    info.defines.add(leaf.attr)
    info.defines = {n for n in info.defines if is_private(n)}
    return info


def root_name(node: ast.expr) -> str | None:
    """`a` for `a`, `a.b`, `a.b.c`; None where the chain starts at a call, subscript, ..."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class Checker(ast.NodeVisitor):
    def __init__(self, own: set[str], classes: dict[str, ClassInfo]) -> None:
        self.own = own
        self.classes = classes
        self.stack: list[str] = []  # enclosing classes
        self.found: list[tuple[int, int, str]] = []

    def defined_for(self, name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        info = self.classes.get(name)
        if info is None or name in seen:
            return set()
        out = set(info.defines)
        for base in info.bases:
            out |= self.defined_for(base, seen | {name})
        return out

    def allowed(self, receiver: ast.expr, attr: str) -> bool:
        if isinstance(receiver, ast.Name) and (receiver.id, attr) in PUBLIC:
            return True
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            return bool(self.stack) and attr in self.defined_for(self.stack[-1])
        if isinstance(receiver, ast.Name):
            return receiver.id in self.own
        # `autonn.space._models` yes; `self.study._storage` no (the receiver is `self.study`).
        return isinstance(receiver, ast.Attribute) and root_name(receiver) in self.own

    def flag(self, node: ast.AST, what: str) -> None:
        self.found.append((node.lineno, node.col_offset, what))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if is_private(node.attr) and not self.allowed(node.value, node.attr):
            self.flag(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ATTR_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and is_private(node.args[1].value)
            and not self.allowed(node.args[0], node.args[1].value)
        ):
            self.flag(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and module.split(".")[0] != OWN:
            names = [a.name for a in node.names if is_private(a.name)]
            if any(is_private(p) for p in module.split(".")) or names:
                self.flag(node, f"from {module} import {', '.join(names) or '...'}")

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            parts = a.name.split(".")
            if parts[0] != OWN and any(is_private(p) for p in parts):
                self.flag(node, f"import {a.name}")


def check(files: list[Path]) -> dict[Path, list[tuple[int, int, str]]]:
    trees = {f: ast.parse(f.read_text(), filename=str(f)) for f in files}
    owns = {f: own_names(t) for f, t in trees.items()}
    # Classes by name across all files, so a subclass of an autonn class in another module
    # inherits what that class defines. (Two autonn classes of one name would be merged.)
    classes: dict[str, ClassInfo] = {}
    for f, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                info = class_info(node, owns[f])
                known = classes.setdefault(node.name, ClassInfo())
                known.defines |= info.defines
                known.bases += info.bases
    out = {}
    for f, tree in trees.items():
        checker = Checker(owns[f], classes)
        checker.visit(tree)
        out[f] = sorted(checker.found)
    return out


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    targets = [Path(p).resolve() for p in argv] or [root / OWN]
    files = sorted(f for t in targets for f in ([t] if t.is_file() else t.rglob("*.py")))
    count = 0
    for file, found in check(files).items():
        shown = file.relative_to(root) if file.is_relative_to(root) else file
        for line, col, what in found:
            print(f"{shown}:{line}:{col + 1}: private access: {what}")
            count += 1
    if count:
        print(f"{count} private name(s) used outside autonn's own objects", file=sys.stderr)
        return 1
    print(f"no private name of another library used in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
