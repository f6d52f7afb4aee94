"""A wrong Ray address or an unreachable database: one line, exit code 2, nothing written.

The subprocess timeouts only guard against a hang (the bug was a 14-minute one); how fast the
answer comes is the business of the check's own timeouts, not of these tests.
"""

import socket
import subprocess
import sys

import pytest

from autonn.errors import UsageError
from autonn.tune._ray import gcs_endpoint

pytestmark = pytest.mark.integration


def _search(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autonn.cli", "search", "mlp", "--data", "wine", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )  # fmt: skip


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("autonn: error:")]
    return line


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket closes


def test_an_unreachable_ray_address(tmp_path):
    port = _closed_port()
    line = _one_error_line(_search("--address", f"127.0.0.1:{port}", cwd=tmp_path))
    assert f"cannot reach a Ray cluster at 127.0.0.1:{port}" in line and "drop --address" in line
    assert list(tmp_path.iterdir()) == []  # no database, no artifacts


def test_a_database_server_that_never_answers(tmp_path):
    with socket.socket() as silent:  # accepts connections, never speaks PostgreSQL
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://u:secret@127.0.0.1:{silent.getsockname()[1]}/db"
        line = _one_error_line(_search("--storage", url, cwd=tmp_path))
    assert "cannot open database" in line and "timeout" in line
    assert "secret" not in line  # the password is not shown


@pytest.mark.parametrize(
    "address, expected",
    [("auto", (None, 0)), ("10.0.0.5:6380", ("10.0.0.5", 6380)),
     ("ray://head:10001", ("head", 10001)), ("head", ("head", 6379)), ("[::1]:7", ("::1", 7))],
)  # fmt: skip
def test_gcs_endpoint(address, expected):
    assert gcs_endpoint(address) == expected


def test_an_address_with_a_bad_port():
    with pytest.raises(UsageError, match="is not host:port"):
        gcs_endpoint("head:port")
