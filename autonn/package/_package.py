"""Writing the package: pick a trial, fetch its files, verify them, then move the folder into place.

Everything is written into a hidden sibling folder of DIR and renamed to DIR only once verified,
so DIR either holds a complete, verified package or does not exist.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autonn.errors import StoreError, UsageError
from autonn.package import _card
from autonn.package._device import C_HEADER, C_SOURCE, convert, target_card, write_c_array
from autonn.package._pick import Pick, choose
from autonn.package._predict import CARD, sha256
from autonn.package._script import write_script
from autonn.package._verify import VerificationFailed, rebuild_data, verify
from autonn.space import load_space
from autonn.store import DEFAULT_STORAGE, display_url, download, load_search
from autonn.target import get_target
from autonn.trial import ARTIFACT, PROGRAM, WEIGHTS, rebuild_model, torch_program

log = logging.getLogger("autonn.package")
# predict.py: runs the package with numpy and onnxruntime only, as a script or a module.
STANDALONE = "predict.py"


@dataclass(frozen=True)
class ExportResult:
    """What `export` wrote and what it checked."""

    out: Path
    search: str
    trial: int
    reason: str  # why this trial was chosen
    test_score: float  # the search's metric, measured on the written package at export time
    stored_test_score: float  # what the search stored for the trial
    max_abs_diff: float | None  # model.pt2 vs model.onnx outputs; None for quantized trials
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256, every file in out
    seconds: float = 0.0
    metric: str = "accuracy"  # what test_score measures

    # 0.1's names, kept for callers such as the dashboard: the same figures, whatever the metric.
    @property
    def test_accuracy(self) -> float:
        return self.test_score

    @property
    def stored_test_accuracy(self) -> float:
        return self.stored_test_score


def export(
    name: str,
    out: str | Path,
    *,
    storage: str = DEFAULT_STORAGE,
    pick: str | Pick = "best",
    trial: int | None = None,
    data: str | None = None,
    target: str | None = None,
) -> ExportResult:
    """Export one trial of search `name` to the new folder `out` as a verified package.

    target: the runtime to ship to (onnx, litert, tflm); default the search's own, whose artifact
        the trial measured and the package holds byte for byte. Another target converts the
        trial's weights now and verifies that file in its own runtime. tflm adds the model as
        a C array (model_data.cc/.h).

    pick: see `autonn.package._pick` (best, smallest, fastest, knee, or a constraint such as
        "size_bytes<=50000" or "rmse<=40"); `trial`, when given, exports that trial instead,
        whatever its rank.
    data: where this machine reads the search's data, when it is not where the search read it.

    Raises UsageError (bad pick, nothing meets it, `out` not empty), StoreError (unknown search,
    trial files unreachable) or VerificationFailed; in every case `out` is left as it was.
    """
    started = time.perf_counter()
    out = Path(out).expanduser()
    _check_out(out)
    search = load_search(name, storage)
    record, reason = choose(
        search.trials,
        search.objectives,
        pick,
        trial=trial,
        search=f"search {name!r}",
        floor=search.info.floor,
    )
    metric = search.metric
    stored = record.test_score
    location = record.attrs.get("artifacts")
    if location is None or stored is None:
        raise StoreError(
            f"trial {record.number} of search {name!r} has no recorded "
            f"{'artifact location' if location is None else f'test {metric}'}; it was not run by "
            "autonn's search"
        )
    log.info("exporting trial %d of %s: %s", record.number, name, reason)
    compression = record.attrs.get("compression") or {}
    quantize = compression.get("quantize", "fp32")
    config = search.info.config
    searched = config.get("target") or "onnx"
    chosen = get_target(target or searched)
    measured = chosen.name == searched
    with _staging(out) as stage:
        artifact = stage / chosen.artifact
        _fetch(location, stage, record.attrs.get("size_bytes"), searched_artifact(searched))
        dataset = rebuild_data(config, data)
        model = _program(stage, config, record, dataset)
        if not measured:  # the search measured another file: this one is made, then verified
            (stage / searched_artifact(searched)).unlink()
            convert(chosen, model, dataset, quantize, artifact)
        write_script(stage / STANDALONE)
        extra = write_c_array(artifact, stage) if chosen.name == "tflm" else []
        files = {f: _describe(stage / f, f) for f in (chosen.artifact, PROGRAM, STANDALONE, *extra)}
        card = _card.build_card(
            search_name=name,
            storage=display_url(storage),
            config=config,
            trial=record,
            reason=reason,
            front=[t.number for t in search.pareto],
            mean=dataset.mean,
            std=dataset.std,
            input_shape=dataset.input_shape,
            classes=list(dataset.classes),
            onnx=_card.onnx_info(artifact, dataset.task) if chosen.name == "onnx" else None,
            files=files,
            task=dataset.task,
            target=dataset.target,
            tabular=dataset.tabular.to_json() if dataset.tabular else None,
        )
        card["target"] = target_card(
            chosen, artifact, record, shape=dataset.input_shape, measured=measured
        )
        card["usage"] = _card.usage_snippet(out, card)
        _card.write_json(stage / CARD, card)  # the predictor that verifies reads it
        stored = float(stored)
        check = verify(stage, dataset, stored_test_score=stored, fp32=quantize == "fp32",
                       metric=metric, runtime=chosen.runtime)  # fmt: skip
        card["verification"] = check.to_json()
        (stage / _card.MARKDOWN).write_text(_card.markdown(card, out))
        card["files"][_card.MARKDOWN] = _describe(stage / _card.MARKDOWN, _card.MARKDOWN)
        _card.write_json(stage / CARD, card)
        hashes = {p.name: sha256(p) for p in sorted(stage.iterdir())}
    seconds = time.perf_counter() - started
    log.info("wrote %s in %.1f s (test %s %.4g)", out, seconds, metric, check.test_score)
    return ExportResult(
        out=out,
        search=name,
        trial=record.number,
        reason=reason,
        test_score=check.test_score,
        stored_test_score=float(stored),
        max_abs_diff=check.max_abs_diff,
        files=hashes,
        seconds=seconds,
        metric=metric,
    )


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder; choose a new folder for the export")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(
            f"{out} exists and is not empty; choose a new folder (export never overwrites)"
        )


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A fresh sibling folder of `out`, renamed to `out` when the block succeeds, removed (with
    any parent folders made for it) when it fails."""
    made = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        yield stage
        _check_out(out)  # something may have written there meanwhile
        if out.is_dir():
            out.rmdir()
        os.rename(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def searched_artifact(target: str) -> str:
    """The file a search's trials measured and saved: model.onnx, or model.tflite."""
    return ARTIFACT if target == "onnx" else "model.tflite"


def _fetch(location: str, stage: Path, size_bytes, artifact: str) -> None:
    """Copy the trial's artifact and weights into `stage`, byte for byte."""
    fetched = stage / ".fetch"
    download(location, fetched)
    for name in (artifact, WEIGHTS):
        src = fetched / name
        if not src.is_file():
            raise StoreError(
                f"the trial's {name} is not at {location}/{name} (found: "
                f"{', '.join(sorted(p.name for p in fetched.iterdir())) or 'nothing'})"
            )
        src.rename(stage / name)
    shutil.rmtree(fetched)
    got = (stage / artifact).stat().st_size
    if size_bytes is not None and got != int(size_bytes):
        raise VerificationFailed(
            f"{location}/{artifact} has {got} bytes, but the search measured {int(size_bytes)}: "
            "it is not the file the trial measured"
        )


def _program(stage: Path, config: dict, record, dataset):
    """model.pt2 from the trial's config (its params + the space) and its saved weights; returns
    the rebuilt fp32 model."""
    model_config = load_space(config["space"]).rebuild(record.params)
    model = rebuild_model(model_config, dataset, stage / WEIGHTS)
    torch_program(model, dataset, stage / PROGRAM)
    (stage / WEIGHTS).unlink()
    return model


def _describe(path: Path, name: str) -> dict:
    what = {
        ARTIFACT: "the artifact measured during the search (its metric, bytes, latency)",
        "model.tflite": "the .tflite flatbuffer for LiteRT or TensorFlow Lite Micro",
        C_SOURCE: "model.tflite as an aligned C array, for TensorFlow Lite Micro firmware",
        C_HEADER: "declares the C array and its length",
        PROGRAM: "torch.export program of the fp32 model; torch.export.load(path).module()",
        _card.MARKDOWN: "this card for people",
        STANDALONE: "runs the model with numpy and onnxruntime (ai-edge-litert for a .tflite; "
        "pandas too for tabular rows): python predict.py INPUTS",
    }
    return {"sha256": sha256(path), "bytes": path.stat().st_size, "what": what[name]}
