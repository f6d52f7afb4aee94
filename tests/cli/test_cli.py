import json
import subprocess
import sys

import pytest

from autonn.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_explains_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "autonn.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("search", "studies", "show"):
        assert command in out


def test_help_does_not_import_torch_or_ray():
    code = "import sys; from autonn.cli import _parser; _parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "nosuch", "--data", "digits"], "unknown search space 'nosuch'"),
        (["search", "mlp", "--data", "nosuch.npz"], "does not exist"),
        (["search", "mlp", "--data", "digits", "--trials", "0"], "trials >= 1"),
        (["search", "mlp", "--data", "digits", "--objectives", "size_bytes"], "'accuracy'"),
        (["search", "mlp", "--data", "digits", "--storage", "x.db"], "not a database URL"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert err.startswith("autonn: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_reading_a_missing_database_creates_nothing(capsys, tmp_path):
    db = tmp_path / "none.db"
    code, _, err = _run(capsys, "show", "x", "--storage", f"sqlite:///{db}")
    assert code == 2 and "no database at" in err
    assert not db.exists()


def test_debug_shows_the_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "autonn.cli", "--debug", "search", "nosuch", "--data", "digits"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.integration
def test_show_json_lists_the_pareto_front(capsys, digits_search):
    code, out, _ = _run(capsys, "show", "digits-test", "--storage", digits_search.storage, "--json")
    assert code == 0
    front = json.loads(out)
    assert [t["trial"] for t in front] == [t.number for t in digits_search.pareto]
    for t in front:
        assert t["state"] == "COMPLETE"
        assert {"trial", "state", "accuracy", "size_bytes", "params", "test_accuracy"} <= set(t)
        assert isinstance(t["params"], dict) and "lr" in t["params"]


@pytest.mark.integration
def test_studies_counts_trials_by_state(capsys, digits_search):
    code, out, _ = _run(capsys, "studies", "--storage", digits_search.storage)
    counts = digits_search.info.counts
    assert code == 0 and "digits-test" in out
    assert f"digits-test     6 trials  {counts['COMPLETE']} complete" in out
