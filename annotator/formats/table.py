"""CSV: one report per row in a "text" column (or the one ``--text-column`` names); the other
columns become its meta."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    decode_line,
    describe_decode_error,
)
from annotator.labels import LabelScheme

TEXT_COLUMN = "text"


def read_csv(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each row's record or its problem, numbered by the line the row starts on (header is 1)."""
    bad_lines: dict[int, str] = {}
    with path.open("rb") as raw_lines:
        # strict: a quote left open is an error, not a cell that swallows the rest of the file.
        reader = csv.reader(_decoded(raw_lines, bad_lines=bad_lines), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            yield InvalidRecord(source, 1, "file is empty; expected a header with a text column")
            return
        except csv.Error as error:
            yield InvalidRecord(source, 1, f"header is not valid CSV: {error}")
            return
        if bad_lines:
            yield from (InvalidRecord(source, n, reason) for n, reason in sorted(bad_lines.items()))
            return
        names = [name.strip() for name in header]
        if not any(names):
            yield InvalidRecord(source, 1, "the first line must be a header with a text column")
            return
        column = options.text_column or TEXT_COLUMN
        if column not in names:
            yield InvalidRecord(source, 1, missing_text_column(column, names, options=options))
            return
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            yield InvalidRecord(source, 1, f"repeated column names: {', '.join(repeated)}")
            return
        text_index = names.index(column)
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                end = reader.line_num
                yield InvalidRecord(source, start, _describe_csv_error(error))
                continue
            end = reader.line_num
            problems = [(n, bad_lines.pop(n)) for n in range(start, end + 1) if n in bad_lines]
            if problems:
                yield from (InvalidRecord(source, n, reason) for n, reason in problems)
                continue
            if not row:
                continue
            if len(row) != len(names):
                yield InvalidRecord(
                    source, start, f"row has {len(row)} fields but the header has {len(names)}"
                )
                continue
            # A blank text is a Record too: the import skips and counts it.
            text = row[text_index]
            meta = {name: value for name, value in zip(names, row, strict=True) if name != column}
            yield Record(
                text=text, source=source, line=start, meta=meta, split=True, annotation=None
            )


def missing_text_column(
    column: str, names: Iterable[str], *, options: ReadOptions, kind: str = "column"
) -> str:
    """Why a CSV header (or a JSON record) has no text: the column (key) sought, and those
    there are."""
    shown = ", ".join(repr(name) for name in names) or "none"
    if options.text_column is not None:
        return f'no "{column}" {kind} (--text-column {column}); the {kind}s are {shown}'
    return (
        f'no "{column}" {kind} (the {kind}s are {shown}); name the {kind} that holds the text '
        "with --text-column"
    )


def _decoded(raw_lines: Iterable[bytes], *, bad_lines: dict[int, str]) -> Iterator[str]:
    # Lines that are not UTF-8 still go to the csv reader (with replacement characters) so
    # its line count stays right; the row they belong to is reported instead of read.
    for number, raw in enumerate(raw_lines, start=1):
        try:
            yield decode_line(raw, first=number == 1)
        except UnicodeDecodeError as error:
            bad_lines[number] = describe_decode_error(error)
            yield raw.decode("utf-8", errors="replace")


def _describe_csv_error(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return "invalid CSV: a quoted field that starts in this row is never closed"
    return f"invalid CSV: {error}"


def decoded_lines(raw_lines: Iterable[bytes], *, bad_lines: dict[int, str]) -> Iterator[str]:
    """UTF-8 lines for a csv reader; a line that is not UTF-8 is noted in ``bad_lines``."""
    return _decoded(raw_lines, bad_lines=bad_lines)
