"""How the CLI prints searches: state counts, the front, tables of trials."""

from __future__ import annotations

from autonn.limits import floor_value, parse_limit
from autonn.store import STATE_WORDS, state_word


def summary(result) -> str:
    """The counts by state, trials refused before training apart from those stopped early."""
    refused = sum(1 for t in result.trials if t.state == "PRUNED" and t.broken_limits)
    counts = dict(result.info.counts)
    if refused:
        counts["PRUNED"] = counts.get("PRUNED", 0) - refused
    shown = counts_text(counts)
    return f"{shown}, {refused} not trained (broke a limit)" if refused else shown


def print_front(result) -> None:
    front = result.pareto
    limits = result.info.limits
    if limits:
        print(f"limits: {', '.join(limits)}")
    print(f"Pareto front ({_plural(len(front), 'trial')}{_floor_text(result, front)}):")
    folds = result.info.config.get("folds")
    if folds:
        print(f"{result.metric}: mean±sd over {folds} folds of the training rows; test: one split")
    print(table(front, result.metric, costs_shown(result)))
    hidden = [t for t in result.trials if t.broken_limits]
    if hidden:
        print(f"{_plural(len(hidden), 'trial')} broke a limit; `autonn show --all` lists them")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _floor_text(result, front) -> str:
    """', floor accuracy>=0.8123': the bound the front's trials cleared (see --floor)."""
    from autonn.store import OBJECTIVES

    if result.info.floor is None or not front:
        return ""
    trivial, share = result.info.floor
    metric = result.metric
    scores = [t.values[metric] for t in front]
    maximize = OBJECTIVES[metric] == "maximize"
    bound = floor_value(trivial, max(scores) if maximize else min(scores), share)
    return f", floor {metric}{'>=' if maximize else '<='}{bound:.4g}"


def costs_shown(result) -> tuple[str, ...]:
    """The device costs worth a column: those a limit or an objective names, or all three for
    a device target."""
    named = {parse_limit(text).name for text in result.info.limits} | set(result.objectives)
    edge = result.info.config.get("target", "onnx") != "onnx"
    return tuple(c for c in ("flash_bytes", "ram_bytes", "macs") if edge or c in named)


def counts_text(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{counts[s]} {state_word(s)}" for s in STATE_WORDS if counts.get(s))
    return shown or "no trials"


_COST_HEADERS = {"flash_bytes": "flash", "ram_bytes": "ram", "macs": "macs"}


def table(trials, metric: str, costs: tuple[str, ...] = (), *, breaks: bool = False) -> str:
    if not trials:
        return "  (none: no trial completed and kept the limits)"
    # 0.1's short header for accuracy, which the README's printed front shows
    test = "test_acc" if metric == "accuracy" else f"test_{metric}"
    extra = [_COST_HEADERS[c] for c in costs] + (["breaks"] if breaks else [])
    rows = [["trial", "state", metric, test, "size", "latency", *extra, "params"]]
    for t in trials:
        latency = t.values.get("latency_ms", t.attrs.get("latency_ms"))
        shown = [_macs(t.measured(c)) if c == "macs" else _bytes(t.measured(c)) for c in costs]
        if breaks:
            shown.append(",".join(f"{k}(+{v:.0%})" for k, v in t.broken_limits.items()) or "-")
        rows.append(
            [
                str(t.number),
                t.state,
                _score(t, metric),
                _num(t.attrs.get(f"test_{metric}"), "{:.4f}"),
                _bytes(t.size_bytes),
                _num(latency, "{:.3f}ms"),
                *shown,
                " ".join(f"{k}={_short(v)}" for k, v in t.params.items()),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1]
        for r in rows
    )


def _score(trial, metric: str) -> str:
    """The validation score; with k-fold scoring, its mean and standard deviation over folds."""
    spread = trial.attrs.get(f"{metric}_std")
    shown = _num(trial.values.get(metric), "{:.4f}")
    return shown if spread is None or shown == "-" else f"{shown}±{spread:.3f}"


def _num(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _bytes(value) -> str:
    if value is None:
        return "-"
    value = float(value)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}MB"


def _macs(value) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}K"


def _short(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)
