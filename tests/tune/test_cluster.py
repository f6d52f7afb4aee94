"""On a real cluster: two nodes, token auth, trials that lose their worker process or their node.

The losses are built, not hoped for: the search space below kills exactly one worker process (or
one node's raylet) the first time a trial builds its model there, so which trial dies is the only
thing left to timing, and the assertions do not depend on it.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest

import autonn

pytestmark = pytest.mark.integration

DYING_SPACE = """
import os, signal
from dataclasses import dataclass

import autonn

MARKER = {marker!r}  # exists once one death has happened: every later try trains normally
KILL = {kill!r}  # "process": the trial's worker process; "node": that node's raylet


@dataclass(frozen=True, kw_only=True)
class DiesOnce(autonn.MLP):
    def build(self, input_shape, n_classes):
        if _in_a_trial() and os.environ.get("AUTONN_TEST_DOOMED", "1") == "1" and _first():
            if KILL == "node":
                os.kill(os.getppid(), signal.SIGKILL)  # a worker's parent is its node's raylet
            os.kill(os.getpid(), signal.SIGKILL)
        return super().build(input_shape, n_classes)


def _in_a_trial():
    import ray

    return ray.is_initialized() and ray.get_runtime_context().get_actor_id() is not None


def _first():
    try:
        os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


def space(trial):
    width = trial.suggest_int("width", 8, 32)
    return DiesOnce(hidden=(width,), train=autonn.Training(lr=1e-2))
"""


def _dying_space(tmp_path, kill: str) -> str:
    path = tmp_path / "dying.py"
    path.write_text(DYING_SPACE.format(marker=str(tmp_path / "died"), kill=kill))
    return f"{path}:space"


def _cli(*args: str, env: dict | None = None, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "autonn.cli", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )  # fmt: skip


def _shown(storage: str, name: str) -> list[dict]:
    return json.loads(_cli("show", name, "--storage", storage, "--all", "--json").stdout)


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/a.db"
    return request.getfixturevalue("pg_url")


def _assert_exact_and_one_retry(trials: list, requested: int) -> None:
    assert [t["state"] for t in trials] == ["COMPLETE"] * requested  # nothing lost or open
    retried = [t for t in trials if t["attrs"].get("retries")]
    assert [t["attrs"]["retries"] for t in retried] == [1]  # exactly the trial that died


def test_a_lost_worker_process_is_retried_and_the_count_is_exact(tmp_path, storage):
    name = f"lost-process-{uuid.uuid4().hex[:8]}"  # the PostgreSQL database outlives test runs
    result = autonn.search(
        autonn.SearchConfig(space=_dying_space(tmp_path, "process"), data="wine", name=name,
                            trials=4, max_epochs=2, early_stop=False),
        autonn.RunConfig(storage=storage, artifacts=str(tmp_path / "art"), max_concurrent=2),
    )  # fmt: skip
    assert (tmp_path / "died").exists()  # the death happened
    _assert_exact_and_one_retry([t.to_json() for t in result.trials], 4)


def test_with_no_retries_allowed_the_lost_trial_is_stored_as_fail(tmp_path):
    result = autonn.search(
        autonn.SearchConfig(space=_dying_space(tmp_path, "process"), data="wine", name="x",
                            trials=3, max_epochs=2, early_stop=False),
        autonn.RunConfig(storage=f"sqlite:///{tmp_path}/a.db", artifacts=str(tmp_path / "art"),
                         max_failures=0),
    )  # fmt: skip
    states = sorted(t.state for t in result.trials)
    assert states == ["COMPLETE", "COMPLETE", "FAIL"]
    (failed,) = [t for t in result.trials if t.state == "FAIL"]
    assert "worker process or node died (1 try, --max-failures 0)" in failed.attrs["fail_reason"]


def test_two_nodes_need_the_token_and_each_trial_records_its_node(ray_cluster, tmp_path):
    cluster = ray_cluster()
    storage = f"sqlite:///{tmp_path}/a.db"
    args = (
        "search", "mlp", "--data", "wine", "--name", "two-nodes", "--trials", "4",
        "--max-epochs", "2", "--no-early-stop", "--max-concurrent", "2", "--address",
        cluster.address, "--storage", storage, "--artifacts", str(tmp_path / "art"),
    )  # fmt: skip

    refused = _cli(*args, env={"RAY_AUTH_MODE": "disabled"}, timeout=120)
    assert refused.returncode == 2
    (line,) = [x for x in refused.stderr.splitlines() if x.startswith("autonn: error:")]
    assert "refused this machine's token" in line and "RAY_AUTH_MODE=token" in line
    assert not (tmp_path / "a.db").exists()  # nothing written

    done = _cli(*args, env={"RAY_AUTH_MODE": "token"})
    assert done.returncode == 0, done.stderr[-3000:]
    trials = _shown(storage, "two-nodes")
    assert [t["state"] for t in trials] == ["COMPLETE"] * 4
    # One CPU a node and two trials at once: the first two run one on each node.
    assert len({t["attrs"]["node_id"] for t in trials}) == 2
    assert all(t["attrs"]["node"] for t in trials)  # the hostname, kept beside the node id


def test_a_lost_node_is_retried_on_the_other_and_ray_stays_quiet(ray_cluster, tmp_path, storage):
    # Only the worker node kills itself. Ray's workers take their node's environment, not the
    # driver's, so the head says so itself: a head that killed itself could take the driver
    # down with it (exit code 1, once Ray had marked the driver's node dead).
    cluster = ray_cluster({"AUTONN_TEST_DOOMED": "1"}, head_env={"AUTONN_TEST_DOOMED": "0"})
    name = f"lost-node-{uuid.uuid4().hex[:8]}"
    done = _cli(
        "search", _dying_space(tmp_path, "node"), "--data", "wine", "--name", name,
        "--trials", "4", "--max-epochs", "2", "--no-early-stop", "--max-concurrent", "2",
        "--address", cluster.address, "--storage", storage, "--artifacts", str(tmp_path / "art"),
        env={"RAY_AUTH_MODE": "token", "AUTONN_TEST_DOOMED": "0"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "died").exists()
    _assert_exact_and_one_retry(_shown(storage, name), 4)
    assert "running it again (1 of 2)" in done.stderr
    assert "[state-dump]" not in done.stderr and "Traceback" not in done.stderr, done.stderr


STUDENT_SPACE = """
import autonn

def space(trial):
    width = trial.suggest_int("width", 8, 32)
    return autonn.MLP(hidden=(width,), compress=autonn.Compression(distill_alpha=0.5))
"""


def test_on_two_nodes_students_load_their_teacher_from_the_artifacts_path(
    ray_cluster, digits_search, fp32_trial, tmp_path
):
    teacher = tmp_path / "teacher"
    autonn.export(digits_search.name, teacher, storage=digits_search.storage,
                  trial=fp32_trial.number)  # fmt: skip
    (tmp_path / "students.py").write_text(STUDENT_SPACE)
    cluster = ray_cluster()
    storage, art = f"sqlite:///{tmp_path}/a.db", tmp_path / "art"
    done = _cli(
        "search", f"{tmp_path}/students.py:space", "--data", "digits", "--name", "students",
        "--trials", "2", "--max-epochs", "2", "--no-early-stop", "--max-concurrent", "2",
        "--address", cluster.address, "--storage", storage, "--artifacts", str(art),
        "--teacher", str(teacher), env={"RAY_AUTH_MODE": "token"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    trials = _shown(storage, "students")
    assert [t["state"] for t in trials] == ["COMPLETE"] * 2
    assert len({t["attrs"]["node_id"] for t in trials}) == 2  # one student on each node
    for t in trials:
        assert t["attrs"]["teacher"] == f"package:{teacher}" and t["attrs"]["distilled"]
    # Workers read the teacher from the search's artifacts, not from the package's folder.
    assert (art / "students" / "teacher" / "model.pt2").is_file()
