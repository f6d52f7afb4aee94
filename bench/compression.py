"""What compression buys on digits: bytes, parameters, accuracy, latency of the shipped ONNX file.

For a fixed CNN and a fixed MLP (seed 0, 30 epochs, Adam lr 1e-3, batch 64) it measures the fp32
artifact, each number format, and 50% structured pruning (+ 10 fine-tuning epochs) with and without
int8-static, all on the test split, run by onnxruntime on the CPU. Issue targets:
  int8-static bytes / fp32 bytes <= 0.35 with <= 1 point accuracy drop;
  50% pruning + fine-tuning: <= 1 point drop with >= 1.8x fewer parameters.

    python bench/compression.py [--epochs 30] [--finetune-epochs 10] [--repeats 2000]

The last line is machine-readable; its first field is the CNN's int8-static / fp32 bytes ratio.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from autonn.compress import count_parameters, prune_structured
from autonn.data import load_dataset
from autonn.measure import export_onnx, file_bytes, latency_ms, onnx_accuracy, quantize_onnx
from autonn.space import CNN, MLP, Training
from autonn.train import accuracy, seed_everything, train

TRAINING = Training(lr=1e-3, batch_size=64, optimizer="adam")
MODELS = {
    "cnn": CNN(channels=(32, 64), head_width=64),
    "mlp": MLP(hidden=(256, 128)),
}
PRUNE = 0.5


@dataclass
class Row:
    name: str
    bytes: int
    params: int
    acc: float
    latency_ms: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--finetune-epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2000, help="latency samples per artifact")
    args = parser.parse_args()
    torch.set_num_threads(1)  # what a one-CPU trial gets; also steadier timings
    data = load_dataset("digits", seed=0)
    print(f"digits: train {len(data.y_train)}, val {len(data.y_val)}, test {len(data.y_test)}")
    print(f"machine: {_cpu()}, torch threads 1, onnxruntime 1 intra-op thread")
    summary: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="autonn-bench-") as tmp:
        for name, config in MODELS.items():
            summary |= _bench(name, config, data, Path(tmp) / name, args)
    first = f"ratio={summary.pop('cnn_int8_static_bytes_ratio'):.4f}"
    print(" ".join([first, *(f"{k}={v:.4f}" for k, v in summary.items())]))


def _bench(name, config, data, folder: Path, args) -> dict[str, float]:
    x_test, y_test, shape = data.x_test, data.y_test, data.input_shape

    artifacts: list[tuple[str, Path, int]] = []  # measured together at the end, see _latencies
    seed_everything(0)
    model = config.build(shape, data.n_classes)
    t = time.perf_counter()
    train(model, TRAINING, data.x_train, data.y_train, data.x_val, data.y_val,
          epochs=args.epochs, seed=0)  # fmt: skip
    t_train = time.perf_counter() - t
    params = count_parameters(model)
    t = time.perf_counter()
    fp32 = export_onnx(model, shape, folder / "fp32.onnx")
    t_export = time.perf_counter() - t
    artifacts.append(("fp32", fp32, params))
    timings = {}
    for mode in ("fp16", "int8-dynamic", "int8-static"):
        t = time.perf_counter()
        path = quantize_onnx(fp32, folder / f"{mode}.onnx", mode, data.x_train)
        timings[mode] = time.perf_counter() - t
        artifacts.append((mode, path, params))

    pruned = copy.deepcopy(model)
    t = time.perf_counter()
    prune_structured(pruned, PRUNE, torch.from_numpy(data.x_train[:1]))
    t_prune = time.perf_counter() - t
    pruned_params = count_parameters(pruned)
    acc_no_ft = accuracy(pruned, x_test, y_test)
    train(pruned, TRAINING, data.x_train, data.y_train, data.x_val, data.y_val,
          epochs=args.finetune_epochs, seed=0)  # fmt: skip
    p_fp32 = export_onnx(pruned, shape, folder / "pruned-fp32.onnx")
    artifacts.append((f"pruned {PRUNE:.0%} + ft", p_fp32, pruned_params))
    p_int8 = quantize_onnx(p_fp32, folder / "pruned-int8.onnx", "int8-static", data.x_train)
    artifacts.append((f"pruned {PRUNE:.0%} + ft + int8-static", p_int8, pruned_params))
    latencies = _latencies([path for _, path, _ in artifacts], shape, args.repeats)
    rows = [
        Row(label, file_bytes(path), n, onnx_accuracy(path, x_test, y_test), ms)
        for (label, path, n), ms in zip(artifacts, latencies, strict=True)
    ]
    base = rows[0]
    print(f"\n{name}: {_describe(config)}, {params} parameters")
    print(f"  trained {args.epochs} epochs in {t_train:.1f} s; torch test accuracy "
          f"{accuracy(model, x_test, y_test):.4f}")  # fmt: skip
    print(f"  {'artifact':<30} {'bytes':>8} {'x fp32':>7} {'params':>8} {'test acc':>9} "
          f"{'drop pts':>8} {'latency ms':>10}")  # fmt: skip
    for r in rows:
        drop = (base.acc - r.acc) * 100
        print(f"  {r.name:<30} {r.bytes:>8} {r.bytes / base.bytes:>7.3f} {r.params:>8} "
              f"{r.acc:>9.4f} {drop:>8.2f} {r.latency_ms:>10.4f}")  # fmt: skip
    print(f"  pruned {PRUNE:.0%} before fine-tuning: test accuracy {acc_no_ft:.4f}")
    print(
        f"  per-trial overhead: export {t_export:.3f} s, prune {t_prune:.3f} s, "
        + ", ".join(f"{m} {s:.3f} s" for m, s in timings.items())
    )

    by = {r.name: r for r in rows}
    int8, pft = by["int8-static"], by[f"pruned {PRUNE:.0%} + ft"]
    both = by[f"pruned {PRUNE:.0%} + ft + int8-static"]
    out = {
        f"{name}_int8_static_bytes_ratio": int8.bytes / base.bytes,
        f"{name}_int8_static_drop_pts": (base.acc - int8.acc) * 100,
        f"{name}_pruned_param_reduction": params / pft.params,
        f"{name}_pruned_drop_pts": (base.acc - pft.acc) * 100,
        f"{name}_pruned_int8_bytes_ratio": both.bytes / base.bytes,
        f"{name}_pruned_int8_drop_pts": (base.acc - both.acc) * 100,
    }
    ok_q = (
        out[f"{name}_int8_static_bytes_ratio"] <= 0.35 and out[f"{name}_int8_static_drop_pts"] <= 1
    )
    ok_p = out[f"{name}_pruned_param_reduction"] >= 1.8 and out[f"{name}_pruned_drop_pts"] <= 1
    print(f"  target int8-static <= 0.35x bytes, <= 1 pt drop: "
          f"{'met' if ok_q else 'MISSED'}")  # fmt: skip
    print(f"  target 50% pruning + ft >= 1.8x fewer params, <= 1 pt drop: "
          f"{'met' if ok_p else 'MISSED'}")  # fmt: skip
    return out


def _describe(config) -> str:
    if isinstance(config, CNN):
        return f"CNN(channels={config.channels}, head_width={config.head_width})"
    return f"MLP(hidden={config.hidden})"


def _latencies(paths: list[Path], shape: tuple[int, ...], repeats: int) -> list[float]:
    """Median latency of each artifact, measured in interleaved rounds so that a burst of load on
    this shared machine hits every artifact alike rather than one of them."""
    rounds = 5
    each = max(1, repeats // rounds)
    per_round = [[latency_ms(p, shape, repeats=each) for p in paths] for _ in range(rounds)]
    return [statistics.median(column) for column in zip(*per_round, strict=True)]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
