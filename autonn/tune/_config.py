"""What to search (SearchConfig) apart from where and how to run it (RunConfig), as in Ray Tune."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from autonn._durations import parse_duration
from autonn.errors import ConfigError
from autonn.limits import FLOOR, RESERVE, Limit, device_limits, parse_limits
from autonn.store import COSTS, DEFAULT_STORAGE, display_url
from autonn.task import get_task

SCHEDULERS = ("moasha", "asha", "fifo")  # see autonn.tune._scheduler
SAMPLERS = ("tpe", "nsga2", "random")
TARGETS = ("onnx", "litert", "tflm")  # see autonn.target
PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # training's number format: autonn.train._precision
MAX_FOLDS = 20  # more folds than this cost far more than they steady the score
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    """What to search.

    space: built-in name ("mlp", "cnn"), "path/to/file.py:fn" or "package.module:fn".
    data: built-in name ("digits", "breast_cancer", "wine", "diabetes"), a .npz path, or a
        .csv or .parquet of rows (text categories and blanks allowed; see autonn.data).
    task: "classification" (labels are classes) or "regression" (a numeric target).
    objectives: one metric of the task (classification: accuracy, balanced_accuracy, f1_macro;
        regression: rmse, mae, r2) plus one or more costs: "size_bytes", "latency_ms",
        "flash_bytes", "ram_bytes", "macs". None: the task's default metric (accuracy, rmse) and
        size_bytes.
    target: the runtime every trial ships to and is measured in: "onnx" (onnxruntime), "litert"
        (a .tflite in LiteRT) or "tflm" (a .tflite in TensorFlow Lite Micro). litert and tflm
        need `pip install 'autonn[edge]'`.
    limits: bounds every trial must keep to count, e.g. ("ram_bytes<=64KB", "accuracy>=0.9").
        A trial whose RAM, flash, size or MACs break one is not trained; one that breaks a
        metric's is trained but kept off the front and out of the picks.
    device: a board from autonn.limits.DEVICES ("stm32f446", ...) or "ram=96KB,flash=512KB":
        adds its RAM and flash, less the `reserve` share kept for the application, as limits.
    floor: the share of the gap between the trivial predictor and the best trial that a trial
        must close to be on the front (0: better than the trivial predictor is enough).
    precision: the number format trials train in: "fp32", or mixed precision "bf16" or "fp16"
        (autocast; fp16 with loss scaling). "auto": bf16 on a GPU with bf16 units, fp32 on a
        CPU. On a GPU, fp32 matrix products use TF32. Each trial stores the one it used.
    folds: score each trial by k-fold cross-validation over the training and validation rows
        (k models per trial, plus the one it ships: k + 1 times the training). 0: one validation
        split. None: 5 folds when there are fewer than 1,000 such rows, else one split (see
        autonn.data._folds).
    scheduler: how weak trials are stopped early (stored as PRUNED): "moasha" ranks them at each
        rung on the validation metric and the size they will ship, "asha" on the metric alone,
        "fifo" stops none.
    early_stop: False is the same as scheduler="fifo".
    enqueue: params of trials to run first, in order (Optuna's `enqueue_trial`): a known good
        config, or one of each kind a test needs. A dict may leave params out; the sampler
        chooses those. The sampler then goes on from there.
    warm_start: the name of an earlier search of the same space (new data, say): its Pareto
        front's params run first, before `enqueue`, when the search is created.
    teacher: the teacher of distilled trials (`distill_alpha` > 0): "SEARCH:TRIAL" or an exported
        package's folder (same inputs and outputs). None: this search's most accurate complete
        trial when the student starts.
    init_from: "SEARCH:TRIAL" or a package folder: each trial starts from its weights wherever a
        layer's name and shape match, and trains on from there (transfer to a new task).
    from_storage: the database of the searches `warm_start`, `teacher` and `init_from` name
        (default: the search's own).
    """

    space: str
    data: str
    name: str | None = None
    label: str = "label"
    task: str = "classification"
    trials: int = 20
    objectives: tuple[str, ...] | None = None
    sampler: str = "tpe"
    seed: int = 0
    max_epochs: int = 20
    scheduler: str = "moasha"
    early_stop: bool = True
    enqueue: tuple[dict[str, Any], ...] = ()
    warm_start: str | None = None
    teacher: str | None = None
    init_from: str | None = None
    from_storage: str | None = None
    target: str = "onnx"
    limits: tuple[str, ...] = ()
    device: str | None = None
    reserve: float = RESERVE
    floor: float = FLOOR
    precision: str = "auto"
    folds: int | None = None

    def __post_init__(self) -> None:
        task = get_task(self.task)
        objectives = self.objectives or (task.default_metric, "size_bytes")
        object.__setattr__(self, "objectives", tuple(objectives))
        object.__setattr__(self, "enqueue", tuple(dict(p) for p in self.enqueue))
        if self.trials < 1:
            raise ConfigError("trials", "must be at least 1", self.trials)
        if self.max_epochs < 1:
            raise ConfigError("max_epochs", "must be at least 1", self.max_epochs)
        if self.scheduler not in SCHEDULERS:
            raise ConfigError(
                "scheduler", f"must be one of {', '.join(SCHEDULERS)}", self.scheduler
            )
        if not self.early_stop or self.scheduler == "fifo":  # one meaning, two spellings
            object.__setattr__(self, "scheduler", "fifo")
            object.__setattr__(self, "early_stop", False)
        if self.sampler not in SAMPLERS:
            raise ConfigError("sampler", f"must be one of {', '.join(SAMPLERS)}", self.sampler)
        known = (*task.metrics, *COSTS)
        unknown = [o for o in self.objectives if o not in known]
        if unknown or len(set(self.objectives)) != len(self.objectives):
            raise ConfigError(
                "objectives",
                f"of a {task.name} search must be distinct names from {', '.join(known)}",
                self.objectives,
            )
        metrics = [o for o in self.objectives if o in task.metrics]
        if len(metrics) != 1 or len(self.objectives) < 2:
            raise ConfigError(
                "objectives",
                f"must hold one metric of {', '.join(task.metrics)} and at least one of "
                f"{', '.join(COSTS)}",
                self.objectives,
            )
        if self.target not in TARGETS:
            raise ConfigError("target", f"must be one of {', '.join(TARGETS)}", self.target)
        if not 0 <= self.floor <= 1:
            raise ConfigError("floor", "must be between 0 and 1", self.floor)
        if self.precision not in PRECISIONS:
            raise ConfigError(
                "precision", f"must be one of {', '.join(PRECISIONS)}", self.precision
            )
        if self.folds is not None and not (self.folds == 0 or 2 <= self.folds <= MAX_FOLDS):
            raise ConfigError(
                "folds", f"must be 0 (one validation split) or 2 to {MAX_FOLDS}", self.folds
            )
        object.__setattr__(self, "limits", tuple(self.limits))
        self.all_limits  # noqa: B018 - every limit and the device parse now, or say what is wrong
        if self.name is not None and not _NAME.match(self.name):
            raise ConfigError(
                "name",
                "must be 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit",
                self.name,
            )

    @property
    def all_limits(self) -> tuple[Limit, ...]:
        """The limits given, then the device's RAM and flash."""
        known = (*get_task(self.task).metrics, *COSTS)
        mine = parse_limits(self.limits, known=known)
        board = device_limits(self.device, self.reserve) if self.device else ()
        return mine + board

    @property
    def metric(self) -> str:
        """The quality objective: the one objective that is a metric of the task."""
        return next(o for o in self.objectives if o not in COSTS)

    def as_dict(self) -> dict:
        out = {**asdict(self), "metric": self.metric}
        out["limits_applied"] = [limit.text for limit in self.all_limits]
        if self.from_storage:  # stored with the search: never a password
            out["from_storage"] = display_url(self.from_storage)
        return out


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Where and how to run.

    storage: SQLAlchemy URL of the database (SQLite by default, PostgreSQL on clusters).
    address: an existing Ray cluster ("auto", "ray://host:10001", ...); None starts a local Ray.
    artifacts: where each trial's files go; on a multi-node cluster a path every node and the
        exporting machine can reach (a shared filesystem, or a pyarrow URI such as s3://bucket/x).
    max_concurrent: trials at once; None lets the free CPUs/GPUs decide.
    reuse_actors: run the next trial in the same worker process (saves about a second a trial;
        turn off if a space leaks memory between trials).
    max_failures: times a trial is run again when its worker process or node dies, or its GPU
        runs out of memory, before it is stored as FAIL. A trial that fails in its own code is
        never retried.
    trial_timeout: wall-clock bound of one trial, "90s", "10m", "2h" (or seconds as a number);
        None: no bound. A trial past it (hung, or its process stopped) has its worker killed
        and is stored as FAIL with the reason; it is not run again (see autonn.tune._watchdog).
    db_timeout: how long the driver waits for a database it cannot reach ("20s", "5m", ...),
        retrying with backoff; past it the search stops as Ctrl-C stops it, to be resumed once
        the database is back (see autonn.store._retry and autonn.tune._outage).
    """

    storage: str = DEFAULT_STORAGE
    address: str | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_concurrent: int | None = None
    artifacts: str = "autonn_artifacts"
    reuse_actors: bool = True
    max_failures: int = 2
    trial_timeout: str | float | None = None
    db_timeout: str | float = "5m"
    debug: bool = False

    def __post_init__(self) -> None:
        if self.cpus_per_trial <= 0:
            raise ConfigError("cpus_per_trial", "must be above 0", self.cpus_per_trial)
        if self.gpus_per_trial < 0:
            raise ConfigError("gpus_per_trial", "must be 0 or more", self.gpus_per_trial)
        if self.max_failures < 0:
            raise ConfigError("max_failures", "must be 0 or more", self.max_failures)
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ConfigError("max_concurrent", "must be at least 1", self.max_concurrent)
        if self.trial_timeout is not None:
            self.trial_timeout_s  # noqa: B018 - a bad duration is refused now, not mid-search
        self.db_timeout_s  # noqa: B018 - the same

    @property
    def trial_timeout_s(self) -> float | None:
        """trial_timeout in seconds (None: no bound)."""
        if self.trial_timeout is None:
            return None
        seconds = parse_duration(self.trial_timeout)
        if seconds is None or seconds <= 0:
            raise ConfigError(
                "trial_timeout", "must be a duration such as 90s, 10m or 2h", self.trial_timeout
            )
        return seconds

    @property
    def db_timeout_s(self) -> float:
        """db_timeout in seconds."""
        seconds = parse_duration(self.db_timeout)
        if seconds is None or seconds <= 0:
            raise ConfigError(
                "db_timeout", "must be a duration such as 30s, 5m or 1h", self.db_timeout
            )
        return seconds
