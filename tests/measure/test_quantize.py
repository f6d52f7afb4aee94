"""Each number format gives a file plain onnxruntime runs, as small and as accurate as stated."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto

from autonn.errors import TrialFailed
from autonn.measure import file_bytes, onnx_accuracy, quantize_onnx
from autonn.space import QUANTIZATIONS

# Largest |logit| difference to torch allowed for fp16 weights, relative to the largest |logit|.
FP16_RTOL = 1e-2
# int8 may cost this much test accuracy (digits, 360 test samples) against the fp32 artifact.
INT8_MAX_DROP = 0.03


def _run_plain(path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = sess.run(["logits"], {"input": x})
    return out


@pytest.mark.parametrize("mode", QUANTIZATIONS)
def test_every_mode_runs_in_plain_onnxruntime(trained, mode, tmp_path):
    data = trained.data
    path = quantize_onnx(trained.onnx_path, tmp_path / f"{mode}.onnx", mode, data.x_train)
    logits = _run_plain(path, data.x_test)
    assert logits.shape == (len(data.x_test), data.n_classes) and logits.dtype == np.float32
    assert np.all(np.isfinite(logits))


def test_fp32_is_a_copy(trained_cnn, tmp_path):
    path = quantize_onnx(trained_cnn.onnx_path, tmp_path / "fp32.onnx", "fp32")
    assert path.read_bytes() == trained_cnn.onnx_path.read_bytes()


def test_fp16_halves_the_file_and_keeps_the_logits(trained, tmp_path):
    path = quantize_onnx(trained.onnx_path, tmp_path / "fp16.onnx", "fp16")
    ratio = file_bytes(path) / file_bytes(trained.onnx_path)
    assert 0.45 < ratio < 0.55, ratio
    stored = {init.data_type for init in onnx.load(str(path)).graph.initializer}
    assert TensorProto.FLOAT not in stored and TensorProto.FLOAT16 in stored
    logits = _run_plain(path, trained.data.x_test)
    scale = np.abs(trained.test_logits).max()
    assert np.abs(logits - trained.test_logits).max() <= FP16_RTOL * scale


@pytest.mark.parametrize("mode", ["int8-dynamic", "int8-static"])
def test_int8_keeps_accuracy(trained, mode, tmp_path):
    data = trained.data
    path = quantize_onnx(trained.onnx_path, tmp_path / f"{mode}.onnx", mode, data.x_train)
    fp32 = onnx_accuracy(trained.onnx_path, data.x_test, data.y_test)
    assert onnx_accuracy(path, data.x_test, data.y_test) >= fp32 - INT8_MAX_DROP


def test_int8_static_makes_a_cnn_small(trained_cnn, tmp_path):
    path = quantize_onnx(
        trained_cnn.onnx_path, tmp_path / "s.onnx", "int8-static", trained_cnn.data.x_train
    )
    assert file_bytes(path) < 0.4 * file_bytes(trained_cnn.onnx_path)
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "QLinearConv" in ops and "Conv" not in ops


def test_int8_dynamic_quantizes_linear_layers_and_leaves_convs(trained, tmp_path):
    path = quantize_onnx(trained.onnx_path, tmp_path / "d.onnx", "int8-dynamic")
    before = {n.op_type for n in onnx.load(str(trained.onnx_path)).graph.node}
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "MatMulInteger" in ops and "Gemm" not in ops
    assert ("Conv" in ops) == ("Conv" in before)
    if "Conv" not in before:  # an MLP is all Linear layers: about a quarter of the fp32 bytes
        assert file_bytes(path) < 0.35 * file_bytes(trained.onnx_path)


def test_calibration_is_capped_and_need_not_match_the_batch(trained_cnn, tmp_path):
    many = np.repeat(trained_cnn.data.x_train, 3, axis=0)  # > MAX_CALIBRATION_SAMPLES, odd batches
    path = quantize_onnx(trained_cnn.onnx_path, tmp_path / "s.onnx", "int8-static", many[:-7])
    assert _run_plain(path, trained_cnn.data.x_test[:3]).shape == (3, 10)


def test_quantizer_failure_is_a_trial_failure(trained_cnn, tmp_path):
    wrong = np.zeros((8, 3, 5), dtype=np.float32)  # not the model's input shape
    with pytest.raises(TrialFailed, match="int8-static quantization failed"):
        quantize_onnx(trained_cnn.onnx_path, tmp_path / "s.onnx", "int8-static", wrong)


def test_an_artifact_onnxruntime_cannot_load_is_a_trial_failure(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(TrialFailed, match="cannot load"):
        quantize_onnx(junk, tmp_path / "out.onnx", "fp32")


def test_bad_arguments_are_value_errors(trained_cnn, tmp_path):
    with pytest.raises(ValueError, match="must be one of"):
        quantize_onnx(trained_cnn.onnx_path, tmp_path / "x.onnx", "int4")
    with pytest.raises(ValueError, match="calibration"):
        quantize_onnx(trained_cnn.onnx_path, tmp_path / "x.onnx", "int8-static")


def test_quantizer_preprocessing_hint_is_not_logged(trained_mlp, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    data = trained_mlp.data
    quantize_onnx(trained_mlp.onnx_path, tmp_path / "s.onnx", "int8-static", data.x_train)
    quantize_onnx(trained_mlp.onnx_path, tmp_path / "d.onnx", "int8-dynamic")
    assert "pre-process" not in caplog.text
    assert not any(isinstance(f, logging.Filter) for f in logging.getLogger().filters)
