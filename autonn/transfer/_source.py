"""An earlier model a search learns from: a stored trial (SEARCH:TRIAL) or an exported package.

The driver resolves what the user named (`resolve_source`) into a small, JSON-able record that
travels to the workers: where the files are, and for a trial its space and params. Workers load
from there (`source_model`, `source_state`), so on a cluster the files must sit on the artifacts
path: a trial's already do, and a package's model.pt2 is copied there first.
"""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autonn.errors import AutonnError, StoreError, UsageError
from autonn.store import display_url, download, load_search, upload
from autonn.trial import PROGRAM, WEIGHTS

if TYPE_CHECKING:
    import torch
    from torch import nn

    from autonn.data import Dataset

# Inputs per teacher forward pass: big enough to keep a GPU busy, small enough that a batch of
# 32x32 RGB images (48 MB in fp32) fits beside the trials packed on the same GPU.
TEACHER_BATCH = 4096


@dataclass(frozen=True)
class ModelSource:
    """label: "SEARCH:TRIAL", or "package:<folder>"; stored with the trials that used it.
    location: the folder holding WEIGHTS (a trial) or PROGRAM (a package).
    space, params: rebuild a trial's model (None for a package: its program is the model)."""

    label: str
    location: str
    space: str | None = None
    params: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelSource:
        return cls(**json.loads(text))


def trial_source(search: str, trial, space: str) -> ModelSource:
    """A stored trial of `search` (a TrialRecord or an Optuna FrozenTrial) as a source."""
    from autonn.store import upgrade_attrs

    # A TrialRecord's attrs are flat already; a FrozenTrial's may be packed (see upgrade_attrs).
    attrs = getattr(trial, "attrs", None) or upgrade_attrs(getattr(trial, "user_attrs", {}))
    location = attrs.get("artifacts")
    if location is None:
        raise UsageError(
            f"trial {trial.number} of search {search!r} has no stored files (it was not run by "
            "autonn's search, or did not complete)"
        )
    return ModelSource(f"{search}:{trial.number}", location, space, dict(trial.params))


def resolve_source(spec: str, *, storage: str, copy_to: str, role: str) -> ModelSource:
    """What `--teacher` or `--init-from` names, made reachable by every worker.

    spec: "SEARCH:TRIAL" (a COMPLETE trial of a search in `storage`) or the folder of an exported
        package. copy_to: the new search's artifacts folder; a package's program is copied there.
    role: "teacher" or "init-from", for the messages and the copy's folder name.
    """
    folder = Path(spec).expanduser()
    if folder.is_dir():
        program = folder / PROGRAM
        if not program.is_file():
            raise UsageError(
                f"--{role} {spec}: the folder has no {PROGRAM}; give a package written by "
                "`autonn export`, or SEARCH:TRIAL"
            )
        location = f"{copy_to}/{role}"
        with tempfile.TemporaryDirectory(prefix="autonn-source-") as tmp:
            (Path(tmp) / PROGRAM).write_bytes(program.read_bytes())
            upload(Path(tmp), location)
        return ModelSource(f"package:{folder.resolve()}", location)
    search, sep, number = spec.rpartition(":")
    if not sep or not search or not number.isdigit():
        raise UsageError(
            f"--{role} {spec!r}: give SEARCH:TRIAL (e.g. digits-cnn-20261126-101500:7) or the "
            "folder of an exported package"
        )
    found = load_search(search, storage)
    try:
        trial = found.trial(int(number))
    except KeyError:
        raise UsageError(
            f"--{role} {spec}: search {search!r} in {display_url(storage)} has no trial {number}"
        ) from None
    if trial.state != "COMPLETE":
        raise UsageError(
            f"--{role} {spec}: trial {number} is {trial.state}, not COMPLETE; pick a finished "
            f"trial (see `autonn show {search} --all`)"
        )
    return trial_source(search, trial, found.info.config["space"])


def check_teacher(source: ModelSource, data: Dataset) -> None:
    """Fail before the search starts if the teacher cannot take this data or gives the wrong
    number of outputs (a teacher must come from the same inputs and targets)."""
    import torch

    try:
        with torch.no_grad():
            out = source_model(source, data)(torch.from_numpy(data.x_train[:2]))
    except AutonnError:
        raise  # its files are missing: StoreError says where they were looked for
    except Exception as exc:
        first = (str(exc).strip().splitlines() or ["(no message)"])[0]
        raise UsageError(
            f"teacher {source.label} cannot take this data's inputs "
            f"{tuple(data.input_shape)}: {type(exc).__name__}: {first}"
        ) from None
    if tuple(out.shape) != (2, data.n_outputs):
        raise UsageError(
            f"teacher {source.label} gives {out.shape[-1]} outputs per sample, but this data "
            f"needs {data.n_outputs}; a teacher must be trained on the same classes or target"
        )


def source_model(source: ModelSource, data: Dataset, device: str = "cpu") -> nn.Module:
    """The source as a model to run (eval mode) on `device`, cached per process: workers are
    reused, and a teacher stays on the trial's GPU from one trial to the next."""
    return _model(source.to_json(), data.input_shape, data.n_outputs, device)


def source_state(source: ModelSource) -> dict[str, torch.Tensor]:
    """The source's weights by name: a trial's saved state dict, or a package program's."""
    return _state(source.to_json())


def teacher_outputs(
    model: nn.Module, x, *, device: str = "cpu", batch: int = TEACHER_BATCH
) -> torch.Tensor:
    """The teacher's raw outputs (logits, or the standardised target) for inputs `x` (numpy), on
    `device`, where the model must be (see source_model). Batch by batch: only one batch of
    inputs is copied to the device at a time, and only the outputs (n x classes) stay there."""
    import torch

    # No .eval(): an exported program has no train mode to leave (and refuses the call); a
    # rebuilt trial model was put in eval mode when it was built.
    with torch.no_grad():
        return torch.cat(
            [model(torch.from_numpy(x[i : i + batch]).to(device)) for i in range(0, len(x), batch)]
        )


@functools.lru_cache(maxsize=4)
def _model(source_json: str, input_shape: tuple[int, ...], n_outputs: int, device: str):
    import torch

    source = ModelSource.from_json(source_json)
    with tempfile.TemporaryDirectory(prefix="autonn-source-") as tmp:
        files = _fetch(source, Path(tmp))
        if source.space is None:
            program = torch.export.load(files / PROGRAM)
            if device != "cpu":  # a program's constants move with it only through this pass
                from torch.export.passes import move_to_device_pass

                program = move_to_device_pass(program, device)
            return program.module()
        from autonn.compress import fit_to_state_dict
        from autonn.space import load_space

        config = load_space(source.space).rebuild(source.params)
        state = torch.load(files / WEIGHTS, map_location="cpu", weights_only=True)
        # fit_to_state_dict shapes the model to the weights: pruned, factorised, or another
        # data set's classifier.
        model = fit_to_state_dict(config.build(tuple(input_shape), n_outputs), state)
        return model.to(device).eval()


@functools.lru_cache(maxsize=4)
def _state(source_json: str) -> dict[str, torch.Tensor]:
    import torch

    source = ModelSource.from_json(source_json)
    with tempfile.TemporaryDirectory(prefix="autonn-source-") as tmp:
        files = _fetch(source, Path(tmp))
        if source.space is None:
            return dict(torch.export.load(files / PROGRAM).state_dict)
        return torch.load(files / WEIGHTS, map_location="cpu", weights_only=True)


def _fetch(source: ModelSource, tmp: Path) -> Path:
    files = download(source.location, tmp / "files")
    wanted = PROGRAM if source.space is None else WEIGHTS
    if not (files / wanted).is_file():
        raise StoreError(f"{source.label}: {wanted} is not at {source.location}")
    return files


def best_trial_source(study, search: str, objectives: tuple[str, ...], space: str):
    """The default teacher: the study's COMPLETE trial with the best validation metric so far
    (the earliest of equal ones), or None while no trial has completed."""
    from optuna.trial import TrialState

    from autonn.store import OBJECTIVES, quality_metric, upgrade_attrs

    metric = quality_metric(objectives)
    index, sign = objectives.index(metric), 1 if OBJECTIVES[metric] == "maximize" else -1
    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if "artifacts" in upgrade_attrs(t.user_attrs)
    ]
    if not done:
        return None
    best = max(done, key=lambda t: (sign * t.values[index], -t.number))
    return trial_source(search, best, space)
