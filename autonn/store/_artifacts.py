"""Where trial files live: a local or shared folder, or any URI pyarrow understands (s3://, gs://).

Workers write a trial's files to a local temporary folder, then `upload` them here; the stored
location is what `autonn export` reads from, possibly on another machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from autonn.errors import ArtifactsUnwritable, StoreError, UsageError

# The start of a trial's fail reason when its files could not be stored; the driver counts these.
UPLOAD_FAILED = "could not store the trial's files"


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


def check_writable(root: str) -> None:
    """Write and delete a small file under the artifact root, so that a root this user cannot
    write, or a full disk, is one line before Ray starts instead of a failure in every trial."""
    where = artifact_root(root)
    probe = f"{where}/.autonn-write-check-{os.getpid()}"
    try:
        if not _is_uri(where):
            _probe_folder(Path(where), Path(probe))
            return
        import pyarrow.fs

        fs, path = pyarrow.fs.FileSystem.from_uri(probe)
        with fs.open_output_stream(path) as out:
            out.write(b"autonn")
        fs.delete_file(path)
    except (OSError, ValueError) as exc:  # pyarrow raises OSError subclasses, ValueError for URIs
        raise StoreError(
            f"cannot write trial files under --artifacts {root} ({_why(exc)}); give a folder "
            "this user can write, on a disk with free space"
        ) from None


def _probe_folder(folder: Path, probe: Path) -> None:
    """Create the folder if need be, write and delete the probe, then remove the folders this
    created: a search that stops later on bad input must leave nothing behind."""
    created = [d for d in (folder, *folder.parents) if not d.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"autonn")
        probe.unlink()
    finally:
        for made in created:  # deepest first; each is empty again
            try:
                made.rmdir()
            except OSError:
                pass


def upload(local_dir: Path, location: str) -> None:
    """Copy a trial's files to their location; ArtifactsUnwritable with the reason if it cannot
    (no space left, permission lost), leaving no half-written folder behind."""
    try:
        if not _is_uri(location):
            dest = Path(location)
            if dest.exists():
                shutil.rmtree(dest)  # a re-run of the same trial number replaces its files
            try:
                shutil.copytree(local_dir, dest)
            except OSError:
                shutil.rmtree(dest, ignore_errors=True)
                raise
            return
        import pyarrow.fs

        pyarrow.fs.copy_files(str(local_dir), location)
    except OSError as exc:
        raise ArtifactsUnwritable(f"{UPLOAD_FAILED} to {location}: {_why(exc)}") from exc


def _why(exc: BaseException) -> str:
    """One line: "No space left on device", "Read-only file system", ... (shutil.Error, which
    copytree raises, holds a list of (source, destination, reason) for each file that failed)."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        reasons = sorted({str(entry[-1]) for entry in exc.args[0]})
        return "; ".join(reasons)[:300]
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return " ".join(str(exc).split())[:300] or type(exc).__name__


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
