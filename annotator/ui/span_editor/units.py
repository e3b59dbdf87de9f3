"""Offsets as the browser counts them (UTF-16 code units) and as Python does (code points).

A character beyond the Basic Multilingual Plane (most emoji, some CJK) is one code point in
Python and two units in a JavaScript string, so every offset after it differs by one. The span
editor's offsets cross here, both ways, and nowhere else: Python keeps code points throughout.
"""

from __future__ import annotations

from bisect import bisect_left

# Code points above this take a surrogate pair, two UTF-16 units.
_BMP_LAST = 0xFFFF


def utf16_offsets(text: str) -> list[int]:
    """The UTF-16 offset of every code point offset of ``text``, 0 to ``len(text)`` inclusive."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > _BMP_LAST else 1))
    return offsets


def code_point_offset(text: str, unit: int, *, offsets: list[int] | None = None) -> int:
    """The code point offset of a UTF-16 offset into ``text``; ValueError for one that falls
    between the two halves of a character or outside the text."""
    offsets = utf16_offsets(text) if offsets is None else offsets
    if not 0 <= unit <= offsets[-1]:
        raise ValueError(f"offset {unit} is outside the text")
    index = bisect_left(offsets, unit)
    if offsets[index] != unit:
        raise ValueError(f"offset {unit} is inside a character")
    return index
