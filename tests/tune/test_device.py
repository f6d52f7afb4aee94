"""The deployable front, end to end on real Ray: searches for TFLite Micro under a board's limits
and for LiteRT, exports verified in those runtimes, the C array run in TFLite Micro.

The trials are built on purpose (enqueued), so which kinds exist never depends on the sampler or
on timing: one that fits and learns, one over the board's flash, one over the RAM limit, and one
that fits but cannot reach the accuracy limit (SGD at lr 1e-4 for 4 epochs stays far below).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import autonn

pytest.importorskip("litert_torch", reason="the edge extra: pip install 'autonn[edge]'")
pytest.importorskip("tflite_micro", reason="the edge extra: pip install 'autonn[edge]'")

pytestmark = pytest.mark.integration

_CNN = {"blocks": 1, "channels_0": 16, "kernel_size": 3, "pool": "max", "head_width": 32,
        "activation": "relu", "dropout": 0.0, "lr": 3e-3, "batch_size": 32,
        "weight_decay": 1e-5, "optimizer": "adam", "prune": 0.0,
        "augment": False}  # fmt: skip  # no augmentation: training the same on every run
FITS = {**_CNN, "quantize": "int8-static"}  # flash 12.6 KB, arena 3.8 KB
OVER_FLASH = {**_CNN, "blocks": 3, "channels_0": 64, "channels_1": 64, "channels_2": 64,
              "head_width": 128, "quantize": "fp32"}  # fmt: skip  # 339 KB > 192 KB
OVER_RAM = {**_CNN, "channels_0": 8, "head_width": 16, "quantize": "fp32"}  # arena 4.6 KB
WEAK = {**FITS, "lr": 1e-4, "optimizer": "sgd"}
# The README's device example, `--target tflm --device stm32l432 --limit ...`, with a RAM limit
# tight enough that one small model breaks it.
LIMITS = ("ram_bytes<=4KB", "accuracy>=0.9")


@pytest.fixture(scope="module", autouse=True)
def one_ray_for_the_module():
    """The searches here share one local Ray, shut down after the module whichever test ran
    last (the litert test alone would otherwise leave its Ray to the next module)."""
    yield
    import ray

    ray.shutdown()


@pytest.fixture(scope="module")
def tflm_search(tmp_path_factory):
    root = tmp_path_factory.mktemp("tflm")
    config = autonn.SearchConfig(
        space="cnn",
        data="digits",
        name="digits-tflm",
        target="tflm",
        device="stm32l432",  # 64 KB RAM, 256 KB flash; a quarter kept back: 48 KB, 192 KB
        limits=LIMITS,
        trials=4,
        max_epochs=4,
        early_stop=False,
        enqueue=(FITS, OVER_FLASH, OVER_RAM, WEAK),
    )
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/autonn.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    return autonn.search(config, run), root


def _by_params(search, params: dict):
    # The space samples what the enqueued params leave out (its augmentation, say).
    (trial,) = [t for t in search.trials if {k: t.params.get(k) for k in params} == params]
    return trial


def test_trials_over_a_cost_limit_are_not_trained_and_say_what_they_break(tflm_search):
    search, _ = tflm_search
    assert search.info.limits == [
        "ram_bytes<=4096",
        "accuracy>=0.9",
        "ram_bytes<=49152",
        "flash_bytes<=196608",
    ]
    over_flash, over_ram = _by_params(search, OVER_FLASH), _by_params(search, OVER_RAM)
    for trial, limit in ((over_flash, "flash_bytes<=196608"), (over_ram, "ram_bytes<=4096")):
        assert trial.state == "PRUNED" and trial.attrs["epochs"] == 0  # never trained
        assert trial.broken_limits[limit] > 0
        assert "curve" not in trial.attrs and "artifacts" not in trial.attrs
    assert over_flash.attrs["flash_bytes"] > 196608 and over_ram.attrs["ram_bytes"] > 4096
    assert list(over_ram.broken_limits) == ["ram_bytes<=4096"]  # its flash fits


def test_the_front_holds_only_trials_within_every_limit(tflm_search):
    search, _ = tflm_search
    fits, weak = _by_params(search, FITS), _by_params(search, WEAK)
    assert weak.state == "COMPLETE" and list(weak.broken_limits) == ["accuracy>=0.9"]
    assert fits.state == "COMPLETE" and not fits.broken_limits
    assert [t.number for t in search.pareto] == [fits.number]
    for trial in search.pareto:
        assert trial.score >= 0.9
        assert trial.attrs["ram_bytes"] <= 4096 and trial.attrs["flash_bytes"] <= 196608
        assert trial.attrs["target"] == "tflm"


def test_the_front_exports_as_a_c_array_that_runs_in_tflite_micro_within_the_board(tflm_search):
    from tflite_micro.python.tflite_micro import runtime

    search, root = tflm_search
    (trial,) = search.pareto
    out = root / "export"
    result = autonn.export(search.name, out, storage=search.storage)
    assert result.trial == trial.number
    assert abs(result.test_score - trial.test_score) <= 0.005  # verified in TFLite Micro
    blob = (out / "model.tflite").read_bytes()
    assert len(blob) == trial.attrs["flash_bytes"] <= 196608
    assert _c_array_bytes(out / "model_data.cc") == blob
    assert "alignas(16)" in (out / "model_data.cc").read_text()
    card = autonn.load(out).card["target"]
    assert card["arena_bytes"] == trial.attrs["ram_bytes"] <= 4096
    assert "FULLY_CONNECTED" in card["operators"] and card["io"]["input"]["dtype"] == "int8"
    # The C array's bytes, in TFLite Micro, with the board's RAM limit as the arena.
    sample = np.zeros((1, 1, 8, 8), dtype=np.int8)
    interpreter = runtime.Interpreter.from_bytes(blob, arena_size=4096)
    interpreter.set_input(sample, 0)
    interpreter.invoke()
    assert interpreter.get_output(0).shape == (1, 10)
    assert "tensor arena" in (out / "MODEL_CARD.md").read_text()


def test_the_search_shows_its_limits_and_what_broke_them(tflm_search):
    import subprocess
    import sys

    search, root = tflm_search
    storage = search.storage
    shown = subprocess.run(
        [sys.executable, "-m", "autonn.cli", "show", search.name, "--storage", storage, "--all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "2 not trained (broke a limit)" in shown.splitlines()[0]
    assert "flash_bytes<=196608(+" in shown and "ram_bytes<=4096(+" in shown
    assert "accuracy>=0.9(+" in shown


def _c_array_bytes(source: Path) -> bytes:
    body = source.read_text().split("{", 1)[1].split("}", 1)[0]
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", body))


def test_a_litert_search_measures_and_exports_in_litert(tmp_path):
    """fp16 and dynamic-range int8, LiteRT's own formats: the trial's metric is measured in
    LiteRT and the package verified there."""
    fp16, dynamic = {**FITS, "quantize": "fp16"}, {**FITS, "quantize": "int8-dynamic"}
    config = autonn.SearchConfig(
        space="cnn",
        data="digits",
        name="digits-litert",
        target="litert",
        floor=0.0,
        trials=2,
        max_epochs=2,
        early_stop=False,
        enqueue=(fp16, dynamic),
    )
    run = autonn.RunConfig(
        storage=f"sqlite:///{tmp_path}/autonn.db", artifacts=str(tmp_path / "artifacts")
    )
    search = autonn.search(config, run)
    assert [t.state for t in search.trials] == ["COMPLETE", "COMPLETE"]
    for trial in search.trials:
        assert trial.attrs["target"] == "litert" and trial.attrs["ram_bytes"] > 0
        out = tmp_path / f"export-{trial.number}"
        result = autonn.export(search.name, out, storage=run.storage, trial=trial.number)
        assert abs(result.test_score - trial.test_score) <= 0.005
        assert (out / "model.tflite").stat().st_size == trial.attrs["size_bytes"]
        assert not (out / "model_data.cc").exists()  # the C array is for TFLite Micro


def test_a_model_the_target_cannot_run_is_refused_before_training_for_the_sampler(tmp_path):
    """The mlp space offers GELU, which TFLite Micro has no kernel for: such a trial is not
    trained and not a bare failure, but infeasible, so TPE learns to leave GELU alone."""
    import json

    from autonn.data import load_dataset
    from autonn.tune._protocol import ATTRS, INFEASIBLE
    from autonn.tune._trainable import TrialPlan, _run

    params = {"depth": 1, "width_0": 16, "activation": "gelu", "dropout": 0.0, "lr": 3e-3,
              "batch_size": 32, "weight_decay": 1e-5, "optimizer": "adam", "prune": 0.0,
              "quantize": "fp32"}  # fmt: skip
    plan = TrialPlan(search="s", space="mlp", seed=0, max_epochs=2, artifacts=str(tmp_path),
                     threads=1, use_gpu=False, report_epochs=(), target="tflm")  # fmt: skip
    result = _run(0, params, load_dataset("wine"), plan, None)
    assert json.loads(result[INFEASIBLE]) == {"tflm runs it": 1.0}
    assert "GELU" in json.loads(result[ATTRS])["unsupported"]
