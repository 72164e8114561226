"""Identifiers the sandbox hands out: ObjectIds, OCR numbers, keys, all reproducible from a seed."""

from __future__ import annotations

import random
from datetime import datetime

from .._validation import luhn_check_digit

__all__ = ["IdFactory", "is_object_id"]

_HEX = frozenset("0123456789abcdef")


def is_object_id(value: str) -> bool:
    """Whether ``value`` looks like a MongoDB ObjectId (24 lower-case hex digits)."""
    return len(value) == 24 and all(char in _HEX for char in value)


class IdFactory:
    """Makes every identifier of one sandbox; the same seed gives the same identifiers.

    ObjectIds follow MongoDB's layout (4-byte creation time, 5-byte "process"
    value, 3-byte counter), so they sort by creation like real ones.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._process = self._rng.getrandbits(40)
        self._counter = self._rng.getrandbits(24)
        self._ocr_serial = self._rng.randrange(10**9, 10**10)
        self._reference = self._rng.randrange(10_000, 60_000)

    def object_id(self, when: datetime) -> str:
        """A new 24-hex-digit ObjectId stamped with ``when``."""
        self._counter = (self._counter + 1) % (1 << 24)
        stamp = int(when.timestamp()) & 0xFFFFFFFF
        return f"{stamp:08x}{self._process:010x}{self._counter:06x}"

    def hex_token(self, n_bytes: int = 16) -> str:
        """Random hex digits (``2 * n_bytes`` of them)."""
        return f"{self._rng.getrandbits(8 * n_bytes):0{2 * n_bytes}x}"

    def ocr_number(self, when: datetime) -> str:
        """A 20-digit OCR payment reference ending in a Luhn check digit.

        Shaped like the documented ``20252463478311301072``: year, day of the
        year, a serial number, then the check digit.
        """
        self._ocr_serial += 1
        body = f"{when.year:04d}{when.timetuple().tm_yday:03d}{self._ocr_serial % 10**12:012d}"
        return body + str(luhn_check_digit(body))

    def reference_number(self) -> str:
        """The next case reference number (digits, like ``48640``)."""
        self._reference += 1
        return str(self._reference)
