"""The page's export: exactly what `autonn export` does, then the folder as a zip in memory."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Exported:
    search: str
    trial: int
    file_name: str
    data: bytes  # the package folder, zipped
    files: list[str]
    result: Any  # autonn.package's ExportResult


def export_zip(name: str, storage: str, *, trial: int, pick: str | None = None) -> Exported:
    """Export a trial of a search (`pick`, a rule as in `autonn export --pick`, else `trial`)
    and zip the package folder.

    Raises ImportError while autonn.package is not installed, and autonn's own errors (a trial
    that cannot be exported, artifacts out of reach) with their messages; UsageError when called
    from a page whose visitor lacks the dashboard's token (the page's gate should have stopped
    it: this keeps an export out of reach even if a later change draws the button before it).
    """
    from autonn.dashboard._auth import require_session

    require_session()
    from autonn.package import export  # lazy: the page works without it

    folder = f"{name}-trial{trial}"
    with tempfile.TemporaryDirectory(prefix="autonn-dashboard-export-") as tmp:
        out = Path(tmp) / folder
        if pick is not None:
            result = export(name, out, storage=storage, pick=pick)
        else:
            result = export(name, out, storage=storage, trial=trial)
        data, files = zip_folder(out, root=folder)
    trial = getattr(result, "trial", trial)
    return Exported(
        search=name,
        trial=trial,
        file_name=f"{folder}.zip",
        data=data,
        files=files,
        result=result,
    )


def zip_folder(folder: Path, *, root: str | None = None) -> tuple[bytes, list[str]]:
    """The folder's files in a zip (under `root/` inside it), and their relative paths."""
    folder = Path(folder)
    root = root or folder.name
    buffer, names = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            zf.write(path, f"{root}/{rel}")
            names.append(rel)
    return buffer.getvalue(), names
