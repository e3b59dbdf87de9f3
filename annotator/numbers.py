"""Counts as reports write them, read as integers: "seven" is 7, "at least 12" is 12 and a lower
bound, "10-15" is 10 and a lower bound, "1,200" is 1200.

A range gives its low end and says it is a lower bound, as ACLED codes fatalities: the most
conservative figure a report gives. Vague quantities follow ACLED's codebook: "dozens" is 12,
"several" and "many" are 10, "scores of" 20, "hundreds" 100, "thousands" 1000, each a lower bound.
Upper bounds ("up to 15", "nearly 20") and estimates ("about 30") give the number as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "single": 1,
    "couple": 2,
    "pair": 2,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
# A number word that multiplies what comes before it without ending the number ("two dozen").
_DOZEN = {"dozen": 12}
# ACLED's codebook: how many a vague quantity counts, always as a lower bound.
_VAGUE = {
    "several": 10,
    "many": 10,
    "numerous": 10,
    "multiple": 10,
    "scores": 20,
    "dozens": 12,
    "hundreds": 100,
    "thousands": 1000,
}
# Words before a number that make it a lower bound ("at least 12", "more than 20").
_LOWER_BOUND_BEFORE = (
    ("at", "least"),
    ("more", "than"),
    ("over",),
    ("no", "fewer", "than"),
    ("no", "less", "than"),
    ("not", "less", "than"),
    ("not", "fewer", "than"),
    ("upwards", "of"),
    ("upward", "of"),
    ("in", "excess", "of"),
    ("a", "minimum", "of"),
    ("minimum",),
    ("above",),
    ("exceeding",),
)
# Words after a number that make it a lower bound ("12 or more", "30+").
_LOWER_BOUND_AFTER = (("or", "more"), ("and", "more"), ("+",), ("plus",), ("at", "least"))
# What joins the two ends of a range ("10-15", "10 to 15", "two or three", "between 5 and 7").
_RANGE_JOINS = frozenset({"-", "to", "or", "/"})
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[+\-/]")
# Thousands separators: "1,200", "12,000,000" (a comma between numbers is no separator).
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-", "~": " "})


@dataclass(frozen=True)
class Count:
    """A count read from text: its value, and whether the text says "at least" that many."""

    value: int
    lower_bound: bool = False


def parse_count(text: str) -> Count | None:
    """The count a phrase gives ("seven", "at least 12", "10-15", "dozens"); None for none."""
    tokens = _TOKEN.findall(_THOUSANDS.sub("", text.lower().translate(_DASHES)))
    for start in range(len(tokens)):
        found = _number_at(tokens, start)
        if found is None:
            continue
        value, lower, end = found
        lower = lower or _ends_with(tokens[:start], _LOWER_BOUND_BEFORE)
        between = start > 0 and tokens[start - 1] == "between"
        if end < len(tokens) and (
            tokens[end] in _RANGE_JOINS or (between and tokens[end] == "and")
        ):
            upper = _number_at(tokens, end + 1)
            if upper is not None and upper[0] >= value:
                # A range counts its low end, at least: the most conservative figure.
                return Count(int(value), lower_bound=True)
        lower = lower or _starts_with(tokens[end:], _LOWER_BOUND_AFTER)
        return Count(int(value), lower_bound=lower)
    return None


def _number_at(tokens: list[str], start: int) -> tuple[float, bool, int] | None:
    """The number that begins at ``tokens[start]``: (value, lower bound, the index after it)."""
    if start >= len(tokens):
        return None
    first = tokens[start]
    following = tokens[start + 1] if start + 1 < len(tokens) else ""
    if first == "none" or (first == "no" and following in ("one", "body")):
        return 0.0, False, start + (1 if first == "none" else 2)
    if first in _VAGUE:
        value, end = float(_VAGUE[first]), start + 1
        if following in _SCALES:
            # "several hundred" counts as "hundreds" does.
            value, end = float(_SCALES[following]), end + 1
        if end < len(tokens) and tokens[end] == "of":
            end += 1
        return value, True, end
    if first[0].isdigit():
        value, end = float(first), start + 1
        while end < len(tokens) and (tokens[end] in _SCALES or tokens[end] in _DOZEN):
            value *= _SCALES.get(tokens[end]) or _DOZEN[tokens[end]]
            end += 1
        return value, False, end
    return _words_at(tokens, start)


def _words_at(tokens: list[str], start: int) -> tuple[float, bool, int] | None:
    """A number written in words: "seven", "twenty-one", "one hundred and five", "a dozen"."""
    total, current, end, seen = 0.0, 0.0, start, False
    while end < len(tokens):
        word = tokens[end]
        following = tokens[end + 1] if end + 1 < len(tokens) else ""
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
            if following == "-" and end + 2 < len(tokens) and tokens[end + 2] in _UNITS:
                end += 1  # "twenty-one": the hyphen joins, it is no range
        elif word in _SCALES or word in _DOZEN:
            scale = _SCALES.get(word) or _DOZEN[word]
            if word == "hundred" or word in _DOZEN:
                current = (current or 1.0) * scale
            else:
                total += (current or 1.0) * scale
                current = 0.0
        elif word in ("a", "an") and not seen and (following in _SCALES or following in _DOZEN):
            pass  # "a hundred", "a dozen"
        elif word == "half" and not seen and following in ("a", "an"):
            current += 0.5
            end += 1  # "half a dozen"
        elif word == "and" and seen and (following in _UNITS or following in _TENS):
            pass  # "one hundred and five"
        elif word == "of" and seen and end > start and tokens[end - 1] in _DOZEN:
            pass  # "a dozen of"
        else:
            break
        seen = seen or word not in ("a", "an", "and", "of")
        end += 1
    if not seen or tokens[end - 1] in ("a", "an", "and"):
        return None
    return total + current, False, end


def _ends_with(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(tokens[-len(phrase) :]) == phrase for phrase in phrases if phrase)


def _starts_with(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(tokens[: len(phrase)]) == phrase for phrase in phrases)
