"""CSV: a report per row in a text column, numbered by the line its row starts on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator.formats import Record

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str | bytes], Path]


def test_rows_become_reports_with_other_columns_as_meta(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file(
        "reports.csv",
        "id,text,url\n"
        "1,Junta troops shelled Moebye.,https://example.org/1\n"
        '2,"Residents fled, again.",\n',
    )

    records, errors = read_all([path])

    assert errors == []
    assert records == [
        Record(
            text="Junta troops shelled Moebye.",
            source=str(path),
            line=2,
            meta={"id": "1", "url": "https://example.org/1"},
            split=True,
            annotation=None,
        ),
        Record(
            text="Residents fled, again.",
            source=str(path),
            line=3,
            meta={"id": "2", "url": ""},
            split=True,
            annotation=None,
        ),
    ]


def test_multi_line_cells_keep_real_line_numbers(read_all: Reader, write_file: Writer) -> None:
    path = write_file(
        "reports.csv",
        "id,text\n"
        '1,"First paragraph.\n\nSecond paragraph."\n'
        "2,One line.\r\n"
        '3,"Two\r\nlines."\n'
        "4,\n"
        "5,Last.\n",
    )

    records, errors = read_all([path])

    assert [(record.meta["id"], record.line, record.blank) for record in records] == [
        ("1", 2, False),
        ("2", 5, False),
        ("3", 6, False),
        ("4", 8, True),
        ("5", 9, False),
    ]
    assert records[0].text == "First paragraph.\n\nSecond paragraph."
    assert records[2].text == "Two\r\nlines."
    assert errors == []


def test_missing_text_column_is_one_error_naming_the_file(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file("reports.csv", "id,body\n1,Shelling.\n2,Clashes.\n")

    records, errors = read_all([path])

    assert records == []
    assert [(error.source, error.line, error.reason) for error in errors] == [
        (
            str(path),
            1,
            "no \"text\" column (the columns are 'id', 'body'); name the column that holds the "
            "text with --text-column",
        )
    ]


def test_empty_text_rows_are_blank_records_not_errors(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "text,id\nShelling.,1\n,2\n   ,3\nClashes.,4\n")

    records, errors = read_all([path])

    assert [(record.line, record.blank) for record in records] == [
        (2, False),
        (3, True),
        (4, True),
        (5, False),
    ]
    assert errors == []


def test_invalid_utf8_names_the_line(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", b'id,text\n1,"Caf\xe9\nbar"\n2,Fine.\n3,Cr\xff\n')

    records, errors = read_all([path])

    assert [record.line for record in records] == [4]
    assert [(error.line, error.reason) for error in errors] == [
        (2, "is not valid UTF-8 (byte 0xe9 at column 7)"),
        (5, "is not valid UTF-8 (byte 0xff at column 5)"),
    ]


def test_row_with_wrong_number_of_fields(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "id,text\n1,Shelling,continued.\n2,Fine.\n")

    records, errors = read_all([path])

    assert [record.line for record in records] == [3]
    assert [(error.line, error.reason) for error in errors] == [
        (2, "row has 3 fields but the header has 2")
    ]


def test_unclosed_quote_is_an_error_at_the_row_it_starts(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file("reports.csv", 'id,text\n1,Fine.\n2,"Never closed.\n3,Swallowed.\n')

    records, errors = read_all([path])

    assert [record.line for record in records] == [2]
    assert [(error.line, error.reason) for error in errors] == [
        (3, "invalid CSV: a quoted field that starts in this row is never closed")
    ]


def test_empty_file_is_an_error(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "")

    _, errors = read_all([path])

    assert [(error.line, error.reason) for error in errors] == [
        (1, "file is empty; expected a header with a text column")
    ]


def test_blank_first_line_is_not_a_header(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "\ntext\nShelling.\n")

    _, errors = read_all([path])

    assert [(error.line, error.reason) for error in errors] == [
        (1, "the first line must be a header with a text column")
    ]


def test_byte_order_mark_before_the_header_is_ignored(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "\ufefftext,id\nShelling.,1\n")

    records, errors = read_all([path])

    assert errors == []
    assert records[0].meta == {"id": "1"}


def test_html_is_kept_literally(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", 'text\n"<script>alert(""x"")</script> &amp; <b>bold</b>"\n')

    records, errors = read_all([path])

    assert errors == []
    assert records[0].text == '<script>alert("x")</script> &amp; <b>bold</b>'
