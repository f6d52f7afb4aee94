"""Keeping the device toolchains quiet: autonn never prints, but litert-torch, ai-edge-quantizer,
TensorFlow's C++ logging and the LiteRT runtime all write to the terminal on their own.

Python-level noise (warnings, progress bars, the root logger) is switched off around the call;
what the C++ libraries write straight to file descriptors 1 and 2 is caught by pointing those
descriptors at a temporary file meanwhile, and handed to the "autonn.target" logger at DEBUG, so
nothing is lost for someone who turns logging on. The descriptors belong to the whole process,
so anything another thread writes during the call lands in that log too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator

log = logging.getLogger("autonn.target")

# litert-torch reads this switch each time it reports progress (see litert_torch._config).
_PROGRESS = "LITERT_TORCH_SHOW_PROGRESS"
# Libraries whose Python loggers warn about matters of their own (torchao's optional CUDA kernels,
# torch's pytree deprecations) while these toolchains load and convert.
_NOISY_LOGGERS = ("torch", "torchao", "absl", "litert_torch", "ai_edge_quantizer", "jax")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Run the block with the toolchains' output caught and logged at DEBUG instead."""
    with (
        _env(_PROGRESS, "0"),
        warnings.catch_warnings(),
        _loggers_at(logging.ERROR),
        _root_without_basic_config(),
        _descriptors_captured() as captured,
    ):
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            text = captured()
            if text.strip():
                log.debug("device toolchain output:\n%s", text.rstrip())


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextlib.contextmanager
def _loggers_at(level: int) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, before in zip(loggers, levels, strict=True):
            logger.setLevel(before)


@contextlib.contextmanager
def _root_without_basic_config() -> Iterator[None]:
    """litert-torch warns through `logging.warning`, which calls `basicConfig()` when the root
    logger has no handler and so leaves a stderr handler on the process for good. A NullHandler
    meanwhile prevents that."""
    root = logging.getLogger()
    null = None if root.handlers else logging.NullHandler()
    if null is not None:
        root.addHandler(null)
    try:
        yield
    finally:
        if null is not None:
            root.removeHandler(null)


@contextlib.contextmanager
def _descriptors_captured() -> Iterator:
    """Point file descriptors 1 and 2 at one temporary file; yields a function that reads it."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            saved = [os.dup(1), os.dup(2)]
        except OSError:  # a process without a stdout or stderr has nothing to silence
            yield lambda: ""
            return
        _flush_python_streams()
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)

        def captured() -> str:
            _flush_python_streams()  # what Python buffered belongs in the file, not the terminal
            sink.seek(0)
            return sink.read().decode(errors="replace")

        try:
            yield captured
        finally:
            _flush_python_streams()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


def _flush_python_streams() -> None:
    # Either stream can be None (pythonw) or a closed replacement; then it holds nothing to flush.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
