"""`dashboard.serve`: the command it runs, where the page finds the database, and that stopping
`autonn dashboard` stops its Streamlit server."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import autonn.dashboard as dashboard
from autonn.dashboard.exporting import zip_folder


def test_serve_runs_streamlit_on_the_app_with_the_storage(monkeypatch):
    seen = {}

    class Proc:
        def __init__(self, cmd, env, preexec_fn):
            seen.update(cmd=cmd, env=env)

        def wait(self):
            return 3

    monkeypatch.setattr(subprocess, "Popen", Proc)
    assert dashboard.serve("sqlite:///x.db", host="0.0.0.0", port=9999, no_auth=True) == 3
    cmd = seen["cmd"]
    assert cmd[1:4] == [str(dashboard.SERVER), "run", str(dashboard.APP)]
    flags = dict(zip(cmd[4::2], cmd[5::2], strict=False))
    assert flags["--server.address"] == "0.0.0.0" and flags["--server.port"] == "9999"
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert cmd[-3:] == ["--", "--storage", "sqlite:///x.db"]
    assert seen["env"][dashboard.STORAGE_ENV] == "sqlite:///x.db"


def test_a_password_never_goes_on_the_command_line():
    url = "postgresql://me:secret@db.example/autonn"
    assert not any("secret" in part for part in dashboard.command(url))


def test_the_page_reads_argv_then_the_environment_then_the_default():
    env = {dashboard.STORAGE_ENV: "sqlite:///env.db"}
    assert dashboard.storage_from(["--storage", "sqlite:///argv.db"], env) == "sqlite:///argv.db"
    assert dashboard.storage_from(["-q", "tests/"], env) == "sqlite:///env.db"
    assert dashboard.storage_from([], {}) == "sqlite:///autonn.db"


def test_zip_folder_keeps_every_file_under_one_root(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "model.onnx").write_bytes(b"onnx")
    (tmp_path / "pkg" / "sub" / "card.json").write_text("{}")
    data, files = zip_folder(tmp_path / "pkg", root="search-trial3")
    assert files == ["model.onnx", "sub/card.json"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["search-trial3/model.onnx", "search-trial3/sub/card.json"]
    assert archive.read("search-trial3/model.onnx") == b"onnx"


# --- a real `autonn dashboard`, stopped as a service manager or a shell would stop it -----------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (read from /proc: no psutil needed)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_autonn_dashboard_stops_its_streamlit_server(empty_db, tmp_path, signum):
    port = free_port()
    log = tmp_path / "dashboard.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autonn.cli", "dashboard", "--port", str(port)]
            + ["--storage", empty_db],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served_by: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"no answer in 60 s:\n{log.read_text()}"
                time.sleep(0.2)
        served_by = children(proc.pid)
        assert served_by, "autonn dashboard serves through a child process"
        os.kill(proc.pid, signum)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while (listening(port) or any(map(alive, served_by))) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not listening(port), f"port {port} still served after {signum!r}"
        assert not [p for p in served_by if alive(p)], f"streamlit outlived {signum!r}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in served_by + children(proc.pid):  # an orphan no longer has proc as parent
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_warm_reads_the_latest_search_before_anyone_opens_the_page(tmp_path):
    from autonn.dashboard import reads
    from tests.dashboard.synthetic import write_search

    storage = f"sqlite:///{tmp_path}/warm.db"  # its own file: the caches live for the process
    write_search(storage, "older", trials=3, seed=1)
    write_search(storage, "latest", trials=6, seed=2)
    reads.warm(storage)
    assert reads.live_search(storage, "latest").version == 1  # read by warm, not by this call
    assert reads.live_search(storage, "older").version == 0  # only the one the page opens
    live, search, df = reads.load(storage, "latest")
    assert live.fetched == 0 and len(df) == len(search.trials) == 6  # nothing read twice


def test_warm_never_raises_on_a_bad_database(tmp_path):
    from autonn.dashboard import reads

    reads.warm(f"sqlite:///{tmp_path}/missing.db")  # the page says what is wrong, not the warm-up
    reads.warm("not a url")
    assert not (tmp_path / "missing.db").exists()
