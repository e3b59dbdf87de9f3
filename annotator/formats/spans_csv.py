"""A CSV of spans for pandas: one row per span, sentence and layer in columns.

Columns: sentence (a key shared by the rows of one sentence), annotator, status, text,
categories (``;``-separated), layer (``entity``, ``event``, or empty on the one row of a
sentence without spans), label, start_char, end_char, span_text. A sentence's rows are
together; ``pandas.read_csv`` and ``groupby("sentence")`` give the sentences back. A cell a
spreadsheet would run as a formula is written with a leading apostrophe (``spreadsheet``), which
``read`` takes off again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

# By its full name: ``from annotator.formats import table`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.table as table
from annotator.formats.checks import AnnotationProblem, FileSpan, build_annotation
from annotator.formats.files import replacing_file
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    RecordAnnotation,
    decode_line,
    document_name,
)
from annotator.formats.spreadsheet import escape_cell, unescape_cell
from annotator.labels import LabelScheme
from annotator.spans import Layer, Status

COLUMNS = (
    "sentence",
    "annotator",
    "status",
    "text",
    "categories",
    "layer",
    "label",
    "start_char",
    "end_char",
    "span_text",
)
REQUIRED = ("sentence", "text", "layer", "label", "start_char", "end_char")
TEXT = "text"
# The values of the "layer" column, and the span layer each stands for.
LAYER_BY_VALUE: dict[str, Layer] = {"entity": "entities", "event": "events"}


def read_any_csv(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """A .csv of either kind: spans when its header has start_char, end_char and label."""
    with path.open("rb") as lines:
        first = lines.readline()
    try:
        header = next(csv.reader([decode_line(first, first=True)]), [])
    except (UnicodeDecodeError, csv.Error):
        header = []
    names = {name.strip() for name in header}
    if {"start_char", "end_char", "label"} <= names:
        yield from read(path, source, scheme, options)
    else:
        yield from table.read_csv(path, source, scheme, options)


@dataclass
class _Sentence:
    key: str
    line: int
    text: str
    annotator: str | None
    status: Status
    categories: tuple[str, ...]
    spans: list[FileSpan] = field(default_factory=list)
    bad: bool = False


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each sentence's record or the problems of its rows, numbered by the line a row starts on."""
    bad_lines: dict[int, str] = {}
    with path.open("rb") as raw_lines:
        reader = csv.reader(table.decoded_lines(raw_lines, bad_lines=bad_lines), strict=True)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            yield InvalidRecord(source, 1, "file is empty; expected a header")
            return
        except csv.Error as error:
            yield InvalidRecord(source, 1, f"header is not valid CSV: {error}")
            return
        # --text-column names the text's column, in place of "text".
        column = options.text_column or TEXT
        required = [column if name == TEXT else name for name in REQUIRED]
        missing = [name for name in required if name not in header]
        if missing or bad_lines:
            reason = bad_lines.get(1) or f"the header lacks {', '.join(missing)}"
            if column in missing:
                reason += (
                    " (--text-column)"
                    if options.text_column is not None
                    else "; name the column that holds the text with --text-column"
                )
            yield InvalidRecord(source, 1, reason)
            return
        seen: set[tuple[str, str | None]] = set()
        current: _Sentence | None = None
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                end = reader.line_num
                yield InvalidRecord(source, start, f"invalid CSV: {error}")
                if current is not None:
                    current.bad = True
                continue
            end = reader.line_num
            problems = [(n, bad_lines.pop(n)) for n in range(start, end + 1) if n in bad_lines]
            if problems:
                yield from (InvalidRecord(source, n, reason) for n, reason in problems)
                if current is not None:
                    current.bad = True
                continue
            if not row:
                continue
            if len(row) != len(header):
                yield InvalidRecord(
                    source, start, f"row has {len(row)} fields but the header has {len(header)}"
                )
                if current is not None:
                    current.bad = True
                continue
            values = dict(zip(header, map(unescape_cell, row), strict=True))
            values[TEXT] = values[column]
            key = (values["sentence"], values.get("annotator") or None)
            if current is None or (current.key, current.annotator) != key:
                if current is not None:
                    yield from _finish(current, source=source, scheme=scheme, options=options)
                current = None
                if key in seen:
                    yield InvalidRecord(
                        source,
                        start,
                        f"sentence {key[0]!r} appeared before: keep a sentence's rows together",
                    )
                    continue
                seen.add(key)
                try:
                    current = _start(values, line=start)
                except AnnotationProblem as problem:
                    yield InvalidRecord(source, start, str(problem))
                    continue
            try:
                _add_row(current, values, line=start)
            except AnnotationProblem as problem:
                yield InvalidRecord(source, start, str(problem))
                current.bad = True
        if current is not None:
            yield from _finish(current, source=source, scheme=scheme, options=options)


def _start(values: dict[str, str], *, line: int) -> _Sentence:
    text = values["text"]
    status = values.get("status") or "accept"
    if status not in get_args(Status):
        raise AnnotationProblem(f"status must be accept, reject or skip; got {status!r}")
    return _Sentence(
        key=values["sentence"],
        line=line,
        text=text,
        annotator=values.get("annotator") or None,
        status=status,  # type: ignore[arg-type]
        categories=_categories_of(values),
    )


def _categories_of(values: dict[str, str]) -> tuple[str, ...]:
    return tuple(name.strip() for name in values.get("categories", "").split(";") if name.strip())


def _add_row(sentence: _Sentence, values: dict[str, str], *, line: int) -> None:
    if values["text"] != sentence.text:
        raise AnnotationProblem(f"the text differs from the sentence's first row {sentence.line}")
    if _categories_of(values) != sentence.categories:
        raise AnnotationProblem(
            f"the categories differ from the sentence's first row {sentence.line}"
        )
    value = values["layer"].strip()
    if not value:
        if values["label"] or values["start_char"] or values["end_char"]:
            raise AnnotationProblem("a row without a layer has no label, start_char or end_char")
        return
    layer = LAYER_BY_VALUE.get(value)
    if layer is None:
        raise AnnotationProblem(f"layer must be entity, event or empty; got {value!r}")
    try:
        start, end = int(values["start_char"]), int(values["end_char"])
    except ValueError:
        raise AnnotationProblem(
            f"start_char and end_char must be integers, got {values['start_char']!r} and "
            f"{values['end_char']!r}"
        ) from None
    label = values["label"]
    if not label:
        raise AnnotationProblem("a row with a layer needs a label")
    quoted = values.get("span_text")
    # The file's own offsets against its own quote, before any alignment moves them.
    there = sentence.text[start:end]
    if quoted and 0 <= start < end <= len(sentence.text) and quoted != there:
        raise AnnotationProblem(
            f"span {start}-{end} {label} says {quoted!r} but the text there is {there!r}"
        )
    sentence.spans.append(FileSpan(start, end, label, layer=layer, line=line))


def _finish(
    sentence: _Sentence, *, source: str, scheme: LabelScheme, options: ReadOptions
) -> Iterator[Record | InvalidRecord]:
    if sentence.bad:
        return  # its rows' problems were reported already
    # A blank text is a Record too, without its spans: the import skips and counts it.
    annotation: RecordAnnotation | None = None
    if sentence.text.strip():
        try:
            annotation = build_annotation(
                sentence.text,
                spans=sentence.spans,
                categories=sentence.categories,
                annotator=sentence.annotator,
                status=sentence.status,
                scheme=scheme,
                options=options,
            )
        except AnnotationProblem as problem:
            yield InvalidRecord(source, problem.line or sentence.line, str(problem))
            return
    yield Record(
        text=sentence.text,
        source=source,
        line=sentence.line,
        meta={"sentence": sentence.key},
        split=False,
        annotation=annotation,
    )


def rows_of(record: Record) -> Iterator[dict[str, Any]]:
    """The CSV rows of one record: one per span, or one without a span."""
    annotation = record.annotation
    base = {
        "sentence": document_name(record),
        "annotator": annotation.annotator if annotation and annotation.annotator else "",
        "status": annotation.status if annotation else "",
        "text": record.text,
        "categories": ";".join(annotation.categories) if annotation else "",
    }
    spans = (
        [("entity", span) for span in annotation.entities]
        + [("event", span) for span in annotation.events]
        if annotation
        else []
    )
    if not spans:
        yield {**base, "layer": "", "label": "", "start_char": "", "end_char": "", "span_text": ""}
    for layer, span in spans:
        yield {
            **base,
            "layer": layer,
            "label": span.label,
            "start_char": span.start_char,
            "end_char": span.end_char,
            "span_text": span.text_in(record.text),
        }


def write(records: Iterable[Record], path: Path | str) -> int:
    """Write the records' spans as CSV, atomically; return how many sentences."""
    count = 0
    with replacing_file(path) as temporary:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for record in records:
                writer.writerows(
                    {name: escape_cell(value) for name, value in row.items()}
                    for row in rows_of(record)
                )
                count += 1
    return count
