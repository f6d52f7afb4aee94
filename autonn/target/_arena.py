"""TFLite Micro's tensor arena for a model: found in a child process, because a too-small arena
can crash the process that tries it (see _arena_probe.py).

One child per model answers both questions the tflm target asks: does the model allocate and run
at all (export's check, so a missing kernel fails the trial at search time), and what is the
smallest arena that does (ram_bytes). Answers are kept by the file's content, so export's probe
also serves ram_bytes, logits and latency_ms for the same artifact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from autonn.errors import TrialFailed

log = logging.getLogger("autonn.target")

_PROBE = Path(__file__).with_name("_arena_probe.py")
_TIMEOUT_S = 600
_KEPT = 64  # answers kept, least recently used first out


@dataclass(frozen=True)
class Arena:
    smallest: int  # bytes: TFLite Micro allocates and runs the model with this, not one less
    roomy: int  # a larger size it also ran with: safe for running the model in this process


_answers: OrderedDict[str, Arena] = OrderedDict()


def arena(path: str | Path) -> Arena:
    """The arena the .tflite file at `path` needs in TFLite Micro (measured in a child process).

    Raises TrialFailed, naming the operator where TFLite Micro says which, when the model does
    not allocate and run.
    """
    blob = Path(path).read_bytes()
    key = hashlib.sha256(blob).hexdigest()
    if key in _answers:
        _answers.move_to_end(key)
        return _answers[key]
    found = _probe(Path(path))
    _answers[key] = found
    while len(_answers) > _KEPT:
        _answers.popitem(last=False)
    return found


def _probe(path: Path) -> Arena:
    # One BLAS thread: the child forks once per probe, which is only safe single-threaded.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, str(_PROBE), str(path)],
            capture_output=True,
            timeout=_TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TrialFailed(
            f"TFLite Micro's arena search for {path.name} took over {_TIMEOUT_S} s"
        ) from exc
    messages = done.stderr.decode(errors="replace")
    if messages.strip():
        log.debug("TFLite Micro on %s:\n%s", path.name, messages.rstrip())
    answer = _answer(done.stdout)
    if "arena" in answer:
        return Arena(smallest=int(answer["arena"]), roomy=int(answer["fits"]))
    if "error" not in answer:  # the child died before it could answer
        raise TrialFailed(f"TFLite Micro crashed on {path.name} ({_exit_reason(done.returncode)})")
    why = (str(answer["error"]).strip().splitlines() or ["(no message)"])[0]
    raise TrialFailed(unsupported(messages) or f"TFLite Micro cannot run it: {why}")


def _answer(stdout: bytes) -> dict:
    lines = stdout.decode(errors="replace").strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {}


def unsupported(messages: str) -> str | None:
    """One line naming what TFLite Micro could not run, from what it printed; None if it named
    nothing."""
    missing = re.search(r"Didn't find op for (builtin|custom) opcode '([^']+)'", messages)
    if missing:
        kind = "" if missing.group(1) == "builtin" else "custom "
        return f"TFLite Micro has no kernel for {kind}operator {missing.group(2)}"
    failed = re.search(r"Node (\S+) \(number \d+\) failed to (prepare|invoke)", messages)
    if failed:
        before = messages[: failed.start()].strip().splitlines()
        why = f": {before[-1].strip()}" if before else ""
        return f"TFLite Micro cannot {failed.group(2)} operator {failed.group(1)}{why}"
    return None


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
