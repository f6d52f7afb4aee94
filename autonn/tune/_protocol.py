"""The keys a trial's reports carry from worker to driver (kept in one place on both sides)."""

TRIAL_KEY = "_autonn_trial"  # added to each trial's config: the Optuna trial number
TEACHER_KEY = "_autonn_teacher"  # a distilled trial's config: its teacher (ModelSource JSON)
# A trial's config once --trial-timeout ended it (autonn.tune._watchdog): the reason, which the
# run Tune starts after the kill reports at once, without training.
TIMED_OUT_KEY = "_autonn_timed_out"
EPOCH = "epoch"  # reports at the scheduler's rungs: epoch and the validation metric
CURVE = "autonn_curve"  # JSON of the validation metric of every epoch so far, with EPOCH
FINAL = "autonn_final"  # the last report of a fully trained, measured trial
FAILED = "autonn_failed"  # the reason a trial failed (its worker caught the error)
# JSON of the limits a trial breaks before training ({limit text: relative excess}): it is not
# trained, and the driver stores it stopped, with its costs, for the sampler to learn from.
INFEASIBLE = "autonn_infeasible"
VIOLATION = "autonn_violation"  # with each rung report: how far the trial breaks the limits
ATTRS = "autonn_attrs"  # JSON of the user attributes to store with the trial
# On the driver: the log record of each finished trial carries its facts as this attribute (a dict:
# number, state, done, total, done_before, values, values_text, directions, what), so a progress
# display (the CLI's) needs not parse the message.
TRIAL_EVENT = "autonn_trial"
