"""From a real search, through export, to reload and predict (the shared `digits_search`)."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort
import optuna
import pytest

import autonn
from autonn.errors import StoreError, UsageError
from autonn.measure import onnx_accuracy, quantize_onnx
from autonn.package import VerificationFailed, export, load

pytestmark = pytest.mark.integration

FILES = {"model.onnx", "model.pt2", "model_card.json", "MODEL_CARD.md", "predict.py"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _card(out: Path) -> dict:
    return json.loads((out / "model_card.json").read_text())


def _nothing_written(folder: Path) -> None:
    """No package, no staging folder, no stray file left next to it."""
    assert not folder.exists() or list(folder.iterdir()) == [], list(folder.iterdir())


@pytest.fixture(scope="module")
def digits():
    return autonn.load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def exported(digits_search, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports") / "best"
    return export(digits_search.name, out, storage=digits_search.storage)


@pytest.fixture(scope="module")
def exported_fp32(digits_search, fp32_trial, tmp_path_factory):
    """The unpruned fp32 trial, exported by number: torch and ONNX must agree on it."""
    out = tmp_path_factory.mktemp("exports") / "fp32"
    return export(digits_search.name, out, storage=digits_search.storage, trial=fp32_trial.number)


def test_best_accuracy_ships_the_measured_files_with_their_hashes(exported, digits_search, best):
    out = exported.out
    assert exported.trial == best.number
    assert set(os.listdir(out)) == FILES
    assert os.listdir(out.parent) == ["best"]  # no staging folder left beside it
    source = Path(best.attrs["artifacts"])
    assert filecmp.cmp(out / "model.onnx", source / "model.onnx", shallow=False)
    assert not (out / "weights.pt").exists()  # model.pt2 was built from it
    card = _card(out)
    hashed = {name: f["sha256"] for name, f in card["files"].items()}
    assert set(hashed) == FILES - {"model_card.json"}
    assert hashed == {name: _sha(out / name) for name in hashed}
    assert exported.files == {name: _sha(out / name) for name in FILES}
    assert f"`{hashed['model.onnx']}`" in (out / "MODEL_CARD.md").read_text()


def test_card_says_what_the_model_is(exported, best, digits):
    card = _card(exported.out)
    assert card["search"]["name"] == "digits-test" and card["trial"]["number"] == best.number
    assert card["trial"]["params"] == best.params
    assert card["dataset"]["name"] == "digits"
    pre = card["preprocessing"]
    assert pre["input_shape"] == [1, 8, 8]
    assert pre["classes"] == [str(i) for i in range(10)] and pre["class_values"] == list(range(10))
    np.testing.assert_array_equal(np.array(pre["mean"], np.float32), digits.mean)
    np.testing.assert_array_equal(np.array(pre["std"], np.float32), digits.std)
    m = card["metrics"]
    assert m["val_accuracy"] == best.accuracy
    assert m["test_accuracy"] == best.test_accuracy
    assert m["size_bytes"] == (exported.out / "model.onnx").stat().st_size == best.size_bytes
    assert m["latency_ms"] == best.attrs["latency_ms"]
    assert card["compression"] == best.attrs["compression"]
    assert set(card["versions"]) >= {"autonn", "torch", "onnx", "onnxruntime"}
    md = (exported.out / "MODEL_CARD.md").read_text()
    assert f"trial {best.number}" in md and "standardisation" in md and "onnxruntime" in md


def test_export_verified_accuracy_and_torch_agreement(exported_fp32, fp32_trial):
    exported = exported_fp32
    assert exported.trial == fp32_trial.number
    assert exported.stored_test_accuracy == fp32_trial.test_accuracy
    assert abs(exported.test_accuracy - fp32_trial.test_accuracy) <= 0.005
    assert exported.max_abs_diff is not None and exported.max_abs_diff <= 1e-4
    check = _card(exported.out)["verification"]
    assert check["test_accuracy"] == exported.test_accuracy
    assert check["pt2_vs_onnx"]["atol"] == 1e-4 and check["pt2_vs_onnx"]["samples"] > 0


def test_reloaded_onnx_scores_the_stored_test_accuracy(exported, best, digits):
    session = ort.InferenceSession(str(exported.out / "model.onnx"))
    logits = session.run(None, {session.get_inputs()[0].name: digits.x_test})[0]
    assert (logits.argmax(axis=1) == digits.y_test).mean() == pytest.approx(
        best.test_accuracy, abs=0.005
    )


def test_smallest_exports_the_smallest_front_trial(digits_search, tmp_path):
    result = export(
        digits_search.name, tmp_path / "small", storage=digits_search.storage, pick="smallest"
    )
    smallest = min(digits_search.pareto, key=lambda t: (t.size_bytes, -t.accuracy))
    assert result.trial == smallest.number
    assert (tmp_path / "small" / "model.onnx").stat().st_size == smallest.size_bytes
    assert "smallest" in _card(result.out)["trial"]["why"]


def test_predictor_on_raw_inputs(exported, best, digits):
    model = load(exported.out)
    assert model.input_shape == (1, 8, 8) and model.classes.tolist() == list(range(10))
    raw = digits.x_test * digits.std + digits.mean
    labels = model.predict(raw)
    assert labels.shape == (len(raw),) and np.issubdtype(labels.dtype, np.integer)
    assert (labels == digits.y_test).mean() == pytest.approx(best.test_accuracy, abs=0.005)
    p = model.predict_proba(raw[:7])
    assert p.shape == (7, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert (p.argmax(axis=1) == labels[:7]).all()


def test_predictor_takes_scikit_learns_raw_digits(exported):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    model = load(exported.out)
    assert (model.predict(bunch.data) == bunch.target).mean() > 0.85  # flattened rows, raw pixels
    # the images as scikit-learn ships them, (n, 8, 8) without the channel axis: the same labels
    np.testing.assert_array_equal(model.predict(bunch.images), model.predict(bunch.data))


def test_predict_file_npz_and_csv_agree(exported, digits, tmp_path):
    raw = (digits.x_test[:20] * digits.std + digits.mean).reshape(20, 64)
    np.savez(tmp_path / "x.npz", x=raw.reshape(20, 1, 8, 8))
    header = ",".join([f"pixel_{i}" for i in range(64)] + ["label"])
    rows = [
        ",".join(map(repr, map(float, r))) + f",{y}"
        for r, y in zip(raw, digits.y_test[:20], strict=True)
    ]
    (tmp_path / "x.csv").write_text("\n".join([header, *rows]) + "\n")
    model = load(exported.out)
    from_npz = model.predict_file(tmp_path / "x.npz")
    np.testing.assert_array_equal(from_npz, model.predict(raw))
    np.testing.assert_array_equal(model.predict_file(tmp_path / "x.csv"), from_npz)


def test_package_runs_with_plain_onnxruntime_and_torch(exported_fp32, fp32_trial, digits, tmp_path):
    exported = exported_fp32
    raw = digits.x_test * digits.std + digits.mean
    np.savez(tmp_path / "test.npz", x=raw, y=digits.y_test)
    usage = _card(exported.out)["usage"]
    script = textwrap.dedent(
        """
        import json, sys
        sys.modules["autonn"] = None  # any import of autonn now fails
        {usage}
        import torch
        data = np.load({npz!r})
        x, y = data["x"], data["y"]
        accuracy = float((predict(x) == y).mean())
        program = torch.export.load(str(pkg / "model.pt2")).module()
        z = ((x[:5] - mean) / std).astype(np.float32)
        with torch.no_grad():
            pt = np.concatenate([program(torch.from_numpy(z[i : i + 1])).numpy() for i in range(5)])
        ox = session.run(None, {{input_name: z}})[0]
        leaked = sorted(m for m in sys.modules if m.startswith("autonn"))
        assert leaked == ["autonn"] and sys.modules["autonn"] is None, leaked
        print(json.dumps({{"accuracy": accuracy, "diff": float(np.abs(pt - ox).max())}}))
        """
    ).format(usage=usage, npz=str(tmp_path / "test.npz"))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["accuracy"] == pytest.approx(fp32_trial.test_accuracy, abs=0.005)
    assert got["diff"] <= 1e-4


def test_the_cards_inputs_example_runs_with_the_packages_predict_py(exported, tmp_path):
    """MODEL_CARD.md's Inputs section, run as shown: its Python, then its predict.py line."""
    md = (exported.out / "MODEL_CARD.md").read_text()
    section = md.split("## Inputs", 1)[1].split("\n## ", 1)[0]
    (make_inputs,) = re.findall(r"```python\n(.*?)```", section, re.S)
    subprocess.run([sys.executable, "-c", make_inputs], cwd=tmp_path, check=True, timeout=120)
    assert np.load(tmp_path / "inputs.npz")["x"].shape == (5, 8, 8)  # digits.images, no channel
    (commands,) = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert f"autonn predict {exported.out} inputs.npz" in commands
    line = next(c for c in commands.splitlines() if c.startswith("python "))
    argv = shlex.split(line.split("  #")[0])
    done = subprocess.run(
        [sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    model = load(exported.out)
    assert done.stdout == model.predictions_csv(model.read_inputs(tmp_path / "inputs.npz"))
    assert len(done.stdout.splitlines()) == 6


def test_an_empty_existing_folder_is_used(digits_search, tmp_path):
    (tmp_path / "pkg").mkdir()
    export(digits_search.name, tmp_path / "pkg", storage=digits_search.storage)
    assert set(os.listdir(tmp_path / "pkg")) == FILES


def test_quantized_trial_ships_its_quantized_artifact(search_copy, fp32_trial, digits, tmp_path):
    folder = tmp_path / "int8"
    shutil.copytree(fp32_trial.attrs["artifacts"], folder)
    quantize_onnx(folder / "model.onnx", folder / "q.onnx", "int8-dynamic")
    (folder / "q.onnx").replace(folder / "model.onnx")
    size = (folder / "model.onnx").stat().st_size
    test_accuracy = onnx_accuracy(folder / "model.onnx", digits.x_test, digits.y_test)
    number = search_copy.add_trial(
        fp32_trial.number,
        size_bytes=float(size),
        attrs={
            "artifacts": str(folder),
            "size_bytes": size,
            "test_accuracy": test_accuracy,
            "compression": {"prune": 0.0, "finetune_epochs": 0, "quantize": "int8-dynamic"},
        },
    )
    out = tmp_path / "pkg"
    result = export(search_copy.name, out, storage=search_copy.storage, trial=number)
    assert result.trial == number and result.max_abs_diff is None
    assert filecmp.cmp(out / "model.onnx", folder / "model.onnx", shallow=False)
    assert size < fp32_trial.size_bytes / 2
    card = _card(out)
    assert card["compression"]["quantize"] == "int8-dynamic"
    assert "before int8-dynamic quantization" in card["model"]["pt2"]["what"]
    assert card["verification"]["pt2_vs_onnx"]["label_agreement"] > 0.9
    assert "NOT the measured artifact" in (out / "MODEL_CARD.md").read_text()
    assert load(out).predict(digits.x_test[:3] * digits.std + digits.mean).shape == (3,)


def test_the_searched_int8_static_trial_ships_its_own_artifact(digits_search, int8_trial, tmp_path):
    out = tmp_path / "pkg"
    result = export(digits_search.name, out, storage=digits_search.storage, trial=int8_trial.number)
    source = Path(int8_trial.attrs["artifacts"]) / "model.onnx"
    assert filecmp.cmp(out / "model.onnx", source, shallow=False)
    assert (out / "model.onnx").stat().st_size == int8_trial.size_bytes
    assert result.max_abs_diff is None  # int8 and fp32 cannot agree to 1e-4; labels are checked
    assert _card(out)["compression"]["quantize"] == "int8-static"
    assert abs(result.test_accuracy - int8_trial.test_accuracy) <= 0.005


def test_a_channel_pruned_trial_rebuilds_and_torch_agrees(
    digits_search, channel_pruned_trial, tmp_path
):
    trial = channel_pruned_trial
    assert trial.attrs["n_params"] < trial.attrs["n_params_trained"]  # really smaller
    result = export(digits_search.name, tmp_path / "pkg", storage=digits_search.storage,
                    trial=trial.number)  # fmt: skip
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    assert _card(result.out)["compression"]["prune"] == 0.5


# Bad cases: a clear AutonnError, and nothing written.


def test_unknown_search(digits_search, tmp_path):
    with pytest.raises(StoreError, match="no search named 'nope'.*searches there: digits-test"):
        export("nope", tmp_path / "pkg", storage=digits_search.storage)
    _nothing_written(tmp_path)


def test_non_empty_out_is_left_untouched(digits_search, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="pkg exists and is not empty"):
        export(digits_search.name, tmp_path / "pkg", storage=digits_search.storage)
    assert os.listdir(tmp_path / "pkg") == ["keep.txt"]
    assert (tmp_path / "pkg" / "keep.txt").read_text() == "mine"
    assert os.listdir(tmp_path) == ["pkg"]


def test_constraint_nothing_meets_names_the_closest(digits_search, tmp_path):
    smallest = min(digits_search.pareto, key=lambda t: t.size_bytes)
    with pytest.raises(UsageError) as info:
        export(
            digits_search.name,
            tmp_path / "pkg",
            storage=digits_search.storage,
            pick="size_bytes<=10",
        )
    assert str(info.value) == (
        "no COMPLETE trial on the Pareto front meets size_bytes<=10; the closest is trial "
        f"{smallest.number} with size_bytes={smallest.size_bytes:.0f}"
    )
    _nothing_written(tmp_path)


def test_missing_trial_files_say_where_they_were_expected(search_copy, best, tmp_path):
    gone = tmp_path / "elsewhere" / "trial_00099"
    number = search_copy.add_trial(best.number, attrs={"artifacts": str(gone)})
    out = tmp_path / "made" / "for" / "pkg"
    with pytest.raises(StoreError, match=f"not at {gone}.*storage this machine can reach"):
        export(search_copy.name, out, storage=search_copy.storage, trial=number)
    assert not (tmp_path / "made").exists()  # the parent folders made for it are gone too


def test_a_trial_folder_without_the_weights(search_copy, best, tmp_path):
    folder = tmp_path / "partial"
    shutil.copytree(best.attrs["artifacts"], folder)
    (folder / "weights.pt").unlink()
    number = search_copy.add_trial(best.number, attrs={"artifacts": str(folder)})
    with pytest.raises(StoreError, match=f"weights.pt is not at {folder}/weights.pt"):
        export(search_copy.name, tmp_path / "pkg", storage=search_copy.storage, trial=number)
    assert sorted(os.listdir(tmp_path)) == ["db", "partial"]


def test_stored_accuracy_that_the_artifact_does_not_reproduce(search_copy, best, tmp_path):
    wrong = best.test_accuracy - 0.02
    number = search_copy.add_trial(best.number, attrs={"test_accuracy": wrong})
    with pytest.raises(VerificationFailed, match=f"but the search stored {wrong:.4f}"):
        export(search_copy.name, tmp_path / "pkg", storage=search_copy.storage, trial=number)
    assert os.listdir(tmp_path) == ["db"]


def test_a_program_that_differs_from_the_artifact(search_copy, fp32_trial, tmp_path):
    import torch

    folder = tmp_path / "tampered"
    shutil.copytree(fp32_trial.attrs["artifacts"], folder)
    state = torch.load(folder / "weights.pt", weights_only=True)
    next(iter(state.values())).mul_(1.01)
    torch.save(state, folder / "weights.pt")
    number = search_copy.add_trial(fp32_trial.number, attrs={"artifacts": str(folder)})
    with pytest.raises(VerificationFailed, match="model.pt2 and model.onnx disagree"):
        export(search_copy.name, tmp_path / "pkg", storage=search_copy.storage, trial=number)
    assert sorted(os.listdir(tmp_path)) == ["db", "tampered"]


def test_an_artifact_changed_since_it_was_measured(search_copy, best, tmp_path):
    folder = tmp_path / "changed"
    shutil.copytree(best.attrs["artifacts"], folder)
    with (folder / "model.onnx").open("ab") as f:
        f.write(b"\0" * 8)
    number = search_copy.add_trial(best.number, attrs={"artifacts": str(folder)})
    with pytest.raises(VerificationFailed, match="it is not the file the trial measured"):
        export(search_copy.name, tmp_path / "pkg", storage=search_copy.storage, trial=number)
    assert sorted(os.listdir(tmp_path)) == ["changed", "db"]


def test_other_data_cannot_verify(digits_search, tmp_path):
    with pytest.raises(VerificationFailed, match="'wine' is not what the search trained on"):
        export(digits_search.name, tmp_path / "pkg", storage=digits_search.storage, data="wine")
    _nothing_written(tmp_path)


def test_a_search_with_no_complete_trial(search_copy, digits_search, tmp_path):
    study = optuna.create_study(
        study_name="stopped", storage=search_copy.storage, directions=["maximize", "minimize"]
    )
    study.set_user_attr("autonn", digits_search.info.config)
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED))
    with pytest.raises(UsageError, match="search 'stopped' has no COMPLETE trial to export"):
        export("stopped", tmp_path / "pkg", storage=search_copy.storage)
    assert os.listdir(tmp_path) == ["db"]
