"""Read-side records of a search and its trials (built by _query, the one read path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from autonn.task import METRICS, get_task

# Study user attribute holding the search's own config (space, data, seed, objectives, ...).
CONFIG_ATTR = "autonn"
# What a trial costs to deploy; the other objective of a search is its quality metric.
# size_bytes: the artifact's bytes (model.onnx or model.tflite); flash_bytes: what the device stores
# (the same file today, for every target); ram_bytes: the tensor arena (tflm, exact) or the peak of
# live activations (onnx, litert: an estimate); macs: multiply-accumulates of one inference.
COSTS = {
    "size_bytes": "minimize",
    "latency_ms": "minimize",
    "flash_bytes": "minimize",
    "ram_bytes": "minimize",
    "macs": "minimize",
}
# The costs known before a trial trains: they follow from the architecture and number format.
COSTS_BEFORE_TRAINING = ("size_bytes", "flash_bytes", "ram_bytes", "macs")
# Every objective autonn knows, with its optimisation direction.
OBJECTIVES = {**{m.name: m.direction for m in METRICS.values()}, **COSTS}


# Two kinds of "pruned" meet in autonn: Optuna's PRUNED state (the scheduler stopped the trial's
# training early) and channel pruning (compression). What a person reads says "stopped early" for
# the one and "channel-pruned" for the other, never plain "pruned".
STATE_WORDS = {
    "COMPLETE": "complete",
    "PRUNED": "stopped early",
    "FAIL": "failed",
    "RUNNING": "running",
    "WAITING": "waiting",
}
# Attribute names of autonn 0.1-0.2 and what they are called now; read either way.
_RENAMED_ATTRS = {"params": "n_params", "params_trained": "n_params_trained"}

# How a trial's attributes are stored. Optuna commits every user attribute
# on its own, and the driver waits for each commit on Tune's event loop: 25 attributes were 25
# commits a trial. The headline measurements stay attributes of their own, so optuna-dashboard
# and `study.trials_dataframe()` show them as columns; everything else is one JSON attribute,
# DETAILS_ATTR. `upgrade_attrs` gives readers one flat dict from either layout.
DETAILS_ATTR = "autonn_details"
_HEADLINE = frozenset(
    {"size_bytes", "flash_bytes", "ram_bytes", "macs", "fail_reason"}
    | {f"test_{m}" for m in METRICS}
)


def state_word(state: str) -> str:
    """How a person reads a trial state: PRUNED is "stopped early", not "pruned"."""
    return STATE_WORDS.get(state, state.lower())


def pack_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """A trial's attributes as the searcher stores them: the headline ones each on its own, the
    rest together under DETAILS_ATTR (absent when there is no rest)."""
    out = {k: v for k, v in attrs.items() if k in _HEADLINE}
    details = {k: v for k, v in attrs.items() if k not in _HEADLINE}
    if details:
        out[DETAILS_ATTR] = details
    return out


def upgrade_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """A trial's attributes as one flat dict under today's names, whichever release stored them:
    the details packed under DETAILS_ATTR, or each on its own (autonn 0.3.0 and before); the
    parameter count was `params`, and the score after channel pruning `<metric>_pruned`."""
    details = attrs.get(DETAILS_ATTR)
    if isinstance(details, dict):  # written by this autonn, under today's names
        out = {**details, **attrs}
        del out[DETAILS_ATTR]
        return out
    out = dict(attrs)
    for old, new in _RENAMED_ATTRS.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    for key in [k for k in out if k.endswith("_pruned") and not k.endswith("_channel_pruned")]:
        out.setdefault(key.removesuffix("_pruned") + "_channel_pruned", out.pop(key))
    return out


def quality_metric(objectives) -> str:
    """The search's metric among its objectives; "accuracy" for a search stored before tasks."""
    return next((o for o in objectives if o in METRICS), "accuracy")


@dataclass(frozen=True)
class TrialRecord:
    """One stored trial: what was sampled, what was measured, how it ended.

    `metric` names the search's quality objective: `score` and `test_score` read it whatever it
    is; `accuracy` and `test_accuracy` are those of a classification search by accuracy (None
    for any other metric).
    """

    number: int
    state: str
    values: dict[str, float]
    params: dict[str, Any]
    attrs: dict[str, Any]
    started: datetime | None = None
    finished: datetime | None = None
    metric: str = "accuracy"

    @property
    def score(self) -> float | None:
        """The validation metric (the search objective)."""
        return self.values.get(self.metric)

    @property
    def test_score(self) -> float | None:
        return self.attrs.get(f"test_{self.metric}")

    @property
    def accuracy(self) -> float | None:
        return self.values.get("accuracy")

    @property
    def size_bytes(self) -> float | None:
        return self.values.get("size_bytes", self.attrs.get("size_bytes"))

    @property
    def test_accuracy(self) -> float | None:
        return self.attrs.get("test_accuracy")

    def measured(self, name: str) -> float | None:
        """An objective or a measurement by name (ram_bytes, macs, ...), whichever it was."""
        return self.values.get(name, self.attrs.get(name))

    @property
    def broken_limits(self) -> dict[str, float]:
        """The limits the trial breaks (their text -> relative excess); empty when it keeps all."""
        return dict(self.attrs.get("broken_limits") or {})

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.number,
            "state": self.state,
            self.metric: self.score,
            "size_bytes": self.size_bytes,
            f"test_{self.metric}": self.test_score,
            **{c: self.measured(c) for c in ("latency_ms", "flash_bytes", "ram_bytes", "macs")},
            "broken_limits": self.broken_limits,
            "values": self.values,
            "params": self.params,
            "attrs": self.attrs,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
        }


@dataclass(frozen=True)
class SearchInfo:
    """A search as stored: its name, its config, and how many trials ended in each state."""

    name: str
    config: dict[str, Any]
    objectives: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        return sum(self.counts.values())

    @property
    def task(self) -> str:
        """classification or regression; a search stored before tasks existed classified."""
        return get_task(self.config.get("task")).name

    @property
    def metric(self) -> str:
        return quality_metric(self.objectives)

    @property
    def floor(self) -> tuple[float, float] | None:
        """(the trivial predictor's validation score, the share of the gap to close); None for a
        search stored before autonn 0.3, which kept no trivial score."""
        trivial, share = self.config.get("trivial"), self.config.get("floor")
        return None if trivial is None or share is None else (float(trivial), float(share))

    @property
    def limits(self) -> list[str]:
        """The limits the search honoured, device limits included (their texts)."""
        return list(self.config.get("limits_applied") or [])

    @classmethod
    def from_config(cls, name: str, config, n_objectives: int, counts) -> SearchInfo:
        config = config if isinstance(config, dict) else {}
        # A study made by plain Optuna has no autonn config: name its objectives generically.
        objectives = tuple(config.get("objectives") or [f"value_{i}" for i in range(n_objectives)])
        return cls(name=name, config=config, objectives=objectives, counts=dict(counts))


@dataclass(frozen=True)
class Search:
    """A search as read from the database: its info and every trial, in trial-number order."""

    info: SearchInfo
    trials: list[TrialRecord]
    storage: str

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def objectives(self) -> tuple[str, ...]:
        return self.info.objectives

    @property
    def task(self) -> str:
        return self.info.task

    @property
    def metric(self) -> str:
        return self.info.metric

    @cached_property
    def pareto(self) -> list[TrialRecord]:
        """The deployable front, computed on first access: a loaded Search is one version of
        the search, so every later access reads the same list (do not change it)."""
        from autonn.store._pareto import pareto_front

        return pareto_front(self.trials, self.objectives, self.info.floor)

    def trial(self, number: int) -> TrialRecord:
        for t in self.trials:
            if t.number == number:
                return t
        raise KeyError(number)
