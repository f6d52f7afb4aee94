import json
import re
import subprocess
import sys

import pytest

import autonn
from autonn.cli import main
from autonn.cli._parser import build_parser


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
    code = (
        "import sys; from autonn.cli._parser import build_parser; build_parser(); "
        "print('torch' in sys.modules or 'ray' in sys.modules or 'optuna' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "nosuch", "--data", "digits"], "unknown search space 'nosuch'"),
        (["search", "mlp", "--data", "nosuch.npz"], "does not exist"),
        (["search", "mlp", "--data", "digits", "--trials", "0"], "--trials must be at least 1"),
        (["search", "mlp", "--data", "digits", "--objectives", "size_bytes"], "one metric of"),
        (["search", "mlp", "--data", "digits", "--limit", "ram<64KB"], "--limit 'ram<64KB'"),
        (["search", "mlp", "--data", "digits", "--device", "uno"], "--device 'uno'"),
        (["search", "mlp", "--data", "digits", "--resume", "--name", "x"], "no database at"),
        (["search", "mlp", "--data", "digits", "--storage", "x.db"], "not a database URL"),
        (["search", "mlp", "--data", "digits", "--teacher", "nope"], "give SEARCH:TRIAL"),
        (["search", "mlp", "--data", "digits", "--init-from", "."], "has no model.pt2"),
        (["search", "mlp", "--data", "digits", "--warm-start", "x"], "no database at"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert err.startswith("autonn: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_resuming_a_search_that_is_not_there_fails_before_ray_starts(capsys, tmp_path):
    import shutil
    import time
    from pathlib import Path

    db = tmp_path / "legacy.db"  # holds the search old-wine
    shutil.copy(Path(__file__).parents[1] / "store" / "legacy_0.2" / "legacy.db", db)
    started = time.perf_counter()
    code, _, err = _run(
        capsys, "search", "mlp", "--data", "wine", "--resume", "--name", "old-win",
        "--storage", f"sqlite:///{db}",
    )  # fmt: skip
    assert code == 2 and "no search named 'old-win'" in err and "did you mean old-wine?" in err
    assert "ray" not in sys.modules or time.perf_counter() - started < 10


def test_a_mistyped_option_gets_did_you_mean_and_the_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["search", "mlp", "--data", "digits", "--trails", "3"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("usage: autonn search") and "--trails -> --trials" in err


def test_a_bug_keeps_its_traceback_and_says_it_is_one(capsys, monkeypatch):
    """Only autonn's own errors are the user's mistake; a ValueError from inside is a bug."""
    import autonn.cli._commands as commands

    def broken(args):
        raise ValueError("an internal slip")

    monkeypatch.setattr(commands, "studies", broken)  # the parser looks it up when it is built
    code, _, err = _run(capsys, "studies")
    assert code == 1 and "Traceback" in err and "an internal slip" in err
    assert "this is a bug in autonn" in err


def test_reading_a_missing_database_creates_nothing(capsys, tmp_path):
    db = tmp_path / "none.db"
    code, _, err = _run(capsys, "show", "x", "--storage", f"sqlite:///{db}")
    assert code == 2 and "no database at" in err
    assert not db.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "search", "nosuch", "--data", "digits"],
        ["search", "nosuch", "--data", "digits", "--debug"],  # where the README puts it
    ],
)
def test_debug_shows_the_traceback_before_or_after_the_subcommand(tmp_path, argv):
    result = subprocess.run(
        [sys.executable, "-m", "autonn.cli", *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode != 0 and "Traceback" in result.stderr
    assert "unknown search space 'nosuch'" in result.stderr


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        (["show", "x"], False),
        (["--debug", "show", "x"], True),
        (["show", "x", "--debug"], True),
        (["--debug", "show", "--debug", "x"], True),
    ],
)
def test_debug_is_read_in_either_place(argv, debug):
    assert build_parser().parse_args(argv).debug is debug


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"autonn {autonn.__version__}"


@pytest.mark.parametrize(
    ("command", "defaults"),
    [
        (
            "search",
            {
                "--sampler": "tpe",
                "--seed": "0",
                "--objectives": "accuracy,size_bytes; rmse,size_bytes for regression",
                "--task": "classification",
                "--cpus-per-trial": "1",
                "--gpus-per-trial": "0",
                "--max-epochs": "20",
            },
        ),
        ("dashboard", {"--port": "8501", "--host": "127.0.0.1"}),
        ("export", {"--pick": "best", "--storage": "sqlite:///autonn.db"}),
    ],
)
def test_help_shows_the_defaults(capsys, monkeypatch, command, defaults):
    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at $COLUMNS: no wrapped help text
    with pytest.raises(SystemExit):
        main([command, "--help"])
    entries = re.split(r"\n  (?=-)", capsys.readouterr().out)  # one per option, help included
    for option, default in defaults.items():
        (entry,) = [e for e in entries if e.startswith(option + " ")]
        assert " ".join(entry.split()).endswith(f"(default: {default})"), entry


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


@pytest.mark.integration
def test_export_suggests_the_input_file_to_predict_on(capsys, digits_search, tmp_path):
    out = tmp_path / "pkg"
    code, stdout, _ = _run(
        capsys, "export", "digits-test", "--storage", digits_search.storage, "--out", str(out)
    )
    assert code == 0
    assert f"next: autonn predict {out} inputs.npz" in stdout  # inputs.csv after a .csv search
    assert "predict.py" in stdout  # listed with its sha256 among the package's files
