"""Counts read from text as integers, with the lower bound a report gives ("at least 12")."""

from __future__ import annotations

import pytest

from annotator.numbers import Count, parse_count


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("seven", Count(7)),
        ("7", Count(7)),
        ("Seven", Count(7)),
        ("twenty-one", Count(21)),
        ("twenty one", Count(21)),
        ("one hundred and five", Count(105)),
        ("three thousand five hundred", Count(3500)),
        ("1,200", Count(1200)),
        ("1.5 million", Count(1_500_000)),
        ("a dozen", Count(12)),
        ("half a dozen", Count(6)),
        ("two dozen", Count(24)),
        ("a hundred", Count(100)),
        ("about 30", Count(30)),
        ("nearly 20", Count(20)),
        ("up to 15", Count(15)),
        ("the 64", Count(64)),
        ("none", Count(0)),
    ],
)
def test_a_number_as_written_is_its_value(text, count):
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("at least 12", 12),
        ("At least twelve", 12),
        ("more than 20", 20),
        ("over 100", 100),
        ("no fewer than 8", 8),
        ("12 or more", 12),
        ("30+", 30),
        # A range gives its low end: the most conservative figure.
        ("10-15", 10),
        ("10–15", 10),
        ("10 to 15", 10),
        ("between 25 and 30", 25),
        ("two or three", 2),
        # ACLED's codebook for vague figures.
        ("dozens", 12),
        ("dozens of", 12),
        ("several", 10),
        ("several hundred", 100),
        ("hundreds of", 100),
    ],
)
def test_a_lower_bound_says_so(text, value):
    assert parse_count(text) == Count(value, lower_bound=True)


@pytest.mark.parametrize("text", ["", "killed", "a", "people", "and"])
def test_no_number_is_none(text):
    assert parse_count(text) is None


def test_a_range_the_wrong_way_round_is_two_numbers():
    # "15-10" is no range: the first number, as written.
    assert parse_count("15-10") == Count(15)
