"""The rule for trials that cannot store their files (the artifact root is full or unwritable).

A trial whose upload fails is stored as FAIL with the reason ("could not store the trial's
files to ...: No space left on device"): its model is not where export would look, so it must not
count as COMPLETE. One such failure may be passing (a file too large for a quota, a brief network
share outage), so the search goes on. STOP_AFTER of them in a row means every trial would fail
the same way, spending its training for nothing: the search then stops as Ctrl-C stops it
(finished trials stored, running ones closed), and says why and how to resume (exit code 2).
"""

from __future__ import annotations

from ray import tune

from autonn.store._artifacts import UPLOAD_FAILED
from autonn.tune._protocol import FAILED, FINAL

STOP_AFTER = 3  # upload failures in a row that stop the search


class UploadFailures(tune.Stopper):
    """A Tune Stopper that ends the whole search after STOP_AFTER upload failures in a row."""

    def __init__(self, stop_after: int = STOP_AFTER) -> None:
        self.stop_after = stop_after
        self.in_a_row = 0
        self.last_reason: str | None = None
        self._ended: set[str] = set()  # Tune passes a trial's last result twice: count it once

    def __call__(self, trial_id: str, result: dict) -> bool:
        reason = result.get(FAILED)
        failed = isinstance(reason, str) and reason.startswith(UPLOAD_FAILED)
        if trial_id in self._ended or not (failed or result.get(FINAL)):
            return False
        self._ended.add(trial_id)
        if not failed:  # a trial stored its files: the root works again
            self.in_a_row = 0
            return False
        self.in_a_row += 1
        self.last_reason = reason
        # Ended by Tune on this very result, so the searcher stores it with this reason even when
        # stop_all ends the search in the same step (before the trial would have ended itself).
        return True

    def stop_all(self) -> bool:
        return self.tripped

    @property
    def tripped(self) -> bool:
        return self.in_a_row >= self.stop_after

    def message(self, name: str, stored: int, total: int) -> str:
        return (
            f"search {name!r} stopped after {stored} of {total} trials: {self.in_a_row} trials in "
            f"a row could not store their files (last: {self.last_reason}); free space or fix "
            f"--artifacts, then add --resume --name {name} to the same command to continue it"
        )
