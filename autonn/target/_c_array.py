"""A model as C++ source for a microcontroller build, as TFLite Micro's examples hold theirs.

The array is `alignas(16) const unsigned char`, as tflite-micro's generate_cc_arrays.py writes
it: TFLite Micro reads the flatbuffer in place, and its tensors' data must be aligned. The length
is `const unsigned int NAME_len`, as `xxd -i` names it (generate_cc_arrays.py calls it
NAME_size). The header declares both `extern`, so the definitions have external linkage.
"""

from __future__ import annotations

import re

_BYTES_PER_LINE = 12  # as xxd -i: lines of about 80 characters
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def c_array(blob: bytes, name: str) -> tuple[str, str]:
    """(source, header): `name.cc` text defining the array `name` holding `blob` and its length
    `name_len`, and `name.h` text declaring them; the source includes "name.h"."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"`name` must be a C identifier, but got {name!r}.")
    guard = f"{name.upper()}_H_"
    header = (
        f"#ifndef {guard}\n"
        f"#define {guard}\n\n"
        f"extern const unsigned char {name}[];\n"
        f"extern const unsigned int {name}_len;\n\n"
        f"#endif  // {guard}\n"
    )
    rows = [
        "  " + ", ".join(f"0x{b:02x}" for b in blob[i : i + _BYTES_PER_LINE]) + ","
        for i in range(0, len(blob), _BYTES_PER_LINE)
    ]
    source = (
        f'#include "{name}.h"\n\n'
        f"alignas(16) const unsigned char {name}[] = {{\n"
        + "".join(row + "\n" for row in rows)
        + "};\n"
        + f"const unsigned int {name}_len = {len(blob)};\n"
    )
    return source, header
