"""Mixed precision: what each setting means on a device, and that training really autocasts."""

import pytest
import torch

import autonn
from autonn.data import load_dataset
from autonn.train import seed_everything, train
from autonn.train._precision import MixedPrecision, resolve_precision


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine", seed=0)


def test_auto_is_fp32_on_the_cpu_and_a_chosen_format_is_kept():
    assert resolve_precision("auto", "cpu") == "fp32"
    assert [resolve_precision(p, "cpu") for p in ("fp32", "bf16", "fp16")] == [
        "fp32", "bf16", "fp16"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16, fp16"):
        resolve_precision("fp8", "cpu")


def test_only_fp16_scales_the_loss():
    assert MixedPrecision("fp16", "cpu").scaler.is_enabled()
    assert not MixedPrecision("bf16", "cpu").scaler.is_enabled()
    assert not MixedPrecision("fp32", "cpu").scaler.is_enabled()


def _fit(data, precision, grad_clip=None):
    """Train 3 epochs; returns the curve and the dtypes the first layer computed in."""
    seed_everything(0)
    model = autonn.MLP(hidden=(16,)).build(data.input_shape, data.n_outputs)
    seen: set[torch.dtype] = set()
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
    first.register_forward_hook(lambda mod, a, out: seen.add(out.dtype) if mod.training else None)
    training = autonn.Training(lr=1e-2, grad_clip=grad_clip)
    curve = train(model, training, data.x_train, data.y_train, data.x_val, data.y_val,
                  epochs=3, seed=0, precision=precision)  # fmt: skip
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights stay fp32
    return curve, seen


@pytest.mark.parametrize(("precision", "dtype"), [("bf16", torch.bfloat16),
                                                  ("fp16", torch.float16),
                                                  ("fp32", torch.float32),
                                                  ("auto", torch.float32)])  # fmt: skip
def test_training_computes_in_the_chosen_format_and_learns(wine, precision, dtype):
    curve, seen = _fit(wine, precision, grad_clip=1.0)  # clipping: fp16 unscales first
    assert seen == {dtype}
    assert len(curve) == 3 and curve[-1] > 0.6  # 3 classes: chance is about 0.4
