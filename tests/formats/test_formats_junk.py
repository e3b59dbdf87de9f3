"""Files that are no text (a PDF, a binary, another encoding) are refused by name, once, whatever
their suffix; JSONL records without a decision are split into sentences like .txt files and CSV
rows, unless the records are to be kept whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import InvalidRecord, Record, read_records

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str | bytes], Path]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256))


@pytest.mark.parametrize("name", ["report.pdf", "report.txt", "records.jsonl", "reports.csv"])
def test_a_pdf_is_refused_by_name_whatever_its_suffix(
    read_all: Reader, write_file: Writer, name: str
) -> None:
    path = write_file(name, PDF)

    records, errors = read_all([path])

    assert records == []
    assert errors == [
        InvalidRecord(
            str(path), 0, "is a PDF, not text: extract its text (pdftotext) and import that"
        )
    ]


@pytest.mark.parametrize("name", ["photo.txt", "records.jsonl", "reports.csv", "tags.conll"])
def test_a_binary_file_is_refused_once_not_line_by_line(
    read_all: Reader, write_file: Writer, name: str
) -> None:
    # A JPEG's first bytes, then noise: thousands of "lines" that are not UTF-8.
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 200
    path = write_file(name, data)

    records, errors = read_all([path])

    assert records == []
    assert [str(error) for error in errors] == [
        f"{path}:0: is a binary file (it holds NUL bytes), not text"
    ]


def test_text_in_another_encoding_is_refused_once(read_all: Reader, write_file: Writer) -> None:
    # Cyrillic in Windows-1251: almost every byte is invalid UTF-8.
    data = ("Войска обстреляли деревню.\n" * 50).encode("cp1251")
    path = write_file("report.txt", data)

    records, errors = read_all([path])

    assert records == []
    assert [str(error) for error in errors] == [
        f"{path}:0: is not UTF-8 text (a binary file, or text in another encoding: "
        "save it as UTF-8)"
    ]


def test_one_stray_byte_is_still_named_by_its_line(read_all: Reader, write_file: Writer) -> None:
    path = write_file("report.txt", b"First line.\nSecond line.\nThird \xe9 line.\n")

    _, errors = read_all([path])

    assert [(error.line, error.reason) for error in errors] == [
        (3, "is not valid UTF-8 (byte 0xe9 at column 7)")
    ]


def test_a_jsonl_record_without_a_decision_is_split(read_all: Reader, write_file: Writer) -> None:
    text = "Troops shelled Moebye. Residents fled."
    path = write_file("records.jsonl", json.dumps({"text": text}) + "\n")

    (record,), errors = read_all([path])

    assert errors == [] and record.split is True


def test_an_annotated_jsonl_record_stays_whole(read_all: Reader, write_file: Writer) -> None:
    # Its offsets count from the start of the record: split, they would point elsewhere.
    task = {
        "text": "Troops shelled Moebye. Residents fled.",
        "spans": [{"start": 15, "end": 21, "label": "GPE"}],
        "answer": "accept",
    }
    path = write_file("records.jsonl", json.dumps(task) + "\n")

    (record,), errors = read_all([path])

    assert errors == [] and record.split is False


def test_keep_records_keeps_every_record_whole(scheme: Any, write_file: Writer) -> None:
    jsonl = write_file("records.jsonl", json.dumps({"text": "One. Two."}) + "\n")
    table = write_file("reports.csv", "text\nOne. Two.\n")

    records = list(read_records([jsonl, table], scheme=scheme, keep_records=True))

    assert [record.split for record in records] == [False, False]
