"""The `autonn` command. Thin: parse, call the public API, print.

A user's mistake (autonn's UsageError, and the other errors autonn raises on purpose: a database
that cannot be opened, a package that fails verification, a missing optional package) is one
line on stderr and exit code 2; `--debug` shows its traceback. Anything else is a bug in autonn:
its traceback is printed, with a line saying so, and the exit code is 1.

    _parser.py    the grammar: one builder per subcommand
    _commands.py  what each subcommand does
    _tables.py    how searches and trials are printed
    _display.py   the live display of a running search
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from autonn.cli._parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    setup_logging(args.debug)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (autonn.errors.Terminated): 128 + signal
        print("autonn: interrupted", file=sys.stderr)
        return _exit(getattr(exc, "exit_code", 130), now=argv is None)
    except Exception as exc:
        return _exit(_failed(exc, debug=args.debug), now=argv is None)


def _exit(code: int, *, now: bool) -> int:
    """The exit code; after SIGTERM on the command line, the process ends here at once.

    A preempted driver has seconds before SIGKILL (Kubernetes and Slurm wait 30 s by default;
    less is common). By now every finished trial is stored and the running ones are closed, but
    Ray's own shutdown of a local cluster, at interpreter exit, takes about 10 s on a loaded
    machine; the reaper (autonn.tune._reaper) stops those processes once the driver is gone.
    """
    if now and code == 143:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _failed(exc: Exception, *, debug: bool) -> int:
    from autonn.errors import AutonnError, ConfigError, SearchInterrupted

    if isinstance(exc, SearchInterrupted):  # Ray Tune caught the signal and stopped cleanly
        print(f"autonn: {' '.join(str(exc).split())}", file=sys.stderr)
        return exc.exit_code
    if not isinstance(exc, AutonnError):
        import traceback

        traceback.print_exception(exc)
        print(
            f"autonn: internal error ({type(exc).__name__}): this is a bug in autonn, not in "
            "your input; please report it with the traceback above",
            file=sys.stderr,
        )
        return 1
    if debug:
        raise exc
    text = exc.for_cli() if isinstance(exc, ConfigError) else str(exc)
    print(f"autonn: error: {' '.join(text.split())}", file=sys.stderr)  # always one line
    return 2


class _CliHandler(logging.StreamHandler):
    """The CLI's own handler, told apart so that a second main() in one process (tests, a
    notebook) replaces it instead of adding another that writes to a stream since closed."""


def setup_logging(debug: bool) -> None:
    handler = _CliHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("autonn")
    for old in [h for h in log.handlers if isinstance(h, _CliHandler)]:
        log.removeHandler(old)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    log.propagate = False
