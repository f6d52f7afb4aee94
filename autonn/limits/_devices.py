"""Real boards' RAM and flash, as limits. The share kept back is for what else runs there: the
application's own buffers, stack and heap in RAM, the firmware and TFLite Micro's kernels in
flash (tens of KB)."""

from __future__ import annotations

from dataclasses import dataclass

from autonn.errors import UsageError
from autonn.limits._limit import Limit, parse_bytes

RESERVE = 0.25  # default share of a board's RAM and flash kept back for the application


@dataclass(frozen=True)
class Device:
    name: str
    ram_bytes: int  # on-chip SRAM
    flash_bytes: int  # on-chip flash, or the flash chip of the usual board

    def limits(self, reserve: float = RESERVE) -> tuple[Limit, ...]:
        if not 0 <= reserve < 1:
            raise UsageError(f"--reserve must be at least 0 and below 1, but got {reserve}")
        keep = 1.0 - reserve
        return (
            Limit("ram_bytes", "<=", float(int(self.ram_bytes * keep))),
            Limit("flash_bytes", "<=", float(int(self.flash_bytes * keep))),
        )


_KB = 1024
DEVICES = {
    "nano33ble": Device("Arduino Nano 33 BLE (nRF52840)", 256 * _KB, 1024 * _KB),
    "stm32f446": Device("STM32F446RE (Nucleo-F446RE)", 128 * _KB, 512 * _KB),
    "stm32l432": Device("STM32L432KC (Nucleo-L432KC)", 64 * _KB, 256 * _KB),
    "rp2040": Device("Raspberry Pi Pico (RP2040)", 264 * _KB, 2048 * _KB),
    "esp32s3": Device("ESP32-S3 (DevKitC-1 N8)", 512 * _KB, 8192 * _KB),
}


def parse_device(spec: str) -> Device:
    """A name from DEVICES, or one's own board as `ram=96KB,flash=512KB` (either may be left out:
    that resource is then not limited)."""
    if spec in DEVICES:
        return DEVICES[spec]
    if "=" not in spec:
        names = ", ".join(sorted(DEVICES))
        raise UsageError(
            f"--device {spec!r}: unknown board; choose from {names}, or give your own as "
            "--device 'ram=96KB,flash=512KB'"
        )
    sizes = {"ram": 0.0, "flash": 0.0}
    for part in spec.split(","):
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in sizes:
            raise UsageError(f"--device {spec!r}: {key!r} is not ram or flash")
        try:
            sizes[key] = parse_bytes(value)
        except ValueError as exc:
            raise UsageError(f"--device {spec!r}: {exc}") from None
    return Device(f"custom ({spec})", int(sizes["ram"]), int(sizes["flash"]))


def device_limits(spec: str, reserve: float = RESERVE) -> tuple[Limit, ...]:
    """The RAM and flash limits of board `spec`, less the share kept back; a resource a custom
    board leaves out (0) is not limited."""
    return tuple(limit for limit in parse_device(spec).limits(reserve) if limit.bound > 0)
