"""Prodigy-style JSONL: one sentence per line, with its spans, events, categories and answer."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

# By its full name: ``from annotator.formats import table`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.table as table
from annotator.formats.checks import AnnotationProblem, FileSpan, build_annotation
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    RecordAnnotation,
    decode_line,
    describe_decode_error,
)
from annotator.labels import LabelScheme
from annotator.spans import Layer, Span, SpanError, Status
from annotator.tokens import blank_english

ANSWERS: dict[str, Status] = {"accept": "accept", "reject": "reject", "ignore": "skip"}
STATUS_ANSWERS: dict[Status, str] = {"accept": "accept", "reject": "reject", "skip": "ignore"}
# Any of these keys means the line carries a decision, not only a text to annotate.
ANNOTATION_KEYS = ("spans", "events", "accept", "answer")


def read_jsonl(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each line's record or its problem, reading one line at a time; blank lines are skipped."""
    for item in json_lines(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        number, data = item
        try:
            yield parse_record(data, source=source, line=number, scheme=scheme, options=options)
        except InvalidRecord as error:
            yield error


read = read_jsonl


def json_lines(path: Path, source: str) -> Iterator[tuple[int, Any] | InvalidRecord]:
    """(line number, decoded value) for each non-blank line, or the line's problem."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = decode_line(raw, first=number == 1)
            except UnicodeDecodeError as error:
                yield InvalidRecord(source, number, describe_decode_error(error))
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                # The decoder's own "line 1" would be confusing next to the file's line number.
                where = (
                    "at the end of the line"
                    if error.pos >= len(line.rstrip())
                    else f"at column {error.pos + 1}"
                )
                yield InvalidRecord(source, number, f"invalid JSON: {error.msg} {where}")
                continue
            yield number, data


def parse_record(
    data: Any,
    *,
    source: str,
    line: int,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> Record:
    """A decoded Prodigy task as a Record; raise InvalidRecord saying what is wrong with it."""
    try:
        if not isinstance(data, dict):
            raise AnnotationProblem(f"a record must be a JSON object, got {json_type(data)}")
        text = _text_of(data, options=options)
        meta = data.get("meta", {})
        if not isinstance(meta, dict):
            raise AnnotationProblem(f'"meta" must be an object, got {json_type(meta)}')
        if options.text_column is not None:
            # A peer's own records (an id, a date, a country beside "notes"): their other
            # keys are the text's context, as a CSV's other columns are.
            meta = {**_context_of(data, text_key=options.text_column), **meta}
        annotator = data.get("_annotator_id")
        if "_annotator_id" in data and (not isinstance(annotator, str) or not annotator):
            raise AnnotationProblem(
                f'"_annotator_id" must be a non-empty string, got {annotator!r}'
            )
        annotation = None
        # A blank text is a Record too (the import skips and counts it), whatever it says.
        if text.strip() and any(key in data for key in ANNOTATION_KEYS):
            annotation = _annotation_of(
                data, text=text, annotator=annotator, scheme=scheme, options=options
            )
    except AnnotationProblem as problem:
        raise InvalidRecord(source, problem.line or line, str(problem)) from None
    # A text to annotate is split into sentences like a .txt report; an annotated record stays
    # whole, because its spans' offsets count from the start of its text.
    return Record(
        text=text,
        source=source,
        line=line,
        meta=meta,
        split=annotation is None,
        annotation=annotation,
    )


def _text_of(data: dict[str, Any], *, options: ReadOptions) -> str:
    key = options.text_column or "text"
    if key not in data:
        raise AnnotationProblem(table.missing_text_column(key, data, options=options, kind="key"))
    text = data[key]
    if not isinstance(text, str):
        raise AnnotationProblem(f'"{key}" must be a string, got {json_type(text)}')
    return text


def _context_of(data: dict[str, Any], *, text_key: str) -> dict[str, Any]:
    skipped = {text_key, "meta", "tokens", *ANNOTATION_KEYS}
    return {
        key: value for key, value in data.items() if key not in skipped and not key.startswith("_")
    }


def _annotation_of(
    data: dict[str, Any],
    *,
    text: str,
    annotator: str | None,
    scheme: LabelScheme,
    options: ReadOptions,
) -> RecordAnnotation:
    return build_annotation(
        text,
        spans=[
            *_spans_of(data, "spans", text=text, layer="entities"),
            *_spans_of(data, "events", text=text, layer="events"),
        ],
        categories=_categories_of(data),
        annotator=annotator,
        status=_status_of(data),
        scheme=scheme,
        options=options,
    )


def _spans_of(data: dict[str, Any], key: str, *, text: str, layer: Layer) -> list[FileSpan]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"{key}" must be a list, got {json_type(raw)}')
    spans: list[FileSpan] = []
    for index, item in enumerate(raw):
        try:
            span = Span.from_dict(item)
        except SpanError as error:
            raise AnnotationProblem(f"{key}[{index}]: {error}") from None
        # A "text" that disagrees with the offsets means they were counted in something other
        # than characters (bytes, UTF-16 units) or against another version of the text.
        quoted = item.get("text")
        if quoted is not None and 0 <= span.start_char < span.end_char <= len(text):
            if quoted != span.text_in(text):
                raise AnnotationProblem(
                    f"{key}[{index}]: span {span.start_char}-{span.end_char} {span.label} "
                    f"says {quoted!r} but the text there is {span.text_in(text)!r}"
                )
        spans.append(FileSpan(span.start_char, span.end_char, span.label, layer=layer))
    return spans


def _categories_of(data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("accept", [])
    if not isinstance(raw, list) or not all(_is_option_id(item) for item in raw):
        raise AnnotationProblem(f'"accept" must be a list of category names, got {raw!r}')
    # A choice interface's options may have numbers for ids; a label map names them.
    return tuple(dict.fromkeys(str(item) for item in raw))


def _is_option_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _status_of(data: dict[str, Any]) -> Status:
    answer = data.get("answer", "accept")
    if not isinstance(answer, str) or answer not in ANSWERS:
        raise AnnotationProblem(f'"answer" must be one of accept, reject, ignore; got {answer!r}')
    return ANSWERS[answer]


def json_type(value: Any) -> str:
    """How a JSON value's type is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def record_to_json(
    text: str,
    *,
    meta: Mapping[str, Any],
    entities: Iterable[Span],
    events: Iterable[Span],
    categories: Iterable[str],
    annotator: str | None,
    status: Status,
    tokens: bool = False,
) -> dict[str, Any]:
    """A Prodigy task for one sentence and its decision; read_jsonl reads it back unchanged."""
    doc = blank_english().make_doc(text) if tokens else None

    def span_json(span: Span) -> dict[str, Any]:
        record = {**span.to_dict(), "text": span.text_in(text)}
        aligned = doc.char_span(span.start_char, span.end_char) if doc is not None else None
        if aligned is not None:
            record["token_start"] = aligned.start
            record["token_end"] = aligned.end - 1
        return record

    task: dict[str, Any] = {"text": text, "meta": dict(meta)}
    if doc is not None:
        task["tokens"] = [
            {
                "text": token.text,
                "start": token.idx,
                "end": token.idx + len(token),
                "id": token.i,
                "ws": bool(token.whitespace_),
            }
            for token in doc
        ]
    task["spans"] = [span_json(span) for span in sorted(entities)]
    task["events"] = [span_json(span) for span in sorted(events)]
    task["accept"] = list(categories)
    task["answer"] = STATUS_ANSWERS[status]
    if annotator is not None:
        task["_annotator_id"] = annotator
    return task


def write_jsonl(records: Iterable[Mapping[str, Any]], path: Path | str) -> int:
    """Write one compact JSON object per line, replacing the file only once all are written."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w",
        encoding="utf-8",
        newline="\n",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
    )
    count = 0
    try:
        with handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                handle.write("\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        # The temporary file is private (0600); give the export the mode a new file would get.
        os.chmod(handle.name, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return count


def write(records: Iterable[Record], path: Path | str, *, tokens: bool = False) -> int:
    """Write annotated records as Prodigy tasks, atomically; return how many were written."""
    return write_jsonl((task_of(record, tokens=tokens) for record in records), path)


def task_of(record: Record, *, tokens: bool = False) -> dict[str, Any]:
    """The Prodigy task of an annotated record."""
    annotation = record.annotation
    if annotation is None:
        return {"text": record.text, "meta": dict(record.meta)}
    return record_to_json(
        record.text,
        meta=record.meta,
        entities=annotation.entities,
        events=annotation.events,
        categories=annotation.categories,
        annotator=annotation.annotator,
        status=annotation.status,
        tokens=tokens,
    )
