"""Choosing a target: names, the formats each offers, what is missing and how to install it, and
a format a target does not offer (milliseconds; no conversion runs)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from torch import nn

from autonn.errors import MissingDependency, TrialFailed, UsageError
from autonn.space import QUANTIZATIONS
from autonn.target import TARGETS, get_target
from tests.target.conftest import FORMATS, PACKAGES, target_or_skip


def test_the_three_targets_and_what_each_offers():
    assert TARGETS == ("onnx", "litert", "tflm")
    artifacts = {"onnx": "model.onnx", "litert": "model.tflite", "tflm": "model.tflite"}
    runtimes = {"onnx": "onnxruntime", "litert": "LiteRT", "tflm": "TFLite Micro"}
    for name in TARGETS:
        target = target_or_skip(name)
        assert (target.name, target.artifact, target.runtime) == (
            name,
            artifacts[name],
            runtimes[name],
        )
        assert target.formats == FORMATS[name]
        assert set(target.formats) <= set(QUANTIZATIONS)
    assert get_target("onnx").formats == QUANTIZATIONS  # what every search did before targets


def test_an_unknown_target_is_a_usage_error_naming_the_choices():
    with pytest.raises(UsageError) as caught:
        get_target("nosuch")
    message = str(caught.value)
    assert "\n" not in message
    assert "'nosuch'" in message and "onnx, litert, tflm" in message


@pytest.mark.parametrize(
    "target, missing",
    [(name, module) for name in ("litert", "tflm") for module in PACKAGES[name]],
)
def test_a_device_target_without_its_package_says_how_to_install_it(target, missing, monkeypatch):
    # None in sys.modules is how Python marks a module as absent: importing it fails.
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(MissingDependency) as caught:
        get_target(target)
    message = str(caught.value)
    assert "\n" not in message
    assert "pip install 'autonn[edge]'" in message
    assert missing.replace("_", "-") in message


@pytest.mark.parametrize("target, fmt", [("tflm", "fp16"), ("tflm", "int8-dynamic")])
def test_a_format_the_target_does_not_offer_fails_the_trial_in_one_line(target, fmt, tmp_path):
    chosen = target_or_skip(target)
    model = nn.Sequential(nn.Linear(4, 2))
    with pytest.raises(TrialFailed) as caught:
        chosen.export(model, (4,), fmt, tmp_path / chosen.artifact)
    assert str(caught.value) == f"target tflm offers fp32, int8-static, not {fmt}"
    assert not (tmp_path / chosen.artifact).exists()


def test_onnx_rejects_a_format_that_does_not_exist(tmp_path):
    with pytest.raises(TrialFailed) as caught:
        get_target("onnx").export(nn.Linear(4, 2), (4,), "int4", tmp_path / "model.onnx")
    assert str(caught.value) == "target onnx offers fp32, fp16, int8-dynamic, int8-static, not int4"


def test_importing_the_package_loads_no_toolchain():
    """`autonn --help` and a search's driver import autonn.target; the toolchains (litert-torch
    alone takes seconds) load only when a target is used."""
    heavy = ("torch", "numpy", "onnx", "onnxruntime", "litert_torch", "tflite_micro")
    code = f"import sys, autonn.target; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
