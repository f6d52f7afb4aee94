"""A real two-node Ray cluster on this machine, started as a user starts one (`ray start`), with
Ray's token authentication on. Each node has one CPU, so two trials at once run one per node."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest


class Cluster:
    def __init__(self, root: Path, worker_env: dict[str, str], head_env: dict[str, str]) -> None:
        self.root = root  # Ray's temp dir: its address file and sessions stay out of /tmp/ray
        self.env = {**os.environ, "RAY_AUTH_MODE": "token"}
        self._start("--head", f"--port={_free_port()}", "--include-dashboard=false", env=head_env)
        self.address = (root / "ray_current_cluster").read_text().strip()
        self._start(f"--address={self.address}", env=worker_env)

    def _start(self, *args: str, env: dict[str, str] | None = None) -> None:
        ray = Path(sys.executable).with_name("ray")  # the script pip installed beside python
        subprocess.run(
            # Both nodes on loopback: the cluster's traffic never leaves this machine.
            [str(ray), "start", *args, f"--temp-dir={self.root}", "--num-cpus=1",
             "--node-ip-address=127.0.0.1", "--disable-usage-stats"],
            env={**self.env, **(env or {})}, check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def processes(self) -> set[psutil.Process]:
        """Every process of this cluster: those naming its temp dir, and all they started."""
        found = set()
        for p in psutil.process_iter(["cmdline"]):
            if any(str(self.root) in arg for arg in p.info["cmdline"] or ()):
                found.add(p)
                try:
                    found.update(p.children(recursive=True))
                except psutil.Error:
                    pass
        return found

    def stop(self) -> None:
        # Not `ray stop`: that stops every Ray on the machine, this session's local one too.
        processes = self.processes()
        for p in processes:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(processes, timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_cluster():
    """Start a head and one worker node; `ray_cluster(worker_env, head_env)` returns the Cluster.

    A node's workers see the environment its `ray start` had, never the driver's."""
    started: list[Cluster] = []
    roots: list[str] = []

    def start(
        worker_env: dict[str, str] | None = None, head_env: dict[str, str] | None = None
    ) -> Cluster:
        # Short: the temp dir ends up in Unix socket paths, which may be at most 107 bytes.
        roots.append(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
        started.append(Cluster(Path(roots[-1]), worker_env or {}, head_env or {}))
        return started[-1]

    yield start
    for cluster in started:
        cluster.stop()
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
