"""Where trial files live: a local or shared folder, or any URI pyarrow understands (s3://, gs://).

Workers write a trial's files to a local temporary folder, then `upload` them here; the stored
location is what `autonn export` reads from, possibly on another machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autonn.errors import StoreError, UsageError


def _is_uri(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def artifact_root(root: str) -> str:
    """`root` made absolute on the driver: workers run in other folders (and on other machines)."""
    if _is_uri(root):
        return root.rstrip("/")
    return str(Path(root.removeprefix("file://")).expanduser().resolve())


def search_location(root: str, search: str) -> str:
    """The folder of one search's files (trials, and Tune's own state) under the artifact root."""
    _check_folder_name(search)
    return f"{artifact_root(root)}/{search}"


def _check_folder_name(search: str) -> None:
    """A search's name becomes one folder under the root: it must not reach outside it."""
    if search in ("", ".", "..") or any(c in search for c in "/\\\0"):
        raise UsageError(
            f"the search name {search!r} cannot name a folder under the artifact root (no '/', "
            "'\\', '..' or empty name); use letters, digits, '_', '-' and '.'"
        )


def trial_location(root: str, search: str, number: int) -> str:
    """The folder of one trial's files under the artifact root."""
    return f"{search_location(root, search)}/trial_{number:05d}"


def upload(local_dir: Path, location: str) -> None:
    if not _is_uri(location):
        dest = Path(location)
        if dest.exists():
            shutil.rmtree(dest)  # a re-run of the same trial number replaces its files
        shutil.copytree(local_dir, dest)
        return
    import pyarrow.fs

    pyarrow.fs.copy_files(str(local_dir), location)


def download(location: str, local_dir: Path) -> Path:
    """Copy a trial's files into `local_dir` (a local location is copied too, never moved)."""
    try:
        if not _is_uri(location):
            shutil.copytree(location, local_dir, dirs_exist_ok=True)
        else:
            import pyarrow.fs

            pyarrow.fs.copy_files(location, str(local_dir))
    except (OSError, FileNotFoundError) as exc:
        raise StoreError(
            f"the trial's files are not at {location} ({exc}); on a cluster, artifacts must be on "
            "storage this machine can reach (a shared folder or a cloud URI)"
        ) from exc
    return local_dir
