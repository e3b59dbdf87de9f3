"""Dates as reports write them, resolved to a day: "3 May 2023", "May 3", "on Monday",
"yesterday", "the next day", "2023-05-03".

A date without its year, a weekday or a relative day is resolved against a reference date (the
report's own date): "3 May" is the 3 May nearest to it, "on Monday" the last Monday on or before
it, "yesterday" the day before it. Without a reference only a date with its year is a day.
A month or a year alone ("May 2023", "last week") names no day and gives None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The keys of a report's meta that hold its date, in the order they are tried.
META_KEYS = (
    "date",
    "event_date",
    "report_date",
    "published",
    "published_at",
    "publication_date",
    "pub_date",
    "created",
    "created_at",
)
# Days before (negative) or after the reference that a relative phrase names.
RELATIVE_DAYS = {
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "earlier today": 0,
    "the same day": 0,
    "that day": 0,
    "yesterday": -1,
    "last night": -1,
    "overnight": -1,
    "the previous day": -1,
    "the day before": -1,
    "the previous night": -1,
    "the night before": -1,
    "the day before yesterday": -2,
    "the next day": 1,
    "the following day": 1,
    "the day after": 1,
    "the next morning": 1,
    "the following morning": 1,
    "the next night": 1,
    "the following night": 1,
}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|'\d{2})"
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"\b(?P<first>\d{1,2})[./](?P<second>\d{1,2})[./](?P<year>\d{4}|\d{2})\b")
# "3 May 2023", "3rd of May", "3-4 May 2023", "between 3 and 5 May": the first day.
_DAY_MONTH = re.compile(
    rf"\b{_DAY}(?:\s*(?:-|–|to|and|&)\s*\d{{1,2}}(?:st|nd|rd|th)?)?\s+(?:of\s+)?{_MONTH}"
    rf"(?:,?\s+{_YEAR})?\b",
    re.IGNORECASE,
)
# "May 3, 2023", "May 3", "May 3-4".
_MONTH_DAY = re.compile(
    rf"\b{_MONTH}\s+{_DAY}(?:\s*(?:-|–)\s*\d{{1,2}})?(?!\d)(?:,?\s+{_YEAR})?\b", re.IGNORECASE
)
_WEEKDAY = re.compile(
    r"\b(?P<last>last\s+|this\s+past\s+|past\s+)?(?P<weekday>" + "|".join(WEEKDAYS) + r")\b",
    re.IGNORECASE,
)
_DAYS_AGO = re.compile(r"\b(?P<count>\d{1,2}|one|two|three|four|five|six|seven)\s+days?\s+ago\b")
_RELATIVE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, RELATIVE_DAYS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def parse_date(text: str, *, reference: date | None = None) -> date | None:
    """The day ``text`` names, resolved against ``reference`` where it needs one; else None."""
    found = _search(text, reference=reference, absolute_only=False)
    return None if found is None else found[0]


def find_date(text: str) -> tuple[date, str] | None:
    """The first date with its year in a text ("On 3 May 2023, ..."), and how it is written."""
    return _search(text, reference=None, absolute_only=True)


def date_from_meta(meta: Mapping[str, Any]) -> tuple[date, str] | None:
    """A report's date from its meta (``date``, ``published`` ... as ISO text or as written)."""
    lowered = {str(key).lower(): value for key, value in meta.items()}
    for key in META_KEYS:
        value = lowered.get(key)
        if isinstance(value, datetime):
            return value.date(), value.isoformat()
        if isinstance(value, date):
            return value, value.isoformat()
        if isinstance(value, str) and (found := find_date(value)) is not None:
            return found[0], value.strip()
    return None


def _search(text: str, *, reference: date | None, absolute_only: bool) -> tuple[date, str] | None:
    """The earliest date in ``text`` (a day it names), with the text that names it."""
    candidates: list[tuple[int, date, str]] = []
    for pattern in (_ISO, _NUMERIC, _DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            day = _from_match(match, reference=None if absolute_only else reference)
            if day is not None:
                candidates.append((match.start(), day, match.group(0)))
                break
    if not absolute_only and reference is not None:
        candidates.extend(_relative(text, reference=reference))
    if not candidates:
        return None
    _, day, written = min(candidates, key=lambda found: found[0])
    return day, written


def _from_match(match: re.Match[str], *, reference: date | None) -> date | None:
    groups = match.groupdict()
    if "first" in groups:
        first, second = int(groups["first"]), int(groups["second"])
        # Day first, as reports outside the United States write it, unless it cannot be.
        day, month = (second, first) if second > 12 >= first else (first, second)
        return _day(_year(groups["year"]), month, day)
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
    day = int(groups["day"])
    if groups.get("year"):
        return _day(_year(groups["year"]), month, day)
    if reference is None:
        return None
    # The year that puts the day nearest the reference: "28 December" in a report of 2 January
    # is last year's, "5 May" after a first sentence of 3 May 2023 is two days later.
    days = [_day(reference.year + offset, month, day) for offset in (0, -1, 1)]
    found = [candidate for candidate in days if candidate is not None]
    return min(found, key=lambda candidate: abs(candidate - reference), default=None)


def _relative(text: str, *, reference: date) -> list[tuple[int, date, str]]:
    found: list[tuple[int, date, str]] = []
    if match := _RELATIVE.search(text):
        offset = RELATIVE_DAYS[match.group(0).lower()]
        found.append((match.start(), reference + timedelta(days=offset), match.group(0)))
    if match := _DAYS_AGO.search(text.lower()):
        count = match.group("count")
        days = int(count) if count.isdigit() else _SMALL[count]
        found.append((match.start(), reference - timedelta(days=days), match.group(0)))
    if match := _WEEKDAY.search(text):
        weekday = WEEKDAYS.index(match.group("weekday").lower())
        back = (reference.weekday() - weekday) % 7
        if back == 0 and match.group("last"):
            back = 7  # "last Monday" said on a Monday is a week ago
        found.append((match.start(), reference - timedelta(days=back), match.group(0)))
    return found


def _year(text: str) -> int:
    digits = text.lstrip("'")
    return int(digits) + 2000 if len(digits) == 2 else int(digits)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
