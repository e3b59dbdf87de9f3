"""read_records: streams valid records from every file, then fails with every problem at once."""

from __future__ import annotations

import json
import pickle
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import (
    ImportFailed,
    InvalidRecord,
    Record,
    read_records,
    validate_records,
)
from annotator.formats.registry import SUFFIXES
from annotator.labels import LabelScheme

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str | bytes], Path]


def test_three_bad_lines_give_three_errors_after_the_good_records(
    scheme: LabelScheme, write_file: Writer
) -> None:
    path = write_file(
        "tasks.jsonl",
        '{"text": "One."}\n'
        "not json\n"
        '{"text": "Two."}\n'
        '{"text": ""}\n'
        '{"text": "Three.", "answer": "maybe"}\n'
        '{"text": "Four."}\n',
    )
    records = read_records([path], scheme=scheme)

    read = [next(records) for _ in range(4)]
    with pytest.raises(ImportFailed) as failed:
        next(records)

    # A blank text is no problem: it comes as a blank record, which an import skips and counts.
    assert [(record.text, record.blank) for record in read] == [
        ("One.", False),
        ("Two.", False),
        ("", True),
        ("Four.", False),
    ]
    assert [error.line for error in failed.value.errors] == [2, 5]
    assert str(failed.value).splitlines() == [str(error) for error in failed.value.errors]


def test_errors_of_every_file_are_collected_in_order(
    read_all: Reader, write_file: Writer, tmp_path: Path
) -> None:
    good = write_file("good.txt", "Shelling continued.")
    empty = write_file("empty.txt", "")
    table = write_file("reports.csv", 'text\n\nFine.\n""\n')
    other = write_file("reports.xml", "<reports/>")
    missing = tmp_path / "missing.jsonl"

    records, errors = read_all([good, empty, table, other, missing, tmp_path.with_suffix(".csv")])

    assert [(record.source, record.line, record.blank) for record in records] == [
        (str(good), 1, False),
        (str(empty), 1, True),
        (str(table), 3, False),
        (str(table), 4, True),
    ]
    assert [(error.source, error.line) for error in errors] == [
        (str(other), 0),
        (str(missing), 0),
        (str(tmp_path.with_suffix(".csv")), 0),
    ]
    assert errors[0].reason == (
        "unsupported file type ('.xml'); use a brat folder or " + ", ".join(SUFFIXES)
    )
    assert ".txt, .csv, .jsonl" in errors[0].reason
    assert errors[1].reason == "cannot be read (No such file or directory)"


def test_a_folder_is_not_a_file(read_all: Reader, tmp_path: Path) -> None:
    folder = tmp_path / "reports.txt"
    folder.mkdir()

    _, errors = read_all([folder])

    assert [(error.line, error.reason) for error in errors] == [
        (0, "cannot be read (Is a directory)")
    ]


def test_validate_records_only_checks(scheme: LabelScheme, write_file: Writer) -> None:
    good = write_file("good.jsonl", '{"text": "One."}\n')
    bad = write_file("bad.jsonl", '{"text": "One."}\n[]\n')

    assert validate_records([good], scheme=scheme) == []
    assert validate_records([good, bad], scheme=scheme) == [
        InvalidRecord(str(bad), 2, "a record must be a JSON object, got a list")
    ]


def test_errors_pickle_and_compare_as_values() -> None:
    error = InvalidRecord("a.jsonl", 3, '"text" is empty')
    failed = ImportFailed([error])

    assert pickle.loads(pickle.dumps(error)) == error
    assert pickle.loads(pickle.dumps(failed)).errors == [error]
    assert str(failed) == 'a.jsonl:3: "text" is empty'


def test_a_large_file_streams_without_holding_its_records(
    scheme: LabelScheme, tmp_path: Path
) -> None:
    path = tmp_path / "large.jsonl"
    lines = 200_000
    with path.open("w", encoding="utf-8") as out:
        for number in range(lines):
            task = {
                "text": f"Report {number}: troops shelled the village again.",
                "meta": {"n": number},
            }
            out.write(json.dumps(task) + "\n")
    size = path.stat().st_size

    records = read_records([path], scheme=scheme)
    # The first record loads the readers (and spaCy); measure only the streaming after it.
    first = next(records)
    tracemalloc.start()
    try:
        count = 1 + sum(1 for _ in records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert first.line == 1
    assert count == lines
    # Holding 200,000 records would take several times the file's size; one at a time is tiny.
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte file"
