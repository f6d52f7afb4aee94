"""The `autonn` command. Thin: parse, call the public API, print.

An AutonnError becomes one line on stderr and exit code 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import sys
from collections.abc import Sequence

from autonn.limits import DEVICES, FLOOR, RESERVE
from autonn.store import DEFAULT_STORAGE
from autonn.task import TASKS
from autonn.tune._config import SAMPLERS, SCHEDULERS, TARGETS


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _setup_logging(args.debug)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("autonn: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from autonn.errors import AutonnError, SearchInterrupted

        if isinstance(exc, SearchInterrupted):  # Ray Tune caught the Ctrl-C and stopped cleanly
            print(f"autonn: {exc}", file=sys.stderr)
            return 130
        if args.debug or not isinstance(exc, AutonnError | ValueError):
            raise
        message = " ".join(str(exc).split())  # always one line
        print(f"autonn: error: {message}", file=sys.stderr)
        return 2


DEBUG_HELP = "show tracebacks and Ray's logs"


def _parser() -> argparse.ArgumentParser:
    from autonn import __version__  # autonn/__init__.py is light: torch and ray load on first use

    parser = argparse.ArgumentParser(
        prog="autonn",
        description="Search for small, accurate neural networks: Optuna chooses, Ray Tune runs, "
        "every trial is stored in SQL.",
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--version", action="version", version=f"autonn {__version__}")
    # --debug also after the subcommand (`autonn search ... --debug`, as the README says). SUPPRESS
    # leaves the value the main parser set when the subcommand does not see the flag.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub_parser = functools.partial(sub.add_parser, parents=[common])

    p = sub_parser(
        "search",
        help="run a search and print its Pareto front",
        description="Run a multi-objective search (accuracy vs deployed size) on Ray Tune.",
    )
    p.add_argument(
        "space",
        metavar="SPACE",
        help="built-in space (mlp, cnn), path/to/file.py:fn or pkg.module:fn",
    )
    p.add_argument(
        "--data",
        required=True,
        help="digits, breast_cancer, wine, diabetes, a .npz, or a .csv or .parquet of rows "
        "(text categories and blanks allowed)",
    )
    p.add_argument(
        "--label", default="label", help="label column of a .csv or .parquet (default: %(default)s)"
    )
    p.add_argument(
        "--task",
        choices=list(TASKS),
        default="classification",
        help="classification (labels are classes) or regression (a numeric target) "
        "(default: %(default)s)",
    )
    p.add_argument("--name", help="search name (default: DATA-SPACE-TIME)")
    p.add_argument("--trials", type=int, default=20, help="number of trials (default: %(default)s)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the search --name (stopped, killed, or to run more) until it holds "
        "--trials trials; give the settings it was started with",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --resume: take the search over even if another driver's heartbeat is fresh",
    )
    p.add_argument(
        "--max-epochs", type=int, default=20, help="epoch budget per trial (default: %(default)s)"
    )
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default="tpe",
        help="tpe (multi-objective TPE), nsga2 or random, seeded by --seed (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the sampler, the data split and each trial's training (default: %(default)s)",
    )
    p.add_argument(
        "--objectives",
        help="comma-separated: one metric (classification: accuracy, balanced_accuracy, "
        "f1_macro; regression: rmse, mae, r2) plus size_bytes and/or latency_ms (default: "
        f"{_DEFAULT_OBJECTIVES})",
    )
    p.add_argument(
        "--no-early-stop",
        action="store_true",
        help="train every trial to the end (--scheduler fifo)",
    )
    p.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        default="moasha",
        help="early stopping: moasha ranks trials on the metric and their size, asha on the "
        "metric alone, fifo stops none (default: %(default)s)",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="onnx",
        help="the runtime each trial ships to and is measured in: onnx (onnxruntime), litert "
        "(.tflite in LiteRT) or tflm (.tflite in TensorFlow Lite Micro); litert and tflm need "
        "pip install 'autonn[edge]' (default: %(default)s)",
    )
    p.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME<=VALUE",
        help="a bound every front trial keeps, on a metric or a cost: 'ram_bytes<=64KB', "
        "'flash_bytes<=256KB', 'macs<=2e6', 'accuracy>=0.9'; repeat for more. A trial over a "
        "RAM, flash, size or MACs limit is not trained",
    )
    p.add_argument(
        "--device",
        metavar="BOARD",
        help=f"limit RAM and flash to a board's: {', '.join(DEVICES)}, or 'ram=96KB,flash=1MB'",
    )
    p.add_argument(
        "--reserve",
        type=float,
        default=RESERVE,
        help="share of the --device's RAM and flash kept for the application (default: "
        "%(default)s)",
    )
    p.add_argument(
        "--floor",
        type=float,
        default=FLOOR,
        help="share of the gap from the trivial predictor to the best trial that a front trial "
        "must close; 0 keeps all better than the trivial predictor (default: %(default)s)",
    )
    p.add_argument(
        "--warm-start",
        metavar="SEARCH",
        help="run the Pareto front of an earlier search of the same space first (new data, say)",
    )
    p.add_argument(
        "--teacher",
        metavar="SEARCH:TRIAL|PACKAGE",
        help="teacher of distilled trials, in a space with distill=True (default: the search's "
        "most accurate complete trial so far)",
    )
    p.add_argument(
        "--init-from",
        metavar="SEARCH:TRIAL|PACKAGE",
        help="start every trial from this model's weights wherever a layer's name and shape match",
    )
    p.add_argument(
        "--from-storage",
        "--warm-start-storage",
        dest="from_storage",
        metavar="URL",
        help="database of the searches --warm-start, --teacher and --init-from name "
        "(default: --storage)",
    )
    _storage_arg(p)
    p.add_argument("--address", help="Ray cluster to join, e.g. auto (default: local Ray)")
    # String defaults go through `type` like typed values, and show as written in --help.
    p.add_argument(
        "--cpus-per-trial", type=float, default="1", help="CPUs per trial (default: %(default)s)"
    )
    p.add_argument(
        "--gpus-per-trial",
        type=float,
        default="0",
        help="GPUs per trial; 0.25 packs four trials on a GPU (default: %(default)s)",
    )
    p.add_argument("--max-concurrent", type=int, help="trials at once (default: what fits)")
    p.add_argument(
        "--max-failures",
        type=int,
        default=2,
        help="times a trial is run again when its worker process or node dies (default: 2)",
    )
    p.add_argument(
        "--artifacts",
        default="autonn_artifacts",
        help="where trial files go; a shared folder or s3://... on clusters (default: %(default)s)",
    )
    p.set_defaults(run=_search)

    p = sub_parser("studies", help="list the searches in a database")
    _storage_arg(p)
    p.set_defaults(run=_studies)

    p = sub_parser("show", help="print a search's Pareto front")
    p.add_argument("name", help="search name (see `autonn studies`)")
    _storage_arg(p)
    p.add_argument("--json", action="store_true", help="print the front as a JSON list")
    p.add_argument("--all", action="store_true", help="every trial, not only the front")
    p.set_defaults(run=_show)

    p = sub_parser(
        "export",
        help="write a trial as a verified, deployable package",
        description="Export one trial of a search to a new folder: model.onnx (the measured "
        "artifact), model.pt2, model_card.json and MODEL_CARD.md, verified on the test split.",
    )
    p.add_argument("name", help="search name (see `autonn studies`)")
    p.add_argument("--out", required=True, help="folder to create (must not exist, or be empty)")
    p.add_argument(
        "--pick",
        default="best",
        help="best (the best validation metric), smallest, fastest, knee, or a constraint: "
        '"size_bytes<=50000", "accuracy>=0.95", "rmse<=40", "latency_ms<=0.05" '
        "(default: %(default)s)",
    )
    p.add_argument("--trial", type=int, help="export this trial instead, whatever its rank")
    p.add_argument("--data", help="where this machine reads the search's data, if it moved")
    p.add_argument(
        "--target",
        choices=TARGETS,
        help="ship to this runtime (default: the search's own, whose artifact the trial "
        "measured); tflm adds the model as a C array for firmware",
    )
    _storage_arg(p)
    p.set_defaults(run=_export)

    p = sub_parser(
        "predict", help="run an exported package on a .npz, .npy, .csv or .parquet of inputs"
    )
    p.add_argument("package", help="folder written by `autonn export`")
    p.add_argument(
        "input",
        help="raw inputs: .npz (array x, or its only array), .npy, or .csv of the feature columns; "
        "for a package trained on a .csv or .parquet, its raw rows (.csv or .parquet)",
    )
    p.add_argument("--proba", action="store_true", help="add a probability column per class")
    p.set_defaults(run=_predict)

    p = sub_parser(
        "dashboard", help="browse searches and their Pareto fronts, live; export from the page"
    )
    _storage_arg(p)
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=8501, help="port to listen on (default: %(default)s)"
    )
    p.set_defaults(run=_dashboard)
    return parser


# The task decides the default metric (SearchConfig fills it in); shown as one default in help.
_DEFAULT_OBJECTIVES = "accuracy,size_bytes; rmse,size_bytes for regression"


def _storage_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        default=DEFAULT_STORAGE,
        help=f"SQLAlchemy database URL (default: {DEFAULT_STORAGE})",
    )


def _setup_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("autonn")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    log.propagate = False


def _search(args: argparse.Namespace) -> int:
    import autonn

    config = autonn.SearchConfig(
        space=args.space,
        data=args.data,
        label=args.label,
        task=args.task,
        name=args.name,
        trials=args.trials,
        max_epochs=args.max_epochs,
        sampler=args.sampler,
        seed=args.seed,
        objectives=_objectives(args.objectives),
        early_stop=not args.no_early_stop,
        scheduler=args.scheduler,
        warm_start=args.warm_start,
        teacher=args.teacher,
        init_from=args.init_from,
        from_storage=args.from_storage,
        target=args.target,
        limits=tuple(args.limit),
        device=args.device,
        reserve=args.reserve,
        floor=args.floor,
    )
    run = autonn.RunConfig(
        storage=args.storage,
        address=args.address,
        cpus_per_trial=args.cpus_per_trial,
        gpus_per_trial=args.gpus_per_trial,
        max_concurrent=args.max_concurrent,
        max_failures=args.max_failures,
        artifacts=args.artifacts,
        debug=args.debug,
    )
    with _progress(args.trials):
        result = autonn.search(config, run, resume=args.resume, force=args.force)
    print(f"\nsearch {result.name}: {_summary(result)}")
    _print_front(result)
    print(f"\nnext: autonn show {result.name} --storage {args.storage}")
    return 0


def _objectives(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None  # the task's default metric, and size
    return tuple(o.strip() for o in text.split(",") if o.strip())


def _progress(total: int) -> contextlib.AbstractContextManager:
    """On a terminal, a live display of the search; elsewhere the plain log lines, one per trial."""
    from autonn.cli._display import live_search_progress, on_terminal

    if not on_terminal():
        return contextlib.nullcontext()
    return live_search_progress(total, counts=_counts)


def _studies(args: argparse.Namespace) -> int:
    import autonn

    searches = autonn.list_searches(args.storage)
    if not searches:
        print("no searches yet")
        return 0
    width = max(len(s.name) for s in searches)
    for s in searches:
        data = s.config.get("data", "?")
        space = s.config.get("space", "?")
        print(f"{s.name:<{width}}  {s.n_trials:>4} trials  {_counts(s.counts)}  {data} / {space}")
    return 0


def _show(args: argparse.Namespace) -> int:
    import autonn

    result = autonn.load_search(args.name, args.storage)
    trials = result.trials if args.all else result.pareto
    if args.json:
        print(json.dumps([t.to_json() for t in trials], indent=2, default=str))
        return 0
    print(f"search {result.name}: {_summary(result)}")
    if args.all:
        print(f"trials ({len(trials)}):")
        print(_table(trials, result.metric, _costs_shown(result), breaks=True))
    else:
        _print_front(result)
    return 0


def _summary(result) -> str:
    """The counts by state, trials refused before training apart from those stopped early."""
    refused = sum(1 for t in result.trials if t.state == "PRUNED" and t.broken_limits)
    counts = dict(result.info.counts)
    if refused:
        counts["PRUNED"] = counts.get("PRUNED", 0) - refused
    shown = _counts(counts)
    return f"{shown}, {refused} not trained (broke a limit)" if refused else shown


def _print_front(result) -> None:
    front = result.pareto
    limits = result.info.limits
    if limits:
        print(f"limits: {', '.join(limits)}")
    print(f"Pareto front ({_plural(len(front), 'trial')}{_floor_text(result, front)}):")
    print(_table(front, result.metric, _costs_shown(result)))
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
    bound = trivial + share * ((max(scores) if maximize else min(scores)) - trivial)
    return f", floor {metric}{'>=' if maximize else '<='}{bound:.4g}"


def _costs_shown(result) -> tuple[str, ...]:
    """The device costs worth a column: those a limit or an objective names, or all three for
    a device target."""
    named = {lim.split("<")[0].split(">")[0] for lim in result.info.limits} | set(result.objectives)
    edge = result.info.config.get("target", "onnx") != "onnx"
    return tuple(c for c in ("flash_bytes", "ram_bytes", "macs") if edge or c in named)


def _export(args: argparse.Namespace) -> int:
    import autonn

    r = autonn.export(
        args.name,
        args.out,
        storage=args.storage,
        pick=args.pick,
        trial=args.trial,
        data=args.data,
        target=args.target,
    )
    print(f"exported trial {r.trial} of {r.search} to {r.out}: {r.reason}")
    print(
        f"verified: test {r.metric} {r.test_score:.4f} "
        f"(the search stored {r.stored_test_score:.4f})"
    )
    for name, digest in r.files.items():
        print(f"  {name:<16} sha256 {digest}")
    from autonn.package._card import input_file
    from autonn.package._predict import read_card

    inputs = input_file(read_card(r.out))  # inputs.csv after a search on a .csv
    print(f"\nnext: autonn predict {r.out} {inputs}  (MODEL_CARD.md shows how to make {inputs})")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from autonn.package import load

    model = load(args.package)
    sys.stdout.write(model.predictions_csv(model.read_inputs(args.input), proba=args.proba))
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from autonn.dashboard import serve

    print(f"autonn dashboard: http://{args.host}:{args.port}  (Ctrl-C stops it)")
    return serve(args.storage, host=args.host, port=args.port)


def _counts(counts: dict[str, int]) -> str:
    from autonn.store import STATE_WORDS, state_word

    shown = ", ".join(f"{counts[s]} {state_word(s)}" for s in STATE_WORDS if counts.get(s))
    return shown or "no trials"


_COST_HEADERS = {"flash_bytes": "flash", "ram_bytes": "ram", "macs": "macs"}


def _table(trials, metric: str, costs: tuple[str, ...] = (), *, breaks: bool = False) -> str:
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
                _num(t.values.get(metric), "{:.4f}"),
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
