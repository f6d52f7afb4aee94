"""The CLI's live display of a search, fed log records as the searcher writes them: no Ray."""

import contextlib
import io
import logging
import sys

from rich.console import Console

from autonn.cli import setup_logging
from autonn.cli._commands import _progress
from autonn.cli._display import SearchProgress, live_search_progress, on_terminal
from autonn.cli._tables import counts_text
from autonn.tune._protocol import TRIAL_EVENT

DIRECTIONS = {"accuracy": "maximize", "size_bytes": "minimize"}


def _event(number, state, done, *, total=4, before=0, accuracy=None, size=None):
    values = None if accuracy is None else {"accuracy": accuracy, "size_bytes": float(size)}
    text = None if accuracy is None else f"accuracy={accuracy:.4f} size_bytes={size}B"
    return {
        "number": number,
        "state": state,
        "done": done,
        "total": total,
        "done_before": before,
        "values": values,
        "values_text": text,
        "directions": DIRECTIONS,
        "what": text or "stopped early at epoch 1",
    }


def _log(event):
    logging.getLogger("autonn.tune").info(
        "[%d/%d] trial %d %s", event["done"], event["total"], event["number"], event["state"],
        extra={TRIAL_EVENT: event},
    )  # fmt: skip


def _terminal():
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system=None), out


def test_the_display_counts_states_keeps_the_best_and_estimates_the_time_left():
    now = [0.0]
    display = SearchProgress(5, counts=counts_text, console=_terminal()[0], clock=lambda: now[0])
    assert display.eta_seconds() is None  # no rate before the first trial
    for t, event in [
        (10, _event(0, "COMPLETE", 1, total=5, accuracy=0.90, size=900)),
        (20, _event(1, "PRUNED", 2, total=5)),
        (30, _event(2, "COMPLETE", 3, total=5, accuracy=0.95, size=2000)),
        (40, _event(3, "COMPLETE", 4, total=5, accuracy=0.95, size=3000)),  # as good, larger
    ]:
        now[0] = t
        display.handle(logging.makeLogRecord({"msg": "trial", TRIAL_EVENT: event}))
    assert display.counts == {"COMPLETE": 3, "PRUNED": 1}
    assert display.best["number"] == 2  # the most accurate; of a tie, the smaller
    assert display.eta_seconds() == 10.0  # 1 trial left at 10 s per trial
    shown = _render(display)
    assert "4/5" in shown and "elapsed 0:40" in shown and "ETA 0:10" in shown
    assert "3 complete, 1 stopped early" in shown
    assert "best: trial 2 accuracy=0.9500 size_bytes=2000B" in shown


def test_a_resumed_search_estimates_from_this_run_only():
    now = [0.0]
    display = SearchProgress(10, counts=counts_text, console=_terminal()[0], clock=lambda: now[0])
    now[0] = 5.0
    display.handle(logging.makeLogRecord({TRIAL_EVENT: _event(6, "FAIL", 7, total=10, before=6)}))
    assert display.eta_seconds() == 15.0  # 3 left at 5 s each, not at 7 trials per 5 s
    assert "and 6 stored before this run" in _render(display)


def test_every_log_line_is_printed_above_the_display_and_plain_logging_comes_back(monkeypatch):
    log = logging.getLogger("autonn")
    for attr in ("handlers", "propagate", "level"):  # as they were, after _setup_logging's changes
        monkeypatch.setattr(log, attr, getattr(log, attr))
    monkeypatch.setattr(log, "handlers", [])
    setup_logging(debug=False)
    plain = list(log.handlers)
    console, out = _terminal()
    with live_search_progress(4, counts=counts_text, console=console) as display:
        assert log.handlers == [display]
        logging.getLogger("autonn.tune").info("starting Ray")
        _log(_event(0, "COMPLETE", 1, accuracy=0.9, size=900))
    assert log.handlers == plain
    text = out.getvalue()
    assert "starting Ray" in text and "[1/4] trial 0 COMPLETE" in text
    assert "best: trial 0 accuracy=0.9000" in text


def test_off_a_terminal_the_cli_keeps_the_plain_lines(monkeypatch):
    console, _ = _terminal()
    assert on_terminal(console)
    assert not on_terminal(Console(file=io.StringIO()))
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # output to a file or a pipe
    assert isinstance(_progress(4), contextlib.nullcontext)


def _render(display):
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(display.render())
    return console.file.getvalue()


def test_a_search_that_finished_no_trial_leaves_no_display_behind():
    console, out = _terminal()
    with live_search_progress(4, counts=counts_text, console=console):
        pass
    # The display was drawn, then erased (cursor up, erase line) rather than left on screen.
    assert "waiting for the first trial" in out.getvalue()
    assert out.getvalue().endswith("\x1b[1A\x1b[2K")
