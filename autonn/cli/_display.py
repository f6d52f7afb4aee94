"""The CLI's live view of a running search on a terminal: only `autonn.cli` imports this module.

The library never prints. The searcher logs one record per finished trial to the "autonn.tune"
logger, with the trial's facts attached (`autonn.tune._protocol.TRIAL_EVENT`). On a terminal the
CLI swaps its plain log handler for `SearchProgress`, which prints every autonn log line above a
live display (rich) of the trials done, the counts by state, the best trial so far, the elapsed
time and an estimate of the time left. Off a terminal the CLI keeps the plain lines.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from autonn.tune._protocol import TRIAL_EVENT


def on_terminal(console: Console | None = None) -> bool:
    """Whether a live display can be drawn: stderr is a terminal that understands cursor moves."""
    console = console or Console(stderr=True)
    return console.is_terminal and not console.is_dumb_terminal


class SearchProgress(logging.Handler):
    """A logging handler that draws a search's progress; use it as a context manager.

    total: the trials the search will hold (`--trials`); the first trial's record corrects it.
    counts: formats {state name: count} for people (the CLI's own wording).
    """

    def __init__(
        self,
        total: int,
        *,
        counts: Callable[[dict[str, int]], str],
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.console = console or Console(stderr=True)
        self.total = total
        self.done = 0
        self.done_before = 0  # trials a resumed search held before this run
        self.counts: dict[str, int] = {}
        self.best: dict | None = None
        self._format_counts = counts
        self._clock = clock
        self._started = clock()
        self._live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=2,
            transient=False,  # the last state stays on screen above the Pareto front
        )

    def __enter__(self) -> SearchProgress:
        self._live.start()
        return self

    def __exit__(self, *exc_info) -> None:
        # No trial finished (a bad input, or nothing left to run): no display to leave behind.
        self._live.transient = not self.counts
        self._live.stop()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._live.console.print(Text(self.format(record)))  # above the live display
            event = getattr(record, TRIAL_EVENT, None)
            if event is not None:
                self._count(event)
            self._live.refresh()
        except Exception:  # a display must never stop a search
            self.handleError(record)

    def _count(self, event: dict) -> None:
        self.total = event["total"]
        self.done = event["done"]
        self.done_before = event["done_before"]
        self.counts[event["state"]] = self.counts.get(event["state"], 0) + 1
        values = event.get("values")
        if event["state"] != "COMPLETE" or not values:
            return
        if self.best is None or _rank(event) > _rank(self.best):
            self.best = event

    def eta_seconds(self) -> float | None:
        """Time left at the rate trials have finished in this run; None before the first."""
        finished = self.done - self.done_before
        if finished <= 0:
            return None
        elapsed = self._clock() - self._started
        return max(0.0, (self.total - self.done) * elapsed / finished)

    def render(self) -> RenderableType:
        from rich.progress_bar import ProgressBar

        elapsed = self._clock() - self._started
        eta = self.eta_seconds()
        head = Text.assemble(
            ("trials ", "bold"),
            f"{self.done}/{self.total}  ",
            f"elapsed {_clock_text(elapsed)}  ",
            f"ETA {'-' if eta is None else _clock_text(eta)}",
        )
        counts = self._format_counts(self.counts) if self.counts else "waiting for the first trial"
        if self.done_before:
            counts += f" (and {self.done_before} stored before this run)"
        best = self.best
        status = Text(counts)
        if best is not None:
            status.append(f"  best: trial {best['number']} {best['values_text']}")
        line = Table.grid(padding=(0, 1))
        line.add_row(ProgressBar(total=max(self.total, 1), completed=self.done, width=30), head)
        return Group(line, status)


@contextlib.contextmanager
def live_search_progress(
    total: int, *, counts: Callable[[dict[str, int]], str], console: Console | None = None
) -> Iterator[SearchProgress]:
    """Show `SearchProgress` instead of the "autonn" logger's plain handlers while in the block."""
    log = logging.getLogger("autonn")
    display = SearchProgress(total, counts=counts, console=console)
    plain = list(log.handlers)
    for handler in plain:
        display.setFormatter(handler.formatter)  # the same lines as off a terminal
        log.removeHandler(handler)
    log.addHandler(display)
    try:
        with display:
            yield display
    finally:
        log.removeHandler(display)
        for handler in plain:
            log.addHandler(handler)


def _rank(event: dict) -> tuple[float, ...]:
    """Higher is better: the first objective (the quality metric), ties broken by the others."""
    directions = event["directions"]
    return tuple(v if directions[o] == "maximize" else -v for o, v in event["values"].items())


def _clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
