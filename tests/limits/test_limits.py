"""Limits, boards and the floor: parsing, what breaks what and by how much (no Ray, no training)."""

from __future__ import annotations

import pytest

from autonn.errors import UsageError
from autonn.limits import (
    DEVICES,
    Limit,
    broken,
    device_limits,
    floor_value,
    parse_bytes,
    parse_device,
    parse_limit,
    trivial_score,
    violations,
)


@pytest.mark.parametrize(
    "text, bytes_",
    [("300000", 300000), ("64KB", 65536), ("64 KiB", 65536), ("1.5MB", 1.5 * 2**20), ("2e6", 2e6)],
)
def test_sizes_read_as_datasheets_write_them(text, bytes_):
    assert parse_bytes(text) == bytes_


def test_a_limit_reads_its_name_bound_and_direction():
    assert parse_limit("ram_bytes<=64KB") == Limit("ram_bytes", "<=", 65536.0)
    assert parse_limit(" accuracy >= 0.9 ") == Limit("accuracy", ">=", 0.9)
    assert parse_limit("ram_bytes<=64KB").text == "ram_bytes<=65536"


@pytest.mark.parametrize(
    "text, says",
    [
        ("ram_bytes<64KB", "NAME<=VALUE or NAME>=VALUE"),
        ("ram<=64KB", "unknown name 'ram'"),
        ("ram_bytes<=lots", "not a number"),
        ("ram_bytes<=64XB", "not a number"),
    ],
)
def test_a_bad_limit_is_one_line_naming_the_flag(text, says):
    with pytest.raises(UsageError) as err:
        parse_limit(text, known=("ram_bytes", "accuracy"))
    assert "--limit" in str(err.value) and says in str(err.value)
    assert "\n" not in str(err.value)


def test_excess_is_relative_to_the_bound_in_either_direction():
    ram, acc = Limit("ram_bytes", "<=", 1000.0), Limit("accuracy", ">=", 0.8)
    assert ram.excess(1250) == pytest.approx(0.25) and ram.excess(1000) == 0.0
    assert acc.excess(0.6) == pytest.approx(0.25) and acc.excess(0.95) == 0.0
    assert ram.excess(None) is None  # a value not known breaks nothing yet
    limits = (ram, acc)
    assert broken(limits, {"ram_bytes": 1250, "accuracy": 0.95}) == {"ram_bytes<=1000": 0.25}
    assert violations(limits, {"ram_bytes": 900}) == [0.0, 0.0]


def test_a_board_is_its_ram_and_flash_less_the_reserve():
    ram, flash = device_limits("stm32f446", reserve=0.25)
    assert (ram.text, flash.text) == ("ram_bytes<=98304", "flash_bytes<=393216")
    assert device_limits("nano33ble", reserve=0.0)[0].bound == 256 * 1024
    assert {"nano33ble", "stm32f446", "rp2040", "esp32s3"} <= set(DEVICES)


def test_ones_own_board_and_bad_boards():
    assert parse_device("ram=96KB,flash=1MB").ram_bytes == 96 * 1024
    assert [lim.name for lim in device_limits("ram=96KB")] == ["ram_bytes"]  # flash not limited
    with pytest.raises(UsageError, match="choose from"):
        parse_device("arduino-uno")
    with pytest.raises(UsageError, match="not ram or flash"):
        parse_device("sram=96KB")
    with pytest.raises(UsageError, match="--reserve"):
        device_limits("rp2040", reserve=1.0)


def test_the_trivial_predictor_and_the_floor():
    # classification: the majority class of the training split, scored on validation
    assert trivial_score("accuracy", "classification", [0, 1, 1, 1], [1, 0, 1, 1]) == 0.75
    # regression: the training mean (2.0) against the validation targets
    assert trivial_score("mae", "regression", [1.0, 2.0, 3.0], [2.0, 4.0]) == pytest.approx(1.0)
    assert floor_value(0.1, 0.9, 0.8) == pytest.approx(0.74)
    assert floor_value(70.0, 50.0, 0.5) == pytest.approx(60.0)  # an error: the floor is a ceiling
