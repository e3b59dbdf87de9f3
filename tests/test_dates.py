"""Dates as reports write them, resolved to a day against the report's own date."""

from __future__ import annotations

from datetime import date

import pytest

from annotator.dates import date_from_meta, find_date, parse_date

# A Wednesday.
REPORTED = date(2023, 5, 10)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("3 May 2023", date(2023, 5, 3)),
        ("3rd of May 2023", date(2023, 5, 3)),
        ("May 3, 2023", date(2023, 5, 3)),
        ("Sept. 14, 2022", date(2022, 9, 14)),
        ("2023-05-03", date(2023, 5, 3)),
        ("2023-05-03T08:00:00Z", date(2023, 5, 3)),
        ("03/05/2023", date(2023, 5, 3)),  # day first
        ("05/13/2023", date(2023, 5, 13)),  # unless it cannot be
        ("3-4 May 2023", date(2023, 5, 3)),
        ("On 17 January 2024, troops", date(2024, 1, 17)),
    ],
)
def test_a_date_with_its_year_needs_no_reference(text, day):
    assert parse_date(text) == day
    assert parse_date(text, reference=REPORTED) == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("3 May", date(2023, 5, 3)),
        ("May 3", date(2023, 5, 3)),
        ("the night of 9 March", date(2023, 3, 9)),
        ("between 3 and 5 May", date(2023, 5, 3)),
        ("12 May", date(2023, 5, 12)),  # two days after the reference: the same year
        ("on Monday", date(2023, 5, 8)),
        ("Wednesday", date(2023, 5, 10)),
        ("last Wednesday", date(2023, 5, 3)),
        ("yesterday", date(2023, 5, 9)),
        ("last night", date(2023, 5, 9)),
        ("the next day", date(2023, 5, 11)),
        ("two days ago", date(2023, 5, 8)),
    ],
)
def test_a_date_without_its_year_is_resolved_against_the_reference(text, day):
    assert parse_date(text, reference=REPORTED) == day
    assert parse_date(text) is None


def test_the_year_is_the_one_nearest_the_reference():
    assert parse_date("28 December", reference=date(2024, 1, 2)) == date(2023, 12, 28)
    assert parse_date("2 January", reference=date(2023, 12, 30)) == date(2024, 1, 2)


@pytest.mark.parametrize("text", ["May 2023", "last week", "early May", "2023", "31 February 2023"])
def test_what_names_no_day_is_none(text):
    assert parse_date(text, reference=REPORTED) is None


def test_the_first_dated_sentence_and_the_meta_give_the_report_date():
    assert find_date("On 3 May 2023, in Shwebo, and on 5 May 2024") == (
        date(2023, 5, 3),
        "3 May 2023",
    )
    assert find_date("On Monday troops fired") is None
    assert date_from_meta({"Date": "2024-01-02"}) == (date(2024, 1, 2), "2024-01-02")
    assert date_from_meta({"published": "12 March 2021"}) == (date(2021, 3, 12), "12 March 2021")
    assert date_from_meta({"country": "Myanmar", "date": "unknown"}) is None
