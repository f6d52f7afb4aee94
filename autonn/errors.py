"""autonn's exceptions.

    AutonnError                 root: anything autonn raises on purpose
    ├── UsageError              bad input from the user (space, data, options, names); CLI exit 2
    │   └── ConfigError         a SearchConfig/RunConfig field breaks its rule; names the field
    ├── StoreError              the database cannot be opened, or a search/trial is not in it
    ├── MissingDependency       an optional package is not installed; says how to install it
    ├── TrialFailed             one trial failed (NaN loss, broken compression); the search goes on
    │   └── TargetCannotRun     the target's converter or runtime cannot run the trial's model
    └── SearchInterrupted       a search stopped before its last trial (Ctrl-C); CLI exit 130

The CLI prints an AutonnError's message as one line and exits 2; `--debug` adds the traceback.
"""

from __future__ import annotations


class AutonnError(Exception):
    """Root of every error autonn raises on purpose."""


class UsageError(AutonnError, ValueError):
    """The user asked for something that cannot work; the message says how to fix it."""


class ConfigError(UsageError):
    """A config field breaks its rule. The message names the field as Python spells it
    (`max_epochs`); `for_cli()` names the command-line flag instead (--max-epochs)."""

    # Fields whose flag is not --field-with-dashes.
    FLAGS = {"limits": "--limit", "early_stop": "--no-early-stop", "from_storage": "--from-storage"}

    def __init__(self, field: str, rule: str, value) -> None:
        self.field, self.rule, self.value = field, rule, value
        super().__init__(f"`{field}` {rule}, but got {value!r}")

    def for_cli(self) -> str:
        flag = self.FLAGS.get(self.field, "--" + self.field.replace("_", "-"))
        value = ",".join(map(str, self.value)) if isinstance(self.value, tuple) else self.value
        return f"{flag} {self.rule}, but got {value}"


class StoreError(AutonnError):
    """The database cannot be opened, or does not hold what was asked for."""


class MissingDependency(AutonnError, ImportError):
    """An optional dependency is missing."""

    def __init__(self, package: str, extra: str | None = None) -> None:
        how = f"pip install 'autonn[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{package} is not installed; install it with: {how}")


class TrialFailed(AutonnError):
    """One trial cannot go on; the search records it as FAIL with this reason and continues."""


class TargetCannotRun(TrialFailed):
    """The search's target cannot run this model (an operator it lacks, a format it does not
    offer). Found before training, it is a constraint the sampler learns from, not a bug."""


class SearchInterrupted(AutonnError):
    """A search stopped before all its trials ran; what finished is stored and it can resume."""
