"""doccano sequence-labelling JSONL: ``{"text", "label": [[start, end, LABEL], ...]}`` a line.

Entity and event-trigger spans share doccano's one ``label`` list (the scheme's label names are
unique across layers, so reading sorts them back); categories go in ``cats``, the sentence's
context in ``meta``. A reviewer's export adds ``annotator``, and ``status`` when it is not an
accept; doccano keeps unknown keys as metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

# By its full name: ``from annotator.formats import prodigy`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.prodigy as prodigy
from annotator.formats.checks import AnnotationProblem, FileSpan, build_annotation
from annotator.formats.records import DEFAULT_OPTIONS, InvalidRecord, ReadOptions, Record
from annotator.labels import LabelScheme
from annotator.spans import Status

LABEL_KEYS = ("label", "labels")


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each line's record or its problem; a line without ``label`` is a text to annotate."""
    for item in prodigy.json_lines(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        number, data = item
        try:
            yield parse_record(data, source=source, line=number, scheme=scheme, options=options)
        except InvalidRecord as error:
            yield error


def read_any_jsonl(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """A .jsonl of either kind: a line is doccano when it has ``label`` and no Prodigy keys."""
    for item in prodigy.json_lines(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        number, data = item
        parse = parse_record if looks_like(data) else prodigy.parse_record
        try:
            yield parse(data, source=source, line=number, scheme=scheme, options=options)
        except InvalidRecord as error:
            yield error


def looks_like(data: Any) -> bool:
    """True for a decoded doccano line (a ``label`` list, none of Prodigy's decision keys)."""
    return (
        isinstance(data, dict)
        and any(key in data for key in LABEL_KEYS)
        and not any(key in data for key in prodigy.ANNOTATION_KEYS)
    )


def parse_record(
    data: Any,
    *,
    source: str,
    line: int,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> Record:
    """A decoded doccano line as a Record; raise InvalidRecord saying what is wrong with it."""
    try:
        record = _parse(data, source=source, line=line, scheme=scheme, options=options)
    except AnnotationProblem as problem:
        raise InvalidRecord(source, problem.line or line, str(problem)) from None
    return record


def _parse(
    data: Any, *, source: str, line: int, scheme: LabelScheme, options: ReadOptions
) -> Record:
    if not isinstance(data, dict):
        raise AnnotationProblem(f"a record must be a JSON object, got {prodigy.json_type(data)}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnotationProblem('"text" must be a non-empty string')
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise AnnotationProblem(f'"meta" must be an object, got {prodigy.json_type(meta)}')
    key = next((key for key in LABEL_KEYS if key in data), None)
    annotation = None
    if key is not None:
        spans = _spans_of(data[key], key=key)
        cats = data.get("cats", [])
        if not isinstance(cats, list) or not all(isinstance(name, str) for name in cats):
            raise AnnotationProblem(f'"cats" must be a list of category names, got {cats!r}')
        annotator = data.get("annotator")
        if annotator is not None and (not isinstance(annotator, str) or not annotator):
            raise AnnotationProblem(f'"annotator" must be a non-empty string, got {annotator!r}')
        status = data.get("status", "accept")
        if status not in get_args(Status):
            raise AnnotationProblem(f'"status" must be accept, reject or skip; got {status!r}')
        annotation = build_annotation(
            text,
            spans=spans,
            categories=cats,
            annotator=annotator,
            status=status,
            scheme=scheme,
            options=options,
        )
    return Record(
        text=text, source=source, line=line, meta=meta, split=False, annotation=annotation
    )


def _spans_of(raw: Any, *, key: str) -> list[FileSpan]:
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"{key}" must be a list, got {prodigy.json_type(raw)}')
    spans: list[FileSpan] = []
    for index, item in enumerate(raw):
        if (
            not isinstance(item, list)
            or len(item) != 3
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in item[:2])
            or not isinstance(item[2], str)
        ):
            raise AnnotationProblem(f"{key}[{index}] must be [start, end, label], got {item!r}")
        start, end, label = item
        spans.append(FileSpan(start, end, label))
    return spans


def line_of(record: Record) -> dict[str, Any]:
    """The doccano line of a record (spans, categories and meta; annotator when known)."""
    line: dict[str, Any] = {"text": record.text}
    annotation = record.annotation
    if annotation is not None:
        spans = sorted([*annotation.entities, *annotation.events])
        line["label"] = [[span.start_char, span.end_char, span.label] for span in spans]
        line["cats"] = list(annotation.categories)
        if annotation.annotator is not None:
            line["annotator"] = annotation.annotator
        if annotation.status != "accept":
            line["status"] = annotation.status
    line["meta"] = dict(record.meta)
    return line


def write(records: Iterable[Record], path: Path | str) -> int:
    """Write records as doccano JSONL, atomically; return how many were written."""
    return prodigy.write_jsonl((line_of(record) for record in records), path)
