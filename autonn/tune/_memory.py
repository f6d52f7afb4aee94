"""The driver's memory over a long search: what Ray Tune keeps of each finished trial that
autonn never reads.

Measured with Ray 2.60 (bench/soak.py, and object counts on the driver between trials 500 and
1,500 of a soak): the driver grew by about 66 KB a trial, 620 MB at 10,000 trials.
- Tune keeps running statistics of every number a trial reported: max, min, mean, last and the
  means of the last 5 and 10 reports, the last two in a deque each. For autonn's dozen numbers
  that is about 25 KB a trial. They serve Tune's ExperimentAnalysis and best-result queries;
  autonn makes none (every trial's numbers are in the database), so a finished trial's
  statistics are dropped (`DropStatistics`).
- Tune snapshots its experiment state every few seconds for `Tuner.restore` and keeps a JSON
  copy of every trial it snapshotted, about 17 KB a trial, while spending up to 5% of the
  driver's time on it by design. autonn resumes from the database, never from Tune's state, so
  the periodic snapshot is turned off (TUNE_GLOBAL_CHECKPOINT_S in
  autonn.tune._run.TUNE_ENVIRONMENT); Tune still writes one at the end.
"""

from __future__ import annotations

from ray import tune


class DropStatistics(tune.Callback):
    """Forgets Tune's running statistics of each trial once it has ended."""

    def on_trial_complete(self, iteration: int, trials: list, trial, **info) -> None:
        _drop(trial)

    def on_trial_error(self, iteration: int, trials: list, trial, **info) -> None:
        _drop(trial)


def _drop(trial) -> None:
    trial.run_metadata.metric_analysis.clear()
    trial.run_metadata.metric_n_steps.clear()
    trial.run_metadata.invalidate_cache()
