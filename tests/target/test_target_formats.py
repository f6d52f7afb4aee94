"""Every target exports the mlp and a small cnn in every format it offers, and its runtime's
outputs agree with torch's: tightly for fp32, loosely for fp16, by the winning class for int8.
litert and tflm convert with litert-torch (1-3 s each), so those cases are integration tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autonn.target import get_target, io_quantization, operators
from tests.target.conftest import FORMATS, MODELS, target_or_skip

CASES = [
    pytest.param(
        target,
        fmt,
        model,
        marks=[pytest.mark.integration] if target != "onnx" else [],
        id=f"{target}-{fmt}-{model}",
    )
    for target, formats in FORMATS.items()
    for fmt in formats
    for model in MODELS
]


@pytest.mark.parametrize("target_name, fmt, model", CASES)
def test_the_runtime_scores_the_artifact_like_torch(
    target_name, fmt, model, models, inputs, exported
):
    target = target_or_skip(target_name)
    path = exported(target_name, fmt, model)
    x = inputs[model]
    with torch.no_grad():
        expected = models[model](torch.from_numpy(x)).numpy()
    got = target.logits(path, x)
    assert got.dtype == np.float32 and got.shape == expected.shape
    scale = float(np.abs(expected).max())
    if fmt == "fp32":
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)
    elif fmt == "fp16":
        np.testing.assert_allclose(got, expected, rtol=1e-2, atol=1e-2 * scale)
    else:
        agree = float((got.argmax(axis=1) == expected.argmax(axis=1)).mean())
        assert agree >= 0.9, f"{target_name} {fmt} {model}: argmax agrees on {agree:.1%}"
        assert np.abs(got - expected).max() < 0.1 * scale
    assert path.name == target.artifact
    assert target.flash_bytes(path) == path.stat().st_size
    assert target.ram_bytes(path, MODELS[model][1]) > 0
    assert 0 < target.latency_ms(path, MODELS[model][1]) < 100


@pytest.mark.integration
@pytest.mark.parametrize("target_name", ["litert", "tflm"])
def test_int8_static_tflite_takes_and_gives_int8(target_name, exported):
    target_or_skip(target_name)
    formats = io_quantization(exported(target_name, "int8-static", "cnn"))
    for side in ("input", "output"):
        assert formats[side]["dtype"] == "int8"
        assert formats[side]["scale"] > 0 and -128 <= formats[side]["zero_point"] <= 127
    assert formats["input"]["shape"] == (1, 1, 8, 8) and formats["output"]["shape"] == (1, 10)
    fp32 = io_quantization(exported(target_name, "fp32", "cnn"))
    assert fp32["input"]["dtype"] == "float32" and fp32["input"]["scale"] is None


@pytest.mark.integration
def test_litert_formats_store_what_they_say(exported):
    """fp16: float16 weights dequantized to float32 when the interpreter prepares; int8-dynamic:
    int8 weights with float32 activations in and out. Both well below the fp32 file."""
    target_or_skip("litert")
    fp32, fp16, dynamic = (exported("litert", f, "cnn") for f in ("fp32", "fp16", "int8-dynamic"))
    assert "DEQUANTIZE" in operators(fp16) and "DEQUANTIZE" not in operators(fp32)
    assert io_quantization(dynamic)["input"]["dtype"] == "float32"
    assert "QUANTIZE" not in operators(dynamic)
    assert fp16.stat().st_size < 0.7 * fp32.stat().st_size
    assert dynamic.stat().st_size < 0.55 * fp32.stat().st_size


@pytest.mark.integration
def test_operators_are_what_a_tflm_build_must_register(exported):
    target_or_skip("tflm")
    assert operators(exported("tflm", "fp32", "mlp")) == ["FULLY_CONNECTED"]
    cnn = operators(exported("tflm", "int8-static", "cnn"))
    assert cnn == sorted(cnn) and {"CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D"} <= set(cnn)


@pytest.mark.integration
def test_the_tflm_file_is_stripped_and_aligned_for_flash(exported):
    """No tensor names or signatures (TFLite Micro reads neither), and every weight buffer at a
    16-byte offset, so the array c_array writes with alignas(16) has them aligned on the device;
    and smaller than litert's file of the same model."""
    target_or_skip("tflm")
    from ai_edge_litert.schema_py_generated import Model

    for fmt in FORMATS["tflm"]:
        path = exported("tflm", fmt, "cnn")
        blob = np.frombuffer(path.read_bytes(), dtype=np.uint8)
        model = Model.GetRootAs(blob, 0)
        graph = model.Subgraphs(0)
        assert all(not graph.Tensors(i).Name() for i in range(graph.TensorsLength()))
        assert model.SignatureDefsLength() == 0
        offsets = [
            model.Buffers(i).DataAsNumpy().ctypes.data - blob.ctypes.data
            for i in range(model.BuffersLength())
            if model.Buffers(i).DataLength() > 0
        ]
        assert offsets and all(offset % 16 == 0 for offset in offsets)
        assert path.stat().st_size < exported("litert", fmt, "cnn").stat().st_size


def test_export_leaves_the_model_as_it_came(models, tmp_path):
    model = models["mlp"].train()
    try:
        get_target("onnx").export(model, (64,), "fp32", tmp_path / "model.onnx")
        assert model.training
    finally:
        model.eval()
