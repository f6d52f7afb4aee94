"""Faults a long search meets: a trial that hangs or whose process is stopped (--trial-timeout),
an artifact folder that fills up or cannot be written, and SIGTERM to the driver (preemption).

The searches in this module share one local Ray (shut down after the module); the preemption
test runs `autonn search` as a subprocess with a Ray of its own, as a scheduler would see it."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import psutil
import pytest

import autonn
from autonn._durations import duration_text, parse_duration
from autonn.cli import main
from autonn.errors import ArtifactsUnwritable, SearchInterrupted, StoreError, Terminated
from autonn.store._artifacts import UPLOAD_FAILED, check_writable, upload
from autonn.tune._protocol import FAILED, FINAL
from autonn.tune._study import INTERRUPTED
from autonn.tune._uploads import UploadFailures

# A space whose model's forward pass does what its `mode` param says: "ok" trains, "hang" never
# returns, "stop" writes its pid to PIDS/stop.pid and waits (for the test to SIGSTOP it). Every
# mode writes the worker's pid, so the test can check the process was killed.
SPACE = """
import os
import time
from dataclasses import dataclass
from typing import ClassVar

from torch import nn

import autonn

PIDS = {pids!r}


@dataclass(frozen=True, kw_only=True)
class Moody(autonn.ModelConfig):
    family: ClassVar[str] = "moody"
    mode: str = "ok"

    def build(self, input_shape, n_classes):
        return MoodyNet(self.mode, input_shape, n_classes)


class MoodyNet(nn.Module):
    def __init__(self, mode, input_shape, n_classes):
        super().__init__()
        self.mode = mode
        self.flat = nn.Flatten()
        self.fc = nn.Linear(input_shape[-1], n_classes)

    def forward(self, x):
        if self.mode != "ok" and self.training:
            with open(os.path.join(PIDS, self.mode + ".pid"), "w") as f:
                f.write(str(os.getpid()))
            started = time.monotonic()
            while time.monotonic() - started < 900:  # far past any timeout the test sets
                time.sleep(0.2)
        return self.fc(self.flat(x))


def space(trial):
    return Moody(
        mode=trial.suggest_categorical("mode", ["ok", "hang", "stop"]),
        train=autonn.Training(lr=1e-2, batch_size=32),
    )
"""


# --- pure logic: durations, the upload rule, the SIGTERM handler, exit codes ---


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1.5h", 5400), ("45", 45)]
)
def test_durations_read_as_a_person_writes_them(text, seconds):
    assert parse_duration(text) == seconds
    assert autonn.RunConfig(trial_timeout=text).trial_timeout_s == seconds


def test_durations_print_as_a_person_writes_them():
    assert [duration_text(s) for s in (90, 600, 7200, 30, 61)] == ["90s", "10m", "2h", "30s", "61s"]


def test_a_bad_trial_timeout_is_one_line_and_exit_2(capsys):
    code = main(["search", "mlp", "--data", "wine", "--trial-timeout", "ten minutes"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "--trial-timeout must be a duration such as 90s, 10m or 2h, but got ten minutes" in err
    assert autonn.RunConfig().trial_timeout is None  # the documented default: no bound


def test_three_upload_failures_in_a_row_stop_the_search_and_one_success_resets_the_count():
    failed = {FAILED: f"{UPLOAD_FAILED} to /x/trial_00001: No space left on device"}
    rule = UploadFailures()
    for trial in ("a", "b", "b"):  # Tune passes a trial's last result twice
        rule(trial, failed)
    rule("c", {FINAL: True})
    rule("d", {FAILED: "ValueError: a failure of the trial's own"})
    rule("e", failed)
    rule("f", failed)
    rule("f", failed)
    assert not rule.stop_all()
    assert rule("g", failed) is True  # ended on it: stored with this reason, whatever comes next
    assert rule.stop_all()
    assert "3 trials in a row could not store their files" in rule.message("s", 4, 9)
    assert "No space left on device" in rule.message("s", 4, 9)
    assert "add --resume --name s" in rule.message("s", 4, 9)


def test_sigterm_does_what_ctrl_c_does_while_a_search_runs_and_only_then():
    from autonn.tune._ray import sigterm_stops_search, sigterms

    saved = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    seen = []

    def callers_own(signum, frame):  # what a Python caller (or Ray) had before the search
        seen.append("caller")

    try:
        signal.signal(signal.SIGTERM, callers_own)
        with sigterm_stops_search():
            signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))  # Tune's loop
            before = sigterms()
            os.kill(os.getpid(), signal.SIGTERM)
            assert seen == [signal.SIGINT] and sigterms() == before + 1
            signal.signal(signal.SIGINT, signal.default_int_handler)  # outside Tune's loop
            with pytest.raises(Terminated) as caught:
                os.kill(os.getpid(), signal.SIGTERM)
            assert isinstance(caught.value, KeyboardInterrupt) and caught.value.exit_code == 143
        os.kill(os.getpid(), signal.SIGTERM)  # the search is over: the caller's handler again
        assert seen == [signal.SIGINT, "caller"]
    finally:
        signal.signal(signal.SIGTERM, saved[0])
        signal.signal(signal.SIGINT, saved[1])


@pytest.mark.parametrize(("exit_code"), [130, 143, 2])
def test_a_stopped_search_exits_with_its_code_and_one_last_line(capsys, monkeypatch, exit_code):
    def stopped(args):
        raise SearchInterrupted("search 'x' stopped\n after 3 of 9", exit_code=exit_code)

    monkeypatch.setattr("autonn.cli._commands.search", stopped)
    assert main(["search", "mlp", "--data", "wine"]) == exit_code
    assert capsys.readouterr().err.strip() == "autonn: search 'x' stopped after 3 of 9"


# --- artifact roots that cannot be written ---


def test_the_probe_of_a_new_artifact_root_leaves_nothing_behind(tmp_path):
    check_writable(str(tmp_path / "new" / "root"))  # a search refused later writes nothing
    assert list(tmp_path.iterdir()) == []


def test_an_artifact_root_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot write trial files under --artifacts .*a-file"):
        check_writable(str(blocker / "art"))
    code = main(["search", "mlp", "--data", "wine", "--storage", f"sqlite:///{tmp_path}/x.db",
                 "--artifacts", str(blocker / "art")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Not a directory" in err
    assert not (tmp_path / "x.db").exists() or not autonn.list_searches(
        f"sqlite:///{tmp_path}/x.db"
    )


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a disk that really fills up (needs the right to mount; skipped without)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write to `disk` until no space is left; returns the file, which frees it when deleted."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_artifact_root_is_refused_before_ray_and_an_upload_to_it_fails_cleanly(
    small_disk, tmp_path
):
    files = tmp_path / "trial"
    files.mkdir()
    (files / "model.onnx").write_bytes(os.urandom(300_000))
    upload(files, str(small_disk / "s" / "trial_00000"))  # room for it: stored
    filler = fill(small_disk)
    with pytest.raises(StoreError, match="No space left on device"):
        check_writable(str(small_disk))
    with pytest.raises(ArtifactsUnwritable, match=f"^{UPLOAD_FAILED} to .*No space left"):
        upload(files, str(small_disk / "s" / "trial_00001"))
    assert not (small_disk / "s" / "trial_00001").exists()  # no half-written folder left
    filler.unlink()
    check_writable(str(small_disk))


def test_an_artifact_root_made_read_only_is_refused_and_fails_uploads_with_the_reason(
    small_disk, tmp_path
):
    files = tmp_path / "trial"
    files.mkdir()
    (files / "model.onnx").write_bytes(b"onnx")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)  # root, too
    with pytest.raises(StoreError, match="Read-only file system"):
        check_writable(str(small_disk))
    with pytest.raises(ArtifactsUnwritable, match="Read-only file system"):
        upload(files, str(small_disk / "s" / "trial_00000"))


# --- real searches, one Ray for the module ---


@pytest.fixture(scope="module", autouse=True)
def one_ray_for_the_module():
    yield
    import ray

    ray.shutdown()


def _moody(tmp_path: Path, modes: list[str], name: str, **overrides) -> autonn.SearchConfig:
    pids = tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    (tmp_path / "moody.py").write_text(SPACE.format(pids=str(pids)))
    settings = dict(space=f"{tmp_path}/moody.py:space", data="wine", name=name,
                    trials=len(modes), max_epochs=2, sampler="random", seed=0, early_stop=False,
                    enqueue=tuple({"mode": m} for m in modes))  # fmt: skip
    return autonn.SearchConfig(**{**settings, **overrides})


def _stop_when_it_starts(pid_file: Path) -> threading.Thread:
    """SIGSTOP the worker whose pid the space writes, as soon as it does."""

    def stop() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                os.kill(int(pid_file.read_text()), signal.SIGSTOP)
                return
            time.sleep(0.1)

    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    return thread


@pytest.mark.integration
def test_hung_and_stopped_trials_end_as_fail_with_the_reason_within_the_timeout(tmp_path):
    # Above an ok trial's time on a loaded 2-core machine (56 s seen at load 29), which the
    # watchdog would otherwise end too: the promise is FAIL within the timeout plus 30 s.
    timeout = 90
    config = _moody(tmp_path, ["ok", "hang", "stop", "ok"], "moody")
    run = autonn.RunConfig(storage=f"sqlite:///{tmp_path}/m.db", artifacts=str(tmp_path / "art"),
                           max_concurrent=2, trial_timeout=f"{timeout}s")  # fmt: skip
    stopper = _stop_when_it_starts(tmp_path / "pids" / "stop.pid")
    result = autonn.search(config, run)
    stopper.join(timeout=1)

    states = {t.params["mode"]: t.state for t in result.trials}
    assert len(result.trials) == 4 and states == {"ok": "COMPLETE", "hang": "FAIL", "stop": "FAIL"}
    assert [t.state for t in result.trials].count("COMPLETE") == 2  # both ok trials, once each
    study = optuna.load_study(study_name="moody", storage=run.storage)
    for t, record in zip(study.trials, result.trials, strict=True):
        if t.params["mode"] == "ok":
            continue
        reason = record.attrs["fail_reason"]
        assert reason.startswith(f"ran past --trial-timeout {timeout}s"), reason
        assert "its worker process was killed" in reason
        # Asked when its slot came free, so this bounds the time from start to FAIL from above.
        took = (t.datetime_complete - t.datetime_start).total_seconds()
        assert took < timeout + 30, (t.params, took)
        pid = int((tmp_path / "pids" / f"{t.params['mode']}.pid").read_text())
        assert not _alive(pid), f"the {t.params['mode']} worker {pid} still runs"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _states(db: Path) -> list[str]:
    """The search's trial states, read with plain sqlite3 (Optuna would race the driver's own
    creation of the schema); empty before the driver made the table."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return [s for (s,) in con.execute("SELECT state FROM trials")]
    except sqlite3.OperationalError:
        return []


def _fill_after_a_trial_completes(db: Path, disk: Path, found: list) -> threading.Thread:
    def run() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and "COMPLETE" not in _states(db):
            time.sleep(0.1)
        found.append(fill(disk))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.integration
def test_a_disk_that_fills_mid_search_fails_trials_with_the_reason_then_stops_it(
    small_disk, tmp_path
):
    config = _moody(tmp_path, ["ok"] * 10, "full")
    db = tmp_path / "f.db"
    run = autonn.RunConfig(storage=f"sqlite:///{db}", artifacts=str(small_disk), max_concurrent=1)
    filler: list[Path] = []
    thread = _fill_after_a_trial_completes(db, small_disk, filler)
    with pytest.raises(SearchInterrupted) as stopped:
        autonn.search(config, run)
    thread.join(timeout=5)
    message = str(stopped.value)
    assert stopped.value.exit_code == 2
    assert "3 trials in a row could not store their files" in message, message
    assert "No space left on device" in message and "add --resume --name full" in message

    trials = autonn.load_search("full", run.storage).trials
    seen = [(t.number, t.state, t.attrs.get("fail_reason")) for t in trials]
    assert "RUNNING" not in {t.state for t in trials}, seen
    uploads = [t for t in trials if (t.attrs.get("fail_reason") or "").startswith(UPLOAD_FAILED)]
    assert len(uploads) == 3 and trials[0].state == "COMPLETE", seen
    assert all("No space left on device" in t.attrs["fail_reason"] for t in uploads), seen
    for t in uploads:  # no half-written trial folder left behind
        assert not (small_disk / "full" / f"trial_{t.number:05d}").exists()

    filler[0].unlink()  # space again: the search resumes to its exact count
    result = autonn.search(config, run, resume=True)
    counted = [t for t in result.trials if t.attrs.get("fail_reason") != INTERRUPTED]
    assert len(counted) == 10
    assert [t.state for t in counted].count("COMPLETE") == 10 - 3


@pytest.mark.integration
def test_sigterm_then_sigkill_as_kubernetes_does_stores_what_finished_and_resumes_exactly(
    tmp_path,
):
    db = tmp_path / "p.db"
    command = [sys.executable, "-m", "autonn.cli", "search", "mlp", "--data", "digits",
               "--name", "preempted", "--trials", "200", "--max-epochs", "20",
               "--storage", f"sqlite:///{db}", "--artifacts", str(tmp_path / "art")]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 180
        while not {"COMPLETE", "PRUNED", "FAIL"} & set(_states(db)):
            assert proc.poll() is None and time.monotonic() < deadline, "no trial finished"
            time.sleep(0.2)
        started = psutil.Process(proc.pid).children(recursive=True)  # Ray, workers, the reaper
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=10)  # then SIGKILL, as Kubernetes does
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    finally:
        proc.kill()
    assert proc.returncode == 143, (proc.returncode, err[-3000:])
    last = err.strip().splitlines()[-1]
    assert last.startswith("autonn: search 'preempted' stopped by SIGTERM after ")
    assert "add --resume --name preempted" in last and "Traceback" not in err
    _, alive = psutil.wait_procs(started, timeout=30)  # the reaper stops the driver's Ray
    assert not alive, alive

    storage = f"sqlite:///{db}"
    trials = optuna.load_study(study_name="preempted", storage=storage).trials
    assert trials and "RUNNING" not in {t.state.name for t in trials}
    done = len([t for t in trials if t.user_attrs.get("fail_reason") != INTERRUPTED])
    config = autonn.SearchConfig(space="mlp", data="digits", name="preempted", trials=done + 2,
                                 max_epochs=20)  # fmt: skip
    run = autonn.RunConfig(storage=storage, artifacts=str(tmp_path / "art"))
    result = autonn.search(config, run, resume=True)
    counted = [t for t in result.trials if t.attrs.get("fail_reason") != INTERRUPTED]
    assert len(counted) == done + 2 and "RUNNING" not in {t.state for t in result.trials}


@pytest.mark.integration
def test_a_stopped_worker_on_another_node_is_killed_by_a_task_pinned_there_and_no_other_process():
    """The path kill_worker takes for a node other than the driver's, run here on this node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from autonn.tune._ray import connect
    from autonn.tune._watchdog import kill_there

    connect(autonn.RunConfig())  # the module's Ray, started as a search starts it

    @ray.remote(num_cpus=0)
    class Worker:
        def pid(self) -> int:
            return os.getpid()

    worker = Worker.remote()
    pid = ray.get(worker.pid.remote())
    os.kill(pid, signal.SIGSTOP)
    other = subprocess.Popen(["sleep", "60"])  # not a Ray worker: left alone
    pinned = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    try:
        kill = kill_there.options(scheduling_strategy=pinned)
        assert ray.get(kill.remote(pid), timeout=120) == "killed"
        assert ray.get(kill.remote(other.pid), timeout=120).startswith("gone (its pid now")
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid) and other.poll() is None
    finally:
        other.kill()
