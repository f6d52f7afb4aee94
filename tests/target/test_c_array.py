"""A model as a C array: the bytes come back out of the source text, aligned for TFLite Micro,
with a header that declares them once (milliseconds)."""

from __future__ import annotations

import re

import pytest

from autonn.target import c_array


def _parse(source: str, name: str) -> tuple[bytes, int]:
    body = re.search(rf"{name}\[\] = \{{(.*?)\}};", source, re.S)
    length = re.search(rf"const unsigned int {name}_len = (\d+);", source)
    assert body and length, source[:200]
    return bytes(int(v, 16) for v in re.findall(r"0x([0-9a-f]{2})", body.group(1))), int(
        length.group(1)
    )


@pytest.mark.parametrize("size", [0, 1, 12, 13, 5000])
def test_the_bytes_round_trip_through_the_source(size):
    blob = bytes((i * 37 + 11) % 256 for i in range(size))
    source, _ = c_array(blob, "g_model")
    assert _parse(source, "g_model") == (blob, size)


def test_the_array_is_16_byte_aligned_and_declared_by_the_header():
    source, header = c_array(b"TFL3\x00\x01", "g_model")
    assert "alignas(16) const unsigned char g_model[] = {" in source
    assert source.startswith('#include "g_model.h"')
    assert "extern const unsigned char g_model[];" in header
    assert "extern const unsigned int g_model_len;" in header
    guard = re.match(r"#ifndef (\w+)\n#define \1\n", header)
    assert guard and header.rstrip().endswith(f"#endif  // {guard.group(1)}")


def test_lines_stay_short():
    source, _ = c_array(bytes(range(256)) * 4, "model_data")
    assert max(len(line) for line in source.splitlines()) <= 80


@pytest.mark.parametrize("name", ["", "9model", "my-model", "a b"])
def test_a_name_that_is_no_c_identifier_is_refused(name):
    with pytest.raises(ValueError, match="C identifier"):
        c_array(b"\x00", name)
