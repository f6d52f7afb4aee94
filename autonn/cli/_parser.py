"""The command line's grammar: one small builder per subcommand. Choices and defaults come from
the config classes (SearchConfig, RunConfig) and autonn.limits, so --help says what the code does.

Light on purpose: `autonn --help` imports neither torch nor Ray nor Optuna.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import re
import sys
from dataclasses import fields

from autonn.cli import _commands
from autonn.limits import DEVICES
from autonn.store import DEFAULT_STORAGE
from autonn.task import TASKS
from autonn.tune._config import (
    PRECISIONS,
    SAMPLERS,
    SCHEDULERS,
    TARGETS,
    RunConfig,
    SearchConfig,
)

DEBUG_HELP = "show tracebacks and Ray's logs"
SEARCH = {f.name: f.default for f in fields(SearchConfig)}
RUN = {f.name: f.default for f in fields(RunConfig)}


class Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" for a mistyped option, answered with the usage of the
    subcommand it was given to (argparse itself leaves unknown options to the top parser)."""

    def __init__(self, *args, **kwargs) -> None:
        self.commands: dict[str, argparse.ArgumentParser] = {}
        self.options: list[str] = []  # every option string, for "did you mean"
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        self.options.extend(action.option_strings)
        return action

    def parse_args(self, args=None, namespace=None):
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            owner = self.commands.get(getattr(parsed, "command", None) or "", self)
            owner.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed

    def error(self, message: str):
        unknown = re.match(r"unrecognized arguments: (.*)", message)
        if unknown:
            message += _suggest(unknown.group(1).split(), [*self.options, "--debug"])
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _suggest(given: list[str], known: list[str]) -> str:
    hints = []
    for word in given:
        flag = word.split("=", 1)[0]
        close = difflib.get_close_matches(flag, known, n=1, cutoff=0.6) if flag[:1] == "-" else []
        if close:
            hints.append(f"{flag} -> {close[0]}")
    return f" (did you mean: {', '.join(hints)}?)" if hints else ""


def build_parser() -> Parser:
    from autonn import __version__  # autonn/__init__.py is light: torch and ray load on first use

    parser = Parser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    add = functools.partial(sub.add_parser, parents=[common])
    for build in (_search, _studies, _show, _export, _predict, _dashboard):
        build(add)
    parser.commands = dict(sub.choices)
    return parser


def _search(add) -> None:
    """`autonn search`: what to search, for which device, learning from what, where to run."""
    p = add(
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
        "--label",
        default=SEARCH["label"],
        help="label column of a .csv or .parquet (default: %(default)s)",
    )
    p.add_argument(
        "--task",
        choices=list(TASKS),
        default=SEARCH["task"],
        help="classification (labels are classes) or regression (a numeric target) "
        "(default: %(default)s)",
    )
    p.add_argument("--name", help="search name (default: DATA-SPACE-TIME)")
    p.add_argument(
        "--trials",
        type=int,
        default=SEARCH["trials"],
        help="number of trials (default: %(default)s)",
    )
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
        "--max-epochs",
        type=int,
        default=SEARCH["max_epochs"],
        help="epoch budget per trial (default: %(default)s)",
    )
    p.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="score each trial by K-fold cross-validation (K+1 trainings per trial); 0: one "
        "validation split (default: 5 folds below 1,000 training and validation rows, else 0)",
    )
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=SEARCH["sampler"],
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
        type=_names,
        help="comma-separated: one metric (classification: accuracy, balanced_accuracy, "
        "f1_macro; regression: rmse, mae, r2) plus costs: size_bytes, latency_ms, flash_bytes, "
        f"ram_bytes, macs (default: {_DEFAULT_OBJECTIVES})",
    )
    p.add_argument(
        "--no-early-stop",
        dest="early_stop",
        action="store_false",
        help="train every trial to the end (--scheduler fifo)",
    )
    p.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        default=SEARCH["scheduler"],
        help="early stopping: moasha ranks trials on the metric and their size, asha on the "
        "metric alone, fifo stops none (default: %(default)s)",
    )
    _device_options(p)
    _source_options(p)
    _run_options(p)
    p.set_defaults(run=_commands.search)


def _device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        choices=TARGETS,
        default=SEARCH["target"],
        help="the runtime each trial ships to and is measured in: onnx (onnxruntime), litert "
        "(.tflite in LiteRT) or tflm (.tflite in TensorFlow Lite Micro); litert and tflm need "
        "pip install 'autonn[edge]' (default: %(default)s)",
    )
    p.add_argument(
        "--limit",
        dest="limits",
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
        default=SEARCH["reserve"],
        help="share of the --device's RAM and flash kept for the application (default: "
        "%(default)s)",
    )
    p.add_argument(
        "--floor",
        type=float,
        default=SEARCH["floor"],
        help="share of the gap from the trivial predictor to the best trial that a front trial "
        "must close; 0 keeps all better than the trivial predictor (default: %(default)s)",
    )


def _source_options(p: argparse.ArgumentParser) -> None:
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


def _run_options(p: argparse.ArgumentParser) -> None:
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
        help="GPUs per trial; 0.25 packs four trials on a GPU. A trial given a share on a worker "
        "whose torch has no CUDA fails (default: %(default)s)",
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=SEARCH["precision"],
        help="number format of training: fp32, or mixed precision bf16 or fp16 (autocast; TF32 "
        "on GPUs); auto is bf16 on GPUs that have it, fp32 on CPUs (default: %(default)s)",
    )
    p.add_argument("--max-concurrent", type=int, help="trials at once (default: what fits)")
    p.add_argument(
        "--max-failures",
        type=int,
        default=RUN["max_failures"],
        help="times a trial is run again when its worker process or node dies, or its GPU "
        "runs out of memory (default: %(default)s)",
    )
    p.add_argument(
        "--trial-timeout",
        metavar="DURATION",
        help="wall-clock bound of one trial, e.g. 90s, 10m, 2h: a trial past it (hung, or its "
        "process stopped) has its worker killed and is stored as FAIL (default: none)",
    )
    p.add_argument(
        "--db-timeout",
        metavar="DURATION",
        default=RUN["db_timeout"],
        help="how long to wait for a database that cannot be reached, retrying: past it the "
        "search stops as Ctrl-C stops it, to resume once the database is back (exit code 75) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--artifacts",
        default=RUN["artifacts"],
        help="where trial files go; a shared folder or s3://... on clusters (default: %(default)s)",
    )


def _studies(add) -> None:
    """`autonn studies`."""
    p = add("studies", help="list the searches in a database")
    _storage_arg(p)
    p.set_defaults(run=_commands.studies)


def _show(add) -> None:
    """`autonn show`."""
    p = add("show", help="print a search's Pareto front")
    p.add_argument("name", help="search name (see `autonn studies`)")
    _storage_arg(p)
    p.add_argument("--json", action="store_true", help="print the front as a JSON list")
    p.add_argument("--all", action="store_true", help="every trial, not only the front")
    p.set_defaults(run=_commands.show)


def _export(add) -> None:
    """`autonn export`."""
    p = add(
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
        '"size_bytes<=50000", "ram_bytes<=64KB", "accuracy>=0.95", "rmse<=40", "latency_ms<=0.05" '
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
    p.set_defaults(run=_commands.export)


def _predict(add) -> None:
    """`autonn predict`."""
    p = add("predict", help="run an exported package on a .npz, .npy, .csv or .parquet of inputs")
    p.add_argument("package", help="folder written by `autonn export`")
    p.add_argument(
        "input",
        help="raw inputs: .npz (array x, or its only array), .npy, or .csv of the feature columns; "
        "for a package trained on a .csv or .parquet, its raw rows (.csv or .parquet)",
    )
    p.add_argument("--proba", action="store_true", help="add a probability column per class")
    p.set_defaults(run=_commands.predict)


def _dashboard(add) -> None:
    """`autonn dashboard`."""
    p = add("dashboard", help="browse searches and their Pareto fronts, live; export from the page")
    _storage_arg(p)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; on any but loopback, visitors need a token (default: "
        "%(default)s)",
    )
    p.add_argument(
        "--port", type=int, default=8501, help="port to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--token",
        help="the token visitors must give, also on loopback (default: $AUTONN_DASHBOARD_TOKEN, "
        "else a new one, printed, on any address but loopback); the environment variable keeps "
        "it out of `ps`",
    )
    p.add_argument(
        "--no-auth",
        action="store_true",
        help="no token, even on a network address: anyone who reaches the port reads every "
        "search in the database and can export from it",
    )
    p.set_defaults(run=_commands.dashboard)


# The task decides the default metric (SearchConfig fills it in); shown as one default in help.
_DEFAULT_OBJECTIVES = "accuracy,size_bytes; rmse,size_bytes for regression"


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _storage_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        default=DEFAULT_STORAGE,
        help=f"SQLAlchemy database URL (default: {DEFAULT_STORAGE})",
    )
