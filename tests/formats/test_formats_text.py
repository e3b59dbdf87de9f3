"""Plain text: one report per .txt file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str | bytes], Path]

REPORT = "Junta troops shelled Moebye on Monday.\nResidents fled to the forest.\n"


def test_file_is_one_report_to_split(read_all: Reader, write_file: Writer) -> None:
    path = write_file("moebye.txt", REPORT)

    records, errors = read_all([path])

    assert errors == []
    assert records == [
        Record(
            text=REPORT,
            source=str(path),
            line=1,
            meta={"file": "moebye.txt"},
            split=True,
            annotation=None,
            text_lines=True,
        )
    ]


def test_invalid_utf8_names_the_line_of_the_first_bad_byte(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file("report.txt", b"First line.\nSecond line.\nThird \xe9 line \xff.\n")

    records, errors = read_all([path])

    assert records == []
    assert [(error.line, error.reason) for error in errors] == [
        (3, "is not valid UTF-8 (byte 0xe9 at column 7)")
    ]


@pytest.mark.parametrize("content", ["", " \n\t\n"])
def test_an_empty_or_blank_file_is_a_blank_record_not_an_error(
    content: str, read_all: Reader, write_file: Writer
) -> None:
    path = write_file("report.txt", content)

    records, errors = read_all([path])

    assert [(record.line, record.blank) for record in records] == [(1, True)]
    assert errors == []


def test_html_is_kept_literally(read_all: Reader, write_file: Writer) -> None:
    text = '<script>alert("x")</script>\n<p>Shelling &amp; clashes.</p>\n'
    path = write_file("report.txt", text)

    records, _ = read_all([path])

    assert records[0].text == text


def test_byte_order_mark_is_dropped(read_all: Reader, write_file: Writer) -> None:
    path = write_file("report.txt", "\ufeff" + REPORT)

    records, _ = read_all([path])

    assert records[0].text == REPORT
