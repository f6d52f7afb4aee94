"""The README is a contract: its commands run as shown (the search made smaller), in order."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

README = (Path(__file__).parents[1] / "README.md").read_text()
# Commands a new user runs on the built-in data, in the README's order.
RUNNABLE = ("search cnn --data digits", "show", "studies", "export", "predict")
SMALLER = ["--trials", "4", "--max-epochs", "3"]  # later flags win in argparse
RESUMED = ["--trials", "6", "--max-epochs", "3"]  # the resume example adds trials to that search


def _commands() -> list[list[str]]:
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("autonn ") and line[len("autonn ") :].startswith(RUNNABLE):
                found.append(shlex.split(line))
    return found


def _python_blocks_using(name: str) -> list[str]:
    return [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if name in b]


@pytest.mark.integration
def test_readme_commands_work_as_shown(tmp_path):
    commands = _commands()
    assert [c[1] for c in commands][:1] == ["search"], "the main command comes first"
    assert {"show", "studies", "export", "predict"} <= {c[1] for c in commands}
    from sklearn.datasets import load_digits

    np.savez(tmp_path / "inputs.npz", x=load_digits().data[:20])
    for argv in commands:
        if argv[1] == "search":
            argv = argv + (RESUMED if "--resume" in argv else SMALLER)
        result = subprocess.run(
            [sys.executable, "-m", "autonn.cli", *argv[1:]],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, f"{' '.join(argv)}\n{result.stderr[-2000:]}"
        if "--resume" in argv:
            assert "search digits-cnn: " in result.stdout
            shown = subprocess.run(
                [sys.executable, "-m", "autonn.cli", "show", "digits-cnn", "--all", "--json"],
                cwd=tmp_path, capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            assert len(json.loads(shown)) == 6
        if argv[1] == "predict":
            labels = result.stdout.split()
            assert labels[0] == "label" and len(labels) == 21

    # The README's Python lines for using the exported model, run as shown.
    (snippet,) = _python_blocks_using("autonn.load(")
    code = f"import os; os.chdir({str(tmp_path)!r})\n{snippet}"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
