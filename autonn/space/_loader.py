"""Turning a user's space spec ("file.py:fn", "pkg.mod:fn", or a built-in name) into a function,
checking it, and rebuilding a stored trial's config from its params."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from autonn.errors import UsageError
from autonn.space._configs import QUANTIZATIONS, ModelConfig
from autonn.space._suggest import target_formats

SpaceFn = Callable[[optuna.Trial], ModelConfig]

BUILTIN_SPACES = {
    "mlp": "autonn.spaces.mlp:space",
    "cnn": "autonn.spaces.cnn:space",
    "dscnn": "autonn.spaces.dscnn:space",
    "series": "autonn.spaces.series:space",
}
# autonn 0.1-0.2 installed the ready-made spaces as a top-level package; searches stored then hold
# specs such as "search_spaces.mlp:space", which now live in autonn.spaces.
_OLD_SPACES = "search_spaces."
# Sampling a space must be instant: the driver calls it for every trial while workers wait.
SLOW_SPACE_SECONDS = 1.0


@dataclass(frozen=True)
class SearchSpace:
    """A loaded space: `spec` is what to store, so any machine can load the same function again."""

    spec: str
    fn: SpaceFn
    formats: tuple[str, ...] = QUANTIZATIONS  # what the search's target runs (see autonn.target)

    def for_formats(self, formats: Sequence[str]) -> SearchSpace:
        """This space, offering only `formats` where it leaves the number format to autonn."""
        return SearchSpace(self.spec, self.fn, tuple(formats))

    def sample(self, trial: optuna.Trial, *, time_limit: float | None = None) -> ModelConfig:
        """Call the space on a live trial, checking what it does.

        time_limit: seconds the call may take. Only `check` sets it: there the sampler is a
        random one in memory, so the time is the space's own; during a search it would also
        count the sampler's work (TPE's grows with the trials) and a busy machine's delays.
        """
        start = time.perf_counter()
        try:
            with target_formats(self.formats):
                config = self.fn(trial)
        except (optuna.TrialPruned, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise UsageError(
                f"search space {self.spec} raised {type(exc).__name__}: {exc}"
            ) from exc
        took = time.perf_counter() - start
        if time_limit is not None and took > time_limit:
            raise UsageError(
                f"search space {self.spec} took {took:.1f}s to sample one trial (limit "
                f"{time_limit}s); a space only chooses values, do no work in it"
            )
        if not isinstance(config, ModelConfig):
            raise UsageError(
                f"search space {self.spec} must return an autonn config (autonn.MLP, autonn.CNN, "
                f"autonn.DSCNN or a subclass of autonn.ModelConfig), but returned "
                f"{type(config).__name__}"
            )
        bad = [name for name in trial.params if "/" in name]
        if bad:
            raise UsageError(
                f"search space {self.spec}: parameter names must not contain '/': {bad}"
            )
        return config

    def _check_formats(self, trial: optuna.Trial) -> None:
        offered = getattr(trial.distributions.get("quantize"), "choices", ())
        beyond = [q for q in offered if q not in self.formats]
        if beyond:
            raise UsageError(
                f"search space {self.spec} offers number formats {beyond} that the target does "
                f"not run (it runs {', '.join(self.formats)}); leave quantize= out of "
                "suggest_compression to search the target's own"
            )

    def rebuild(self, params: dict[str, Any]) -> ModelConfig:
        """The exact config of a stored trial, from its params alone."""
        return self.sample(optuna.trial.FixedTrial(params))

    def check(
        self, samples: int = 3, seed: int = 0, enqueued: Sequence[dict[str, Any]] = ()
    ) -> ModelConfig:
        """Sample the space a few times in memory so a broken space fails before Ray starts;
        returns the last config sampled. Params to be enqueued are sampled too, after those."""
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        for _ in range(samples):
            trial = study.ask()
            config = self.sample(trial, time_limit=SLOW_SPACE_SECONDS)
            self._check_formats(trial)
            study.tell(trial, 0.0)
        last = config
        for params in enqueued:
            study.enqueue_trial(params)
            trial = study.ask()
            self.sample(trial, time_limit=SLOW_SPACE_SECONDS)
            unknown = sorted(set(params) - set(trial.params))
            if unknown:
                raise UsageError(
                    f"enqueued params {unknown} are not params of search space {self.spec} "
                    f"(it has {sorted(trial.params)})"
                )
            study.tell(trial, 0.0)
        return last


def load_space(spec: str) -> SearchSpace:
    """Load "path/to/file.py:fn", "package.module:fn" or a built-in name ("mlp", "cnn", "dscnn")."""
    resolved = BUILTIN_SPACES.get(spec, spec)
    if resolved.startswith(_OLD_SPACES):
        resolved = "autonn.spaces." + resolved.removeprefix(_OLD_SPACES)
    target, sep, attr = resolved.rpartition(":")
    if not sep or not target or not attr:
        names = ", ".join(sorted(BUILTIN_SPACES))
        raise UsageError(
            f"unknown search space {spec!r}: give a built-in name ({names}), "
            "'path/to/file.py:function' or 'package.module:function'"
        )
    if target.endswith(".py"):
        path = Path(target).expanduser().resolve()
        module = _import_file(path, spec)
        resolved = f"{path}:{attr}"
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise UsageError(
                f"cannot import module {target!r} for search space {spec!r}: {exc}"
            ) from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"search space {spec!r}: {target} has no function named {attr!r}")
    return SearchSpace(spec=resolved, fn=fn)


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise UsageError(f"search space {spec!r}: no such file {path}")
    # A name unique to the path, so two spaces called space.py do not replace each other.
    name = "autonn_space_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        raise UsageError(
            f"search space file {path} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module
