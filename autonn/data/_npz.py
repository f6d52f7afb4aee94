"""Reading a .npz without copying it: every member stored uncompressed (np.savez) is mapped from
the file at its offset, so a 1 GiB `x` costs no memory until its rows are read, and the pages read
can be dropped again (`release`). A compressed member (np.savez_compressed) is read into memory,
since its bytes are not the array's. Nothing is ever unpickled: a member holding Python objects
is refused.
"""

from __future__ import annotations

import mmap
import struct
import zipfile
from pathlib import Path

import numpy as np

from autonn.data._inputs import InputError, check_fits, npz_bytes, read_npy_header

# A zip local file header: signature, versions, flags, method, time, date, crc, sizes, then the
# lengths of the name and of the extra field; the member's bytes follow those two.
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a .npz by name (without '.npy'): mapped read-only where stored, in memory
    where compressed. Raises InputError for a file that is not a .npz numpy wrote, a member
    holding Python objects, or compressed members larger than the memory available."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if i.filename.endswith(".npy")]
            stored = [i for i in members if _mappable(i)]
            packed = [i for i in members if not _mappable(i)]
            # What a compressed member costs once read: the array its header claims.
            check_fits(path, npz_bytes(path, zf, packed), "its compressed arrays")
            arrays = {i.filename[:-4]: _read_member(zf, i) for i in packed}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot read {path} as .npz: {exc}") from exc
    if stored:
        arrays.update(_map_members(path, stored))
    return arrays


def release(x: np.ndarray) -> None:
    """Drop the file pages `x` (a view of a mapped member) holds from this process's memory; they
    are read again from the page cache if touched. Arrays in memory are left alone."""
    m = _mapping(x)
    if m is None or not hasattr(m, "madvise") or x.nbytes == 0 or not x.flags.c_contiguous:
        return
    begin = x.__array_interface__["data"][0] - np.frombuffer(m, np.uint8, count=1).ctypes.data
    start = begin - begin % mmap.PAGESIZE
    m.madvise(mmap.MADV_DONTNEED, start, min(begin + x.nbytes, len(m)) - start)


def _mappable(info: zipfile.ZipInfo) -> bool:
    return info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1  # not encrypted


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with zf.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _map_members(path: Path, members: list[zipfile.ZipInfo]) -> dict[str, np.ndarray]:
    with path.open("rb") as f:
        whole = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return {i.filename[:-4]: _map_member(f, whole, i) for i in members}
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"cannot read {path} as .npz: {exc}") from exc


def _map_member(f, whole: mmap.mmap, info: zipfile.ZipInfo) -> np.ndarray:
    """The member's array as a read-only view of the mapped file, after checking its zip and
    .npy headers: where it starts, its dtype, shape and order, and that the file holds it all."""
    f.seek(info.header_offset)
    header = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
    if header[0] != _LOCAL_SIGNATURE:
        raise ValueError(f"member {info.filename} has no zip local header")
    f.seek(info.header_offset + _LOCAL_HEADER.size + header[9] + header[10])
    shape, fortran, dtype = read_npy_header(f)
    if dtype.hasobject:
        raise ValueError(
            f"member {info.filename} holds Python objects, which autonn never unpickles; save "
            "numeric arrays"
        )
    offset = f.tell()
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes > info.file_size or offset + nbytes > len(whole):
        raise ValueError(
            f"member {info.filename} claims {shape} {dtype} ({nbytes} bytes) but holds "
            f"{info.file_size} bytes; the file is truncated or not written by numpy"
        )
    return np.ndarray(shape, dtype, buffer=whole, offset=offset, order="F" if fortran else "C")


def _mapping(x: np.ndarray) -> mmap.mmap | None:
    base = x
    while isinstance(base, np.ndarray):
        base = base.base
    return base if isinstance(base, mmap.mmap) else None
