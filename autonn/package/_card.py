"""The model card: model_card.json (read by `autonn.load`) and MODEL_CARD.md (read by people)."""

from __future__ import annotations

import json
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from autonn.store import TrialRecord
from autonn.task import METRICS, TargetScaling, class_values

MARKDOWN = "MODEL_CARD.md"
FORMAT = "autonn-export/1"
__all__ = ["class_values"]  # re-exported: where 0.1 had it


def versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch

    import autonn

    return {
        "autonn": autonn.__version__,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def onnx_info(path: Path, task: str = "classification") -> dict[str, Any]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    (inp,), (out,) = model.graph.input, model.graph.output
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    return {
        "input": inp.name,
        "input_shape": dims,
        "output": out.name,
        "outputs": "logits (apply softmax for probabilities)"
        if task == "classification"
        else "the standardised target: multiply by preprocessing.target.std, add its mean",
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "ir_version": model.ir_version,
    }


def build_card(
    *,
    search_name: str,
    storage: str,
    config: dict[str, Any],
    trial: TrialRecord,
    reason: str,
    front: list[int],
    mean: np.ndarray,
    std: np.ndarray,
    input_shape: tuple[int, ...],
    classes: list[str],
    onnx: dict[str, Any],
    files: dict[str, dict[str, Any]],
    task: str = "classification",
    target: TargetScaling | None = None,
    tabular: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The card before verification (that part is added by `add_verification`)."""
    attrs = trial.attrs
    metric = trial.metric
    compression = attrs.get("compression") or {"prune": 0.0, "finetune_epochs": 0}
    quantize = compression.get("quantize", "fp32")
    dataset = config.get("dataset") or {}
    return {
        "format": FORMAT,
        "exported": datetime.now().isoformat(timespec="seconds"),
        "task": task,
        "metric": metric,
        "search": {
            "name": search_name,
            "storage": storage,
            "space": config.get("space"),
            "objectives": list(config.get("objectives") or []),
            "sampler": config.get("sampler"),
            "seed": config.get("seed"),
            "max_epochs": config.get("max_epochs"),
            "created": config.get("created"),
            "autonn_version": config.get("autonn_version"),
            "pareto_front": front,
        },
        "trial": {
            "number": trial.number,
            "state": trial.state,
            "why": reason,
            "params": trial.params,
            "seed": (config.get("seed") or 0) + trial.number,
            "epochs": attrs.get("epochs"),
            "node": attrs.get("node"),
            "artifacts": attrs.get("artifacts"),
        },
        "dataset": {
            "name": config.get("data"),
            "label_column": config.get("label", "label"),
            "n_train": dataset.get("train"),
            "n_val": dataset.get("val"),
            "n_test": dataset.get("test"),
        },
        "preprocessing": {
            "input_shape": list(input_shape),
            "input_dtype": "float32",
            "standardize": "(x - mean) / std, mean and std broadcast against one sample",
            "mean": mean.tolist(),
            "std": std.tolist(),
            **_labels(task, classes, target),
            "label_column": config.get("label", "label"),
            **({"tabular": tabular} if tabular else {}),
        },
        "metrics": {
            "metric": metric,
            f"val_{metric}": trial.score,
            # k-fold scoring (small data): the score is the folds' mean, this their spread
            f"val_{metric}_std": attrs.get(f"{metric}_std"),
            "folds": attrs.get("folds"),
            f"test_{metric}": trial.test_score,
            "size_bytes": attrs.get("size_bytes", trial.values.get("size_bytes")),
            "fp32_bytes": attrs.get("fp32_bytes"),
            "latency_ms": attrs.get("latency_ms", trial.values.get("latency_ms")),
            "latency_note": "median single-sample onnxruntime latency, 1 CPU thread, measured "
            f"during the search on {attrs.get('node') or 'the worker'}",
            "n_params": attrs.get("n_params"),
            "n_params_trained": attrs.get("n_params_trained"),
        },
        "compression": {
            "prune": compression.get("prune", 0.0),
            "finetune_epochs": compression.get("finetune_epochs", 0),
            "quantize": quantize,
            **_toolkit(compression, attrs),
        },
        "model": {
            "onnx": onnx,
            "pt2": {
                "what": (
                    "the fp32 torch program of the trained"
                    + (" and pruned" if compression.get("prune") else "")
                    + (" and factorised" if attrs.get("factorised_layers") else "")
                    + " model"
                    + (
                        f", before {quantize} quantization: it is NOT the measured artifact"
                        if quantize != "fp32"
                        else ", numerically the same model as the artifact"
                    )
                ),
            },
        },
        "files": files,
        "versions": versions(),
    }


def _labels(task: str, classes: list[str], target: TargetScaling | None) -> dict[str, Any]:
    if task == "regression":
        return {"target": target.to_json(), "target_note": "prediction = output * std + mean"}
    return {"classes": list(classes), "class_values": class_values(list(classes))}


def usage_snippet(out: Path, card: dict[str, Any]) -> str:
    """Plain onnxruntime + numpy (and torch for model.pt2): runs without autonn installed. A
    .tflite package: LiteRT's interpreter (ai-edge-litert) + numpy."""
    if (card.get("target") or {}).get("name", "onnx") != "onnx":
        return _tflite_snippet(out, card)
    if card["preprocessing"].get("tabular"):
        return _tabular_snippet(out, card)
    if card.get("task") == "regression":
        return _regression_snippet(out, card)
    shape = ", ".join(str(d) for d in card["preprocessing"]["input_shape"])
    return f"""import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

pkg = Path({str(out)!r})
pre = json.loads((pkg / "model_card.json").read_text())["preprocessing"]
mean = np.array(pre["mean"], dtype=np.float32)
std = np.array(pre["std"], dtype=np.float32)
labels = np.array(pre["class_values"])
session = ort.InferenceSession(str(pkg / "model.onnx"), providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name


def predict_proba(x):  # x: raw samples shaped (n, {shape})
    z = session.run(None, {{input_name: ((x - mean) / std).astype(np.float32)}})[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def predict(x):
    return labels[predict_proba(x).argmax(axis=1)]


# The torch program (fp32; see the card for what it is):
#   import torch
#   program = torch.export.load(str(pkg / "model.pt2")).module()
#   logits = program(torch.from_numpy(((x - mean) / std).astype(np.float32)))
"""


def _tabular_snippet(out: Path, card: dict[str, Any]) -> str:
    """Raw rows need the card's column spec applied: predict.py does it with pandas + numpy."""
    what = "labels" if card.get("task") != "regression" else "the target in its own units"
    return f"""import importlib.util
from pathlib import Path

pkg = Path({str(out)!r})
# predict.py in the package applies model_card.json's preprocessing.tabular spec (one-hot
# categories, median for blanks, then (x - mean) / std) with pandas + numpy, then onnxruntime.
spec = importlib.util.spec_from_file_location("autonn_package", pkg / "predict.py")
package = importlib.util.module_from_spec(spec)
spec.loader.exec_module(package)
model = package.Model(pkg)


def predict(rows):  # rows: a pandas DataFrame of raw rows; returns {what}
    return model.predict(rows)
"""


def _regression_snippet(out: Path, card: dict[str, Any]) -> str:
    shape = ", ".join(str(d) for d in card["preprocessing"]["input_shape"])
    return f"""import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

pkg = Path({str(out)!r})
pre = json.loads((pkg / "model_card.json").read_text())["preprocessing"]
mean = np.array(pre["mean"], dtype=np.float32)
std = np.array(pre["std"], dtype=np.float32)
target = pre["target"]  # the model learnt the standardised target
session = ort.InferenceSession(str(pkg / "model.onnx"), providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name


def predict(x):  # x: raw samples shaped (n, {shape}); returns the target in its own units
    z = session.run(None, {{input_name: ((x - mean) / std).astype(np.float32)}})[0]
    return z[:, 0] * target["std"] + target["mean"]


# The torch program (fp32; see the card for what it is):
#   import torch
#   program = torch.export.load(str(pkg / "model.pt2")).module()
#   z = program(torch.from_numpy(((x - mean) / std).astype(np.float32)))
"""


def input_file(card: dict[str, Any]) -> str:
    """The file of inputs to suggest: a .csv for a search on a .csv or .parquet, else a .npz."""
    return (
        "inputs.csv"
        if str(card["dataset"]["name"]).endswith((".csv", ".parquet"))
        else "inputs.npz"
    )


def inputs_example(card: dict[str, Any], n: int = 5) -> str:
    """Python that writes `input_file(card)` with `n` raw samples of the search's own data, in a
    form `autonn predict` and the package's predictor take. Runs as shown where that data is."""
    data = str(card["dataset"]["name"])
    shape = tuple(card["preprocessing"]["input_shape"])
    label = card["preprocessing"].get("label_column") or "label"
    if data.endswith(".parquet"):
        return f"""import pandas as pd

# {n} rows of the training data, raw: the label column `{label}` may stay (it is dropped).
pd.read_parquet({data!r}).head({n}).to_csv("inputs.csv", index=False)
"""
    if data.endswith(".csv"):
        return f"""import itertools

# The header row and {n} rows of the training data: the label column `{label}` may stay (it is
# dropped); the other columns are the raw features in training order.
with open({data!r}) as src, open("inputs.csv", "w") as dst:
    dst.writelines(itertools.islice(src, {n + 1}))
"""
    if data in _BUILTIN:
        field = "images" if data == "digits" else "data"
        what = "images shaped" if data == "digits" else "raw samples shaped"
        got = (n, *_BUILTIN_SHAPE.get(data, shape))
        return f"""import numpy as np
from sklearn.datasets import load_{data}

x = load_{data}().{field}[:{n}]  # {n} {what} {got}
np.savez("inputs.npz", x=x)
"""
    return f"""import numpy as np

x = np.load({data!r})["x"][:{n}]  # {n} raw samples of the training data, shaped {(n, *shape)}
np.savez("inputs.npz", x=x)
"""


# scikit-learn's datasets as autonn reads them (autonn.data); digits' images lack the channel axis.
_BUILTIN = ("digits", "breast_cancer", "wine", "diabetes")
_BUILTIN_SHAPE = {"digits": (8, 8)}


def _toolkit(compression: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
    """Low rank, distillation and starting weights, where the trial used them."""
    out: dict[str, Any] = {}
    if "rank_ratio" in compression:
        out["rank_ratio"] = compression["rank_ratio"]
        out["factorised_layers"] = attrs.get("factorised_layers", [])
    if compression.get("distill_alpha"):
        out["distillation"] = {
            "alpha": compression["distill_alpha"],
            "temperature": compression.get("distill_temperature"),
            "teacher": attrs.get("teacher"),  # None: no trial had completed when it started
        }
    if attrs.get("init_from"):
        out["init_from"] = {"model": attrs["init_from"], "tensors": attrs.get("init_tensors")}
    return out


def _toolkit_lines(c: dict[str, Any]) -> list[str]:
    lines = []
    if "rank_ratio" in c:
        layers = ", ".join(f"`{n}`" for n in c["factorised_layers"]) or "none (none would shrink)"
        lines.append(f"- low-rank factorisation: rank ratio {c['rank_ratio']:g}; layers {layers}")
    if "distillation" in c:
        d = c["distillation"]
        teacher = f"`{d['teacher']}`" if d["teacher"] else "none (no trial had completed yet)"
        lines.append(
            f"- distillation: alpha {d['alpha']:g}, temperature {d['temperature']:g}, "
            f"teacher {teacher}"
        )
    if "init_from" in c:
        i = c["init_from"]
        lines.append(f"- started from the weights of `{i['model']}` ({i['tensors']} tensors)")
    return lines


def write_json(path: Path, card: dict[str, Any]) -> None:
    path.write_text(json.dumps(card, indent=2, default=str) + "\n")


def _tflite_snippet(out: Path, card: dict[str, Any]) -> str:
    shape = ", ".join(str(d) for d in card["preprocessing"]["input_shape"])
    return f"""import json
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

pkg = Path({str(out)!r})
pre = json.loads((pkg / "model_card.json").read_text())["preprocessing"]
mean = np.array(pre["mean"], dtype=np.float32)
std = np.array(pre["std"], dtype=np.float32)
model = Interpreter(model_path=str(pkg / "model.tflite"))
model.allocate_tensors()
inp, out = model.get_input_details()[0], model.get_output_details()[0]


def outputs(x):  # x: raw samples shaped (n, {shape}); one sample per invoke (batch 1)
    rows = []
    for sample in ((x - mean) / std).astype(np.float32):
        q = inp["quantization"]  # (scale, zero point); (0.0, 0) for a float input
        if q[0]:
            sample = np.clip(np.round(sample / q[0] + q[1]), -128, 127).astype(inp["dtype"])
        model.set_tensor(inp["index"], sample[None])
        model.invoke()
        y = model.get_tensor(out["index"])[0].astype(np.float32)
        s, z = out["quantization"]
        rows.append((y - z) * s if s else y)
    return np.stack(rows)  # logits, or the standardised target for regression
"""


def _device_lines(card: dict[str, Any]) -> list[str]:
    """The card's device section: what the target runs and what the firmware must reserve."""
    t = card.get("target") or {}
    if not t:
        return []
    lines = ["## Target", "", f"- runtime: {t['runtime']} (`--target {t['name']}`)"]
    lines.append(f"- flash: {t['flash_bytes']} bytes (`{t['artifact']}`)")
    if t.get("arena_bytes") is not None:
        lines.append(
            f"- tensor arena: {t['arena_bytes']} bytes, the smallest with which TFLite Micro "
            "allocated and ran the model (reserve at least this)"
        )
    elif t.get("ram_bytes_estimate") is not None:
        lines.append(
            f"- RAM: about {t['ram_bytes_estimate']} bytes (peak of live activations; an estimate)"
        )
    if t.get("macs") is not None:
        lines.append(f"- multiply-accumulates per inference: {t['macs']}")
    if t.get("operators"):
        lines.append("- operators to register: " + ", ".join(f"`{o}`" for o in t["operators"]))
    for side, io in (t.get("io") or {}).items():
        quant = (
            f", scale {io['scale']:.6g}, zero point {io['zero_point']}" if io.get("scale") else ""
        )
        lines.append(f"- {side}: {io['dtype']} {io.get('shape')}{quant}")
    if not t.get("measured_in_search", True):
        lines.append(
            f"- converted at export from the trial's weights: the search measured another "
            f"target, so this file was verified in {t['runtime']} here, not measured by the search"
        )
    if t.get("c_array"):
        lines += ["", *_c_usage(card)]
    return [*lines, ""]


def _c_usage(card: dict[str, Any]) -> list[str]:
    t = card["target"]
    arena = t["arena_bytes"]
    ops = t.get("operators") or []
    adds = "\n".join(f"  resolver.Add{_op_method(o)}();" for o in ops)
    return [
        f"`{t['c_array']['source']}` holds the model as `{t['c_array']['symbol']}` (16-byte "
        "aligned); with TensorFlow Lite Micro:",
        "",
        "```cpp",
        f'#include "{t["c_array"]["header"]}"',
        '#include "tensorflow/lite/micro/micro_interpreter.h"',
        '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"',
        "",
        f"constexpr int kArenaSize = {arena};  // measured; add a little for your TFLM build",
        "alignas(16) static uint8_t arena[kArenaSize];",
        "",
        "const tflite::Model* model = tflite::GetModel(" + t["c_array"]["symbol"] + ");",
        f"tflite::MicroMutableOpResolver<{max(len(ops), 1)}> resolver;",
        adds,
        "tflite::MicroInterpreter interpreter(model, resolver, arena, kArenaSize);",
        "interpreter.AllocateTensors();  // fill input(0), Invoke(), read output(0)",
        "```",
    ]


def _op_method(op: str) -> str:
    """FULLY_CONNECTED -> FullyConnected, CONV_2D -> Conv2D: MicroMutableOpResolver's methods."""
    return "".join(part.capitalize() if not part[0].isdigit() else part.upper()
                   for part in op.split("_"))  # fmt: skip


def markdown(card: dict[str, Any], out: Path | None = None) -> str:
    """The card for people; `out`, the folder the package will be in, makes its commands exact."""
    s, t, d, p = card["search"], card["trial"], card["dataset"], card["preprocessing"]
    m, c, v = card["metrics"], card["compression"], card.get("verification", {})
    files = {k: f for k, f in card["files"].items() if k != MARKDOWN}
    name = m.get("metric", "accuracy")
    show = METRICS[name].format if name in METRICS else _f
    lines = [
        f"# Model card: {s['name']}, trial {t['number']}",
        "",
        f"Exported by autonn {card['versions']['autonn']} on {card['exported']}. "
        f"Chosen because: {t['why']}.",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "| --- | --- |",
        _objective_line(m, name, show),
        f"| test {name} (stored by the search) | {show(m[f'test_{name}'])} |",
        f"| test {name} (re-measured at export) | {show(v.get(f'test_{name}'))} |",
        f"| {_artifact(card)} bytes | {m['size_bytes']} |",
        f"| fp32 bytes before quantization | {_f(m['fp32_bytes'])} |",
        f"| latency | {_f(m['latency_ms'])} ms ({m['latency_note']}) |",
        f"| parameters | {m['n_params']} (before channel pruning: {m['n_params_trained']}) |",
        "",
        "## Data and preprocessing",
        "",
        f"- dataset: `{d['name']}` (train {d['n_train']}, validation {d['n_val']}, "
        f"test {d['n_test']}); label column `{d['label_column']}`",
        *_input_lines(p),
        f"- standardisation: `{p['standardize']}`; mean `{_short(p['mean'])}`, "
        f"std `{_short(p['std'])}` (full values in model_card.json)",
        _target_line(card.get("task", "classification"), p),
        "",
        "## Compression",
        "",
        f"- structured pruning: {c['prune']:g} of channels/neurons, then {c['finetune_epochs']} "
        "fine-tuning epochs",
        *_toolkit_lines(c),
        f"- number format of {_artifact(card)}: {c['quantize']}",
        f"- model.pt2: {card['model']['pt2']['what']}",
        "",
        *_device_lines(card),
        "## Search and trial",
        "",
        f"- search `{s['name']}` in `{s['storage']}`: space `{s['space']}`, objectives "
        f"{', '.join(s['objectives'])}, sampler {s['sampler']}, seed {s['seed']}, "
        f"max epochs {s['max_epochs']}",
        f"- Pareto front (trial numbers): {s['pareto_front']}",
        f"- trial {t['number']} ({t['state']}), trained {t['epochs']} epochs, seed {t['seed']}",
        "- params: " + ", ".join(f"`{k}={_g(val)}`" for k, val in t["params"].items()),
        "",
        "## Verification",
        "",
        *[f"- {line}" for line in v.get("summary", [])],
        "",
        "## Files",
        "",
        "| file | bytes | sha256 |",
        "| --- | --- | --- |",
        *[f"| {name} | {f['bytes']} | `{f['sha256']}` |" for name, f in files.items()],
        "",
        "## Versions",
        "",
        ", ".join(f"{k} {val}" for k, val in card["versions"].items()),
        "",
        "## Inputs",
        "",
        _inputs_text(p)
        + f" This writes {_n_example} samples of the search's data (`{d['name']}`) to "
        f"`{input_file(card)}`:",
        "",
        "```python",
        inputs_example(card, _n_example).rstrip(),
        "```",
        "",
        "```bash",
        f"autonn predict {_quote(out or 'FOLDER')} {input_file(card)}",
        f"python {_quote(Path(out or 'FOLDER') / 'predict.py')} {input_file(card)}"
        + (
            "   # pandas, numpy and onnxruntime only"
            if p.get("tabular")
            else "   # numpy and onnxruntime only"
        ),
        "```",
        "",
        "## Use it without autonn",
        "",
        "```python",
        card["usage"].rstrip(),
        "",
        "",
        *_plain_inputs(card),
        "```",
        "",
        "With autonn: `autonn.load(folder).predict(x)`.",
        "",
    ]
    return "\n".join(lines)


def _inputs_text(p: dict[str, Any]) -> str:
    if p.get("tabular"):
        return (
            "Raw rows, as the training file had them (text categories, blanks), with its column "
            "names; the label column may stay (it is dropped), and so may other extra columns. "
            "`autonn predict` reads them from a .csv or .parquet; `autonn.load(folder)"
            ".predict(dataframe)` takes a pandas DataFrame."
        )
    return (
        f"Raw samples, as the data had them before standardisation: {_forms(p['input_shape'])}. "
        "`autonn predict` reads them from a .npz (array `x`, or its only array), a .npy or a "
        ".csv (a header row and the feature columns in training order)."
    )


def _input_lines(p: dict[str, Any]) -> list[str]:
    shape = f"`(n, {', '.join(map(str, p['input_shape']))})`"
    tabular = p.get("tabular")
    if not tabular:
        return [f"- input: raw samples shaped {shape}, float32"]
    lines = [
        "- input: raw rows of the training file's columns (the label column left out), text "
        f"and blanks as the file has them; they become {shape} float32 features, fitted on the "
        "training split only (`preprocessing.tabular` in model_card.json):"
    ]
    for c in tabular["columns"]:
        if c["kind"] == "number":
            how = f"number; a blank becomes the median {_g(c['median'])}"
        elif c["kind"] == "category":
            how = (
                f"category, one-hot over {_short(c['categories'])}; a blank or unknown value "
                "gives all zeros"
            )
        else:
            how = "blank in every training row: dropped"
        lines.append(f"  - `{c['name']}`: {how}")
    return lines


def _target_line(task: str, p: dict[str, Any]) -> str:
    if task == "regression":
        t = p["target"]
        return (
            f"- target: the model outputs the standardised target; prediction = output * "
            f"{_g(t['std'])} + {_g(t['mean'])} (in the target's own units)"
        )
    return f"- labels (output index -> label): {_short(p['class_values'])}"


_n_example = 5


def _forms(input_shape) -> str:
    shape = tuple(input_shape)
    forms = [f"`(n, {', '.join(map(str, shape))})`"]
    if len(shape) > 1 and shape[0] == 1:
        forms.append(f"`(n, {', '.join(map(str, shape[1:]))})` without the channel axis")
    if len(shape) > 1:
        forms.append(f"flattened `(n, {int(np.prod(shape))})`")
    return ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]


def _plain_inputs(card: dict[str, Any]) -> list[str]:
    """The file of `inputs_example`, read into `x` as the plain onnxruntime code above takes it."""
    shape = ", ".join(str(d) for d in card["preprocessing"]["input_shape"])
    if card["preprocessing"].get("tabular"):
        return [
            "import pandas as pd",
            "",
            'print(predict(pd.read_csv("inputs.csv")))  # raw rows, blanks and text as they are',
        ]
    if input_file(card) == "inputs.csv":
        label = card["preprocessing"].get("label_column") or "label"
        return [
            "import csv",
            "",
            'with open("inputs.csv", newline="") as f:',
            f"    rows = [[float(v) for k, v in r.items() if k != {label!r}] "
            "for r in csv.DictReader(f)]",
            f"x = np.array(rows, dtype=np.float32).reshape(-1, {shape})",
            "print(predict(x))",
        ]
    return [
        f'x = np.load("inputs.npz")["x"].astype(np.float32).reshape(-1, {shape})',
        "print(predict(x))",
    ]


def _quote(path: Any) -> str:
    import shlex

    return shlex.quote(str(path))


def _artifact(card: dict[str, Any]) -> str:
    return (card.get("target") or {}).get("artifact", "model.onnx")


def _f(value) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _g(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _short(values) -> str:
    flat = np.asarray(values, dtype=object).ravel().tolist()
    shown = [_g(x) for x in flat[:10]]
    return "[" + ", ".join(shown) + (f", ... ({len(flat)} values)" if len(flat) > 10 else "") + "]"


def _objective_line(m: dict, name: str, show) -> str:
    """The search objective's row: with k-fold scoring, the folds' mean ± their spread."""
    value, spread = m[f"val_{name}"], m.get(f"val_{name}_std")
    if spread is None:
        return f"| validation {name} (search objective) | {show(value)} |"
    return (
        f"| validation {name} (search objective: mean ± sd over {m['folds']} folds of the "
        f"training rows; the shipped model trained on all of them) | {show(value)} ± "
        f"{show(spread)} |"
    )
