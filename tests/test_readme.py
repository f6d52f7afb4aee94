"""The README is a contract: its commands run as shown (the search made smaller), in order."""

import json
import os
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
    # The device example (--target tflm) is run by tests/tune/test_device.py, with trials built to
    # reach its accuracy limit: 4 sampled 3-epoch trials would leave nothing to export.
    device = {c[c.index("--name") + 1] for c in found if "--target" in c and "--name" in c}
    found = [c for c in found if "--target" not in c and not (device & set(c[2:3]))]
    return found


def _python_blocks_using(name: str) -> list[str]:
    return [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if name in b]


@pytest.mark.integration
def test_readme_commands_work_as_shown(tmp_path):
    commands = _commands()
    assert [c[1] for c in commands][:1] == ["search"], "the main command comes first"
    assert {"show", "studies", "export", "predict"} <= {c[1] for c in commands}
    # The README's Python lines that make inputs.npz for `autonn predict`, run as shown.
    (make_inputs,) = _python_blocks_using("inputs.npz")
    subprocess.run([sys.executable, "-c", make_inputs], cwd=tmp_path, check=True, timeout=120)
    assert np.load(tmp_path / "inputs.npz")["x"].shape == (20, 8, 8)  # no channel axis
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

    # The README's Python lines for using the exported digits model, run as shown.
    (snippet,) = _python_blocks_using('autonn.load("exports/digits")')
    code = f"import os; os.chdir({str(tmp_path)!r})\n{snippet}"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _readme_search_options() -> dict[str, str]:
    """The README's table of `autonn search` options: option -> default, backticks dropped."""
    start = README.index("Options of `autonn search`:")
    rows = {}
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        option, default = (c.strip().strip("`") for c in line.strip("|").split("|")[:2])
        if option not in ("option", "---"):
            rows[option] = default
    return rows


def _help_search_options() -> dict[str, str]:
    """`autonn search --help` parsed: option (or positional metavar) -> its "(default: ...)"."""
    env = {**os.environ, "COLUMNS": "1000"}  # one line per entry where argparse allows it
    text = subprocess.run(
        [sys.executable, "-m", "autonn.cli", "search", "--help"],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    entries: list[str] = []
    for line in text.split("\n\n", 2)[2].splitlines():  # after the usage and the description
        if re.match(r"  \S", line):
            entries.append(line.strip())
        elif line.startswith("    ") and entries:
            entries[-1] += "  " + line.strip()  # keeps the invocation apart from its help
    options = {}
    for entry in entries:
        invocation = re.split(r"\s{2,}", entry, maxsplit=1)[0]
        name = invocation.split(", ")[-1].split(" ")[0]
        if name == "--help":
            continue
        default = re.search(r"\(default: ([^)]*)\)", entry)
        options[name] = default.group(1) if default else ""
    return options


def test_readme_table_and_search_help_list_the_same_options_and_defaults():
    readme, shown = _readme_search_options(), _help_search_options()
    assert {"SPACE", "--data", "--seed", "--sampler", "--cpus-per-trial", "--debug"} <= set(shown)
    assert readme == shown
