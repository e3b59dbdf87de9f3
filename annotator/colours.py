"""Colour maths for label colours: WCAG 2.x contrast, sRGB mixing and CIEDE2000 difference.

Colours are ``#rrggbb`` strings, as a label scheme writes them. Pure functions: no Streamlit,
no database, no dependency beyond the standard library.
"""

from __future__ import annotations

import math
import re

Lab = tuple[float, float, float]

WHITE = "#ffffff"
BLACK = "#000000"
# WCAG 2.x success criterion 1.4.3 (AA) for normal-size text; badges are small bold text.
AA_TEXT = 4.5

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# CIE D65 reference white (2° observer), the white point of sRGB.
_D65 = (0.95047, 1.0, 1.08883)


def channels(colour: str) -> tuple[int, int, int]:
    """The red, green and blue bytes of ``#rrggbb``; ValueError for anything else."""
    if not _HEX.match(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(byte: int) -> float:
    # WCAG writes the threshold as 0.03928, sRGB as 0.04045; no 8-bit value lies between them.
    value = byte / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance: 0 for black, 1 for white."""
    red, green, blue = (_linear(byte) for byte in channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ink_on(background: str) -> str:
    """The text colour that reads best on ``background``: white, or black where black reads
    better (one of the two always reaches 4.5:1)."""
    white, black = contrast_ratio(WHITE, background), contrast_ratio(BLACK, background)
    return WHITE if white >= black else BLACK


def mix(colour: str, other: str, *, share: float) -> str:
    """``share`` of ``colour`` and the rest of ``other``, as CSS ``color-mix(in srgb, ...)`` does.

    Also what a browser paints for ``colour`` at opacity ``share`` over ``other``.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    mixed = (
        round(share * a + (1 - share) * b)
        for a, b in zip(channels(colour), channels(other), strict=True)
    )
    return "#" + "".join(f"{byte:02x}" for byte in mixed)


def lab(colour: str) -> Lab:
    """CIE L*a*b* (D65) of an sRGB colour."""
    red, green, blue = (_linear(byte) for byte in channels(colour))
    xyz = (
        0.4124564 * red + 0.3575761 * green + 0.1804375 * blue,
        0.2126729 * red + 0.7151522 * green + 0.0721750 * blue,
        0.0193339 * red + 0.1191920 * green + 0.9503041 * blue,
    )
    fx, fy, fz = (_lab_f(value / white) for value, white in zip(xyz, _D65, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _lab_f(t: float) -> float:
    delta = 6 / 29
    return t ** (1 / 3) if t > delta**3 else t / (3 * delta**2) + 4 / 29


def ciede2000(first: Lab, second: Lab) -> float:
    """The CIEDE2000 colour difference of two L*a*b* colours (kL = kC = kH = 1).

    Follows Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula:
    implementation notes, supplementary test data, and mathematical observations".
    """
    l1, a1, b1 = first
    l2, a2, b2 = second
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1 = math.degrees(math.atan2(b1, a1)) % 360 if c1 else 0.0
    h2 = math.degrees(math.atan2(b2, a2)) % 360 if c2 else 0.0

    dl = l2 - l1
    dc = c2 - c1
    if c1 * c2 == 0:
        dh = 0.0
    elif abs(h2 - h1) <= 180:
        dh = h2 - h1
    else:
        dh = h2 - h1 - 360 if h2 > h1 else h2 - h1 + 360
    dh_big = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))

    l_mean = (l1 + l2) / 2
    c_mean = (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    d_theta = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_mean**7 / (c_mean**7 + 25**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * c_mean
    s_h = 1 + 0.015 * c_mean * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2 + r_t * (dc / s_c) * (dh_big / s_h)
    )


def delta_e(first: str, second: str) -> float:
    """How different two colours look: CIEDE2000 of their L*a*b*, about 1 at a bare notice."""
    return ciede2000(lab(first), lab(second))
