"""autonn's exceptions.

    AutonnError                 root: anything autonn raises on purpose
    ├── UsageError              bad input from the user (space, data, options, names); CLI exit 2
    │   └── ConfigError         a SearchConfig/RunConfig field breaks its rule; names the field
    ├── StoreError              the database cannot be opened, or a search/trial is not in it
    ├── MissingDependency       an optional package is not installed; says how to install it
    ├── TrialFailed             one trial failed (NaN loss, broken compression); the search goes on
    │   ├── TargetCannotRun     the target's converter or runtime cannot run the trial's model
    │   └── ArtifactsUnwritable a trial's files could not be stored (disk full, no permission)
    └── SearchInterrupted       a search stopped before its last trial; CLI exit `exit_code`:
                                130 Ctrl-C, 143 SIGTERM, 2 trials could not store their files,
                                75 the database was unreachable past --db-timeout

    Terminated (a KeyboardInterrupt, not an AutonnError): SIGTERM reached the driver outside Tune's
    loop; the CLI exits 143.

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


class ArtifactsUnwritable(TrialFailed):
    """A trial's files could not be written to the artifact root (no space left, permission
    lost): the trial fails with the reason; a run of such failures stops the search."""


class SearchInterrupted(AutonnError):
    """A search stopped before all its trials ran; what finished is stored and it can resume.

    exit_code: what the CLI exits with: 130 after Ctrl-C (SIGINT), 143 after SIGTERM (a scheduler
    preempting the driver), 2 when trials could not store their files, 75 (EX_TEMPFAIL) when the
    database stayed unreachable past --db-timeout.
    """

    def __init__(self, message: str, *, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(KeyboardInterrupt):
    """SIGTERM reached the driver where Ctrl-C would raise KeyboardInterrupt (outside Tune's
    loop, which stops cleanly and raises SearchInterrupted instead)."""

    exit_code = 143
