"""The database goes away mid-search: a real `autonn search` on a real PostgreSQL server that
is stopped and started under it. Afterwards every trial is stored once and none is lost.

The server is one of this module's own (Debian's pg_createcluster, on a free port), not the
shared test server that `pg_url` names: stopping that one would break whatever else runs on it.
`pg_url` still decides whether PostgreSQL tests run here at all (skipped without a server
outside CI, failed in CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import optuna
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import autonn
from autonn.tune._study import INTERRUPTED

TRIALS = 8


def test_the_searcher_holds_what_it_cannot_store_and_closes_it_when_the_database_is_back(
    tmp_path,
):
    """Without a server or Ray: the searcher on a storage that gives up (a fake clock)."""
    from autonn.space import load_space
    from autonn.store._retry import RetryingStorage
    from autonn.tune._outage import DatabaseOutage
    from autonn.tune._protocol import FAILED
    from autonn.tune._searcher import AutonnSearcher
    from tests.store.test_retry import FakeTime, Flaky

    flaky, time_ = Flaky(f"sqlite:///{tmp_path / 'db.sqlite'}"), FakeTime()
    storage = RetryingStorage(flaky, timeout=20, sleep=time_.sleep, clock=time_.clock)
    outage = DatabaseOutage(storage)
    optuna.create_study(storage=storage, study_name="s", directions=["maximize", "minimize"])
    searcher = AutonnSearcher(
        load_space("mlp"),
        objectives=("accuracy", "size_bytes"),
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=storage,
        study_name="s",
        total=2,
    )
    assert searcher.suggest("a") is not None
    flaky.down = True
    searcher.on_trial_complete("a", {FAILED: "boom"})  # waits 20 s (fake), then gives up
    assert outage.tripped and outage.stop_all() and sum(time_.sleeps) == pytest.approx(20)
    assert searcher.suggest("b") is None  # no new trial while stopping
    searcher.fail_unfinished(INTERRUPTED)  # still away: left for --resume, no raise
    assert not searcher.finished
    flaky.down = False
    searcher.fail_unfinished(INTERRUPTED)  # back: the open trial is closed as interrupted
    (trial,) = optuna.load_study(study_name="s", storage=flaky).trials
    assert trial.state.name == "FAIL" and trial.user_attrs["fail_reason"] == INTERRUPTED
    stopped = outage.error("s", 0, 2)
    assert stopped.exit_code == 75 and "once it is back, add --resume --name s" in str(stopped)


class Server:
    """A PostgreSQL cluster of this module's own, which the tests stop and start."""

    def __init__(self, version: str, name: str, port: int) -> None:
        self.version, self.name, self.port = version, name, port
        self.url = f"postgresql://autonn:autonn@127.0.0.1:{port}/outage"

    def ctl(self, action: str) -> None:
        # fast: the server ends its clients' connections at once, as a restart or failover does
        mode = ["-m", "fast"] if action in ("stop", "restart") else []
        subprocess.run(
            ["pg_ctlcluster", *mode, self.version, self.name, action],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "psql", "-q", "-p", str(self.port), "-d",
             database, "-c", sql],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip


def _lacking() -> str | None:
    if os.geteuid() != 0:
        return "stopping a PostgreSQL server needs root"
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} (Debian's postgresql-common) is not installed"
    return None


@pytest.fixture(scope="module")
def server(pg_url) -> Server:
    lacking = _lacking()
    if lacking:
        if os.environ.get("CI"):
            pytest.fail(f"the outage tests need their own PostgreSQL server: {lacking}")
        pytest.skip(lacking)
    version = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    made = Server(version, f"outage{uuid.uuid4().hex[:6]}", port)
    subprocess.run(
        ["pg_createcluster", "-p", str(port), "--start", version, made.name],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        made.psql("CREATE ROLE autonn LOGIN PASSWORD 'autonn'")
        made.psql("CREATE DATABASE outage OWNER autonn")
        yield made
    finally:
        subprocess.run(
            ["pg_dropcluster", "--stop", version, made.name], capture_output=True, timeout=120
        )


class Search:
    """`autonn search` in a process of its own, its stderr collected as it comes."""

    def __init__(self, server: Server, name: str, root: Path, *extra: str) -> None:
        self.name, self.server = name, server
        command = [sys.executable, "-m", "autonn.cli", "search", "mlp", "--data", "wine",
                   "--name", name, "--trials", str(TRIALS), "--max-concurrent", "2",
                   "--max-epochs", "2", "--folds", "0", "--sampler", "random", "--seed", "3",
                   "--storage", server.url, "--artifacts", str(root / "art"), *extra]  # fmt: skip
        self.lines: list[str] = []
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=root)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def said(self, words: str) -> list[str]:
        return [line for line in self.lines if words in line]

    def wait_until(self, what, timeout: float, why: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what():
                return
            assert self.proc.poll() is None, "the search ended first:\n" + "\n".join(self.lines)
            time.sleep(0.5)
        raise AssertionError(f"{why} not within {timeout}s:\n" + "\n".join(self.lines[-30:]))

    def finished(self) -> int:
        """Trials of this search stored as finished, read with a connection of the test's."""
        try:
            engine = create_engine(self.server.url, poolclass=NullPool)
            with engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT count(*) FROM trials JOIN studies USING (study_id) "
                        "WHERE study_name = :n AND state IN ('COMPLETE', 'PRUNED', 'FAIL')"
                    ),
                    {"n": self.name},
                ).scalar()
        except Exception:  # no tables yet
            return 0

    def end(self, timeout: float = 300) -> int:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.proc.kill()
        self._reader.join(timeout=10)
        return self.proc.returncode


def stored(server: Server, name: str) -> list:
    return autonn.load_search(name, server.url).trials


@pytest.mark.integration
def test_a_database_restarted_mid_search_loses_no_trial_and_stores_none_twice(server, tmp_path):
    search = Search(server, f"restart-{uuid.uuid4().hex[:6]}", tmp_path)
    try:
        search.wait_until(lambda: search.finished() >= 2, 300, "two trials stored")
        # Stopped until the driver has met the outage, so that it surely does; then started.
        server.ctl("stop")
        try:
            search.wait_until(lambda: search.said("database unreachable"), 120, "the outage met")
        finally:
            server.ctl("start")
        code = search.end()
    finally:
        search.proc.kill()
    log = "\n".join(search.lines)
    print(log)  # shown with -rP: when the outage was met, and when the database was back
    assert code == 0, log
    assert len(search.said("database unreachable")) == 1, log  # said once, not per retry
    assert "retrying for up to 5m" in search.said("database unreachable")[0]
    assert len(search.said("database reachable again")) == 1, log
    assert "Traceback" not in log
    trials = stored(server, search.name)
    assert [t.number for t in trials] == list(range(TRIALS))  # none lost, none made twice
    assert {t.state for t in trials} <= {"COMPLETE", "PRUNED"}, log
    ray_ids = [t.attrs.get("ray_trial_id") for t in trials]
    assert None not in ray_ids and len(set(ray_ids)) == TRIALS  # each Tune trial stored once


@pytest.mark.integration
def test_a_database_away_past_the_bound_stops_the_search_and_resume_completes_it(server, tmp_path):
    name = f"away-{uuid.uuid4().hex[:6]}"
    search = Search(server, name, tmp_path, "--db-timeout", "20s")
    try:
        search.wait_until(lambda: search.finished() >= 1, 300, "a trial stored")
        server.ctl("stop")
        try:
            search.wait_until(lambda: search.said("database unreachable"), 120, "the outage met")
            met = time.monotonic()
            code = search.end(timeout=120)
            took = time.monotonic() - met
        finally:
            server.ctl("start")
    finally:
        search.proc.kill()
    log = "\n".join(search.lines)
    print(log, f"\nexited {took:.1f}s after the outage was met")  # shown with -rP
    assert code == 75, log
    assert "Traceback" not in log
    last = search.lines[-1]
    assert last.startswith(f"autonn: search '{name}' stopped after "), log
    assert "unreachable for longer than --db-timeout 20s" in last
    assert f"once it is back, add --resume --name {name}" in last
    assert took < 20 + 60, log  # gave up at the bound, then stopped as after Ctrl-C

    # The driver could not release the search (the database was away), and its lease is still
    # fresh for a minute: the resume takes it over, as a person told so by the resume would.
    again = Search(server, name, tmp_path, "--db-timeout", "20s", "--resume", "--force")
    code = again.end()
    log = "\n".join(again.lines)
    assert code == 0, log
    trials = stored(server, name)
    assert not [t for t in trials if t.state == "RUNNING"], log
    counted = [t for t in trials if t.attrs.get("fail_reason") != INTERRUPTED]
    assert len(counted) == TRIALS, log  # the exact count: interrupted ones were run again
    ray_ids = [t.attrs.get("ray_trial_id") for t in counted]
    assert None not in ray_ids and len(set(ray_ids)) == TRIALS
