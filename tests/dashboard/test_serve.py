"""`dashboard.serve`: the command it runs and where the page finds the database."""

from __future__ import annotations

import io
import subprocess
import zipfile

import dashboard
from dashboard.exporting import zip_folder


def test_serve_runs_streamlit_on_the_app_with_the_storage(monkeypatch):
    seen = {}

    def call(cmd, env):
        seen.update(cmd=cmd, env=env)
        return 3

    monkeypatch.setattr(subprocess, "call", call)
    assert dashboard.serve("sqlite:///x.db", host="0.0.0.0", port=9999) == 3
    cmd = seen["cmd"]
    assert cmd[1:5] == ["-m", "streamlit", "run", str(dashboard.APP)]
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=False))
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
