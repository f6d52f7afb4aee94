"""Child process: does a .tflite model allocate and run in TFLite Micro, and with what arena?

    python _arena_probe.py MODEL.tflite

Writes one JSON line to stdout: {"arena": smallest bytes, "fits": a roomy size that ran}, or
{"error": why}. TFLite Micro's own messages (which operator it lacks, which failed to prepare) go
to stderr, where the parent reads them.

An arena that is too small does not always fail cleanly: far too small, and even a few bytes short
of the minimum, TFLite Micro can crash the process (segfault). So every probe runs in a forked
process of its own and a crash counts as "does not fit". This process imports numpy and
tflite_micro only (not autonn, not torch): it starts in a fraction of a second and runs one
thread, which keeps fork safe (POSIX only; the tflite-micro wheels seen are manylinux ones). Run
by path by autonn.target._arena.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable

import numpy as np
from tflite_micro import runtime

# Roomy arenas to try first; the buffer is allocated but its pages are never touched beyond what
# the model uses, so even the largest costs little.
ROOMY = (1 << 20, 1 << 24, 1 << 28)


def main(path: str) -> dict:
    blob = open(path, "rb").read()
    # The first roomy arena that runs the model, its messages (a missing kernel) left on stderr.
    fits = next((size for size in ROOMY if runs(blob, size, messages=True)), None)
    if fits is None:
        return {"error": f"it does not allocate and run even with a {ROOMY[-1]}-byte arena"}
    total = recorded_total(blob, fits)
    return {"arena": smallest(lambda size: runs(blob, size), total, fits), "fits": fits}


def runs(blob: bytes, size: int, *, messages: bool = False) -> bool:
    """Whether the model allocates and runs one inference with a `size`-byte arena, tried in a
    forked process (a crash there is a no)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if not messages:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 2)
            os.dup2(2, 1)  # stdout carries the answer only
            interpreter = runtime.Interpreter.from_bytes(blob, arena_size=size)
            interpreter.set_input(zeros(interpreter), 0)
            interpreter.invoke()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def zeros(interpreter) -> np.ndarray:
    details = interpreter.get_input_details(0)
    return np.zeros(tuple(details["shape"]), dtype=details["dtype"])


def recorded_total(blob: bytes, size: int) -> int | None:
    """The arena bytes TFLite Micro's recording allocator reports after one inference in a
    `size`-byte arena (it prints them to stderr): where the smallest arena usually is."""
    interpreter = runtime.Interpreter.from_bytes(blob, arena_size=size)
    interpreter.set_input(zeros(interpreter), 0)
    interpreter.invoke()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            interpreter.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        found = re.search(rb"Arena allocation total (\d+) bytes", sink.read())
    return int(found.group(1)) if found else None


def smallest(runs: Callable[[int], bool], total: int | None, fits: int) -> int:
    """The smallest size for which `runs` holds, given that it holds at `fits` and from some size
    on. Seen on autonn's families: the recorded total itself (fp32), or up to ~11% above it
    (int8, whose kernels allocate scratch while they prepare), so the search starts there."""
    lo, hi = 0, fits  # lo does not run (0 never does), hi runs
    guess = total if total and total < fits else fits // 2
    step = max(16, guess // 8)
    while guess < hi:  # upwards from the guess, in growing steps
        if runs(guess):
            hi = guess
            break
        lo, guess, step = guess, guess + step, step * 2
    step = 1
    while lo == 0:  # the guess ran: step down (1 byte, then further) until a size does not
        guess = max(hi - step, 0)
        if guess == 0 or not runs(guess):
            lo = guess
            break
        hi, step = guess, step * 16
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if runs(mid):
            hi = mid
        else:
            lo = mid
    return hi


if __name__ == "__main__":
    answer = os.dup(1)
    os.dup2(2, 1)  # whatever TFLite Micro prints goes to stderr; the answer alone to stdout
    try:
        result = main(sys.argv[1])
    except Exception as exc:  # the parent gets every failure as one line
        result = {"error": f"{type(exc).__name__}: {exc}"}
    os.write(answer, (json.dumps(result) + "\n").encode())
