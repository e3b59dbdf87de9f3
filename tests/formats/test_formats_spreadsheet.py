"""Cells a spreadsheet would run as a formula are written with a leading apostrophe, in every CSV
the product writes; numbers stay numbers, and the spans CSV reads its own escapes back."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation
from annotator.formats.spans_csv import write
from annotator.formats.spreadsheet import escape_cell, unescape_cell
from annotator.spans import Span

Reader = Callable[..., tuple[list[Record], list[Any]]]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(1)"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_prefix_is_escaped_and_read_back(value: str) -> None:
    escaped = escape_cell(value)
    assert escaped == "'" + value
    assert unescape_cell(escaped) == value


@pytest.mark.parametrize("value", ["-12", "-0.5", "+3", "-1e5", "Troops fled.", "", "'quoted"])
def test_numbers_and_plain_text_are_left_alone(value: str) -> None:
    assert escape_cell(value) == value
    assert unescape_cell(value) == value


@pytest.mark.parametrize("value", ["'=1", "''", "''x", "'-5"])
def test_a_text_that_looks_escaped_survives_the_round_trip(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value


def test_values_that_are_no_strings_pass_through() -> None:
    assert escape_cell(-3) == -3
    assert escape_cell(None) is None


def test_the_spans_csv_escapes_formulas_and_reads_them_back(
    tmp_path: Path, read_all: Reader
) -> None:
    text = "=1+2 troops shelled Moebye."
    record = Record(
        text=text,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(Span(20, 26, "GPE"),),
            events=(),
            categories=(),
            annotator="@evil",
            status="accept",
        ),
    )
    path = tmp_path / "spans.csv"
    write([record], path)

    with path.open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["text"] == "'" + text
    assert row["span_text"] == "Moebye"
    assert row["annotator"] == "'@evil"
    assert (row["start_char"], row["end_char"]) == ("20", "26")

    (back,), errors = read_all([path])
    assert errors == []
    assert back.text == text
    assert back.annotation is not None and back.annotation.annotator == "@evil"
    assert back.annotation.entities == (Span(20, 26, "GPE"),)
