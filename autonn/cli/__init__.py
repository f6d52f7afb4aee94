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
    except KeyboardInterrupt:
        print("autonn: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return _failed(exc, debug=args.debug)


def _failed(exc: Exception, *, debug: bool) -> int:
    from autonn.errors import AutonnError, ConfigError, SearchInterrupted

    if isinstance(exc, SearchInterrupted):  # Ray Tune caught the Ctrl-C and stopped cleanly
        print(f"autonn: {exc}", file=sys.stderr)
        return 130
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
