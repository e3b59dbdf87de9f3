"""Label Studio's JSON export: a list of tasks, each a text in ``data`` with every reviewer's
``annotations`` and a model's ``predictions``, as Label Studio writes and imports them.

Each annotation of a task is one record: its ``labels`` results are spans, put in the entity or
event layer by their label (read through the label map), its ``choices`` results are the
categories, ``completed_by`` is the reviewer (a user object's email, else the user's id) and a
cancelled annotation (``was_cancelled``) is that reviewer's skip. ``predictions`` are suggestions
of the model their ``model_version`` names. A ``relation`` result between an event trigger's
region and an entity's (either way round) is the event's argument in the role its label names,
through the label map; one that is no role, or joins no trigger to an entity, is listed as left
out, and so are results of other tools (text areas, ratings). Label Studio counts offsets in
the browser's UTF-16 units: a region whose quoted ``text`` says so is read in characters. A task
without ``data`` is its own data (Label Studio imports it so), Label Studio before 1.0 called
the annotations ``completions``, and its JSON-MIN export (a row per annotation, regions under
their control's name) reads as the tasks it flattens. This project's export writes each
argument as a relation from the trigger's region to the entity's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# By their full names: ``from annotator.formats import prodigy`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.doccano as doccano
import annotator.formats.prodigy as prodigy
from annotator.formats.checks import AnnotationProblem, FileArgument, FileSpan, build_annotation
from annotator.formats.files import replacing_file
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    Adjustment,
    InvalidRecord,
    ReadOptions,
    Record,
    RecordAnnotation,
    RecordSuggestion,
    decode_file,
)
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span, Status

TEXT_KEY = "text"
ANNOTATION_KEYS = ("annotations", "completions")
TASK_KEYS = ("data", *ANNOTATION_KEYS, "predictions")
# The names this project's export gives its controls; a reader goes by the label, not the name.
ENTITY_CONTROL = "label"
EVENT_CONTROL = "event"
CATEGORY_CONTROL = "category"
TEXT_OBJECT = "text"
MODEL_NAME = "label-studio"
UNNAMED_VERSION = "unnamed"
# The result types that are a region of the text, and the one that classifies the whole task.
SPAN_TYPES = ("labels",)
CATEGORY_TYPES = ("choices",)
RELATION_TYPE = "relation"
# Regions of HTML and dialogues count in XPaths or turns, not in characters of one text.
UNREADABLE_TYPES = ("hypertextlabels", "paragraphlabels")


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """The records of every task of a Label Studio JSON export (or their problems), in order.

    An item that is no Label Studio task (no ``data``, ``annotations`` or ``predictions``) is
    read as a doccano or Prodigy record, so a JSON list of those reads too.
    """
    for item in tasks_in(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        index, line, data = item
        try:
            data = from_min(data)
            if isinstance(data, dict) and "paragraphs" in data and "data" not in data:
                yield InvalidRecord(
                    source,
                    line,
                    f'item {index} is a spaCy v2 training document (it has "paragraphs"): '
                    "convert the file with `python -m spacy convert FILE.json .` and import the "
                    ".spacy file",
                )
                continue
            if doccano.looks_like(data):
                yield from doccano.parse_records(
                    data, source=source, line=line, scheme=scheme, options=options
                )
                continue
            if isinstance(data, dict) and not any(key in data for key in TASK_KEYS):
                yield prodigy.parse_record(
                    data, source=source, line=line, scheme=scheme, options=options
                )
                continue
            yield from parse_task(
                data, source=source, line=line, index=index, scheme=scheme, options=options
            )
        except InvalidRecord as error:
            yield error


# The keys Label Studio's JSON-MIN export adds to a task's data fields and results.
MIN_KEYS = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time")


def from_min(item: Any) -> Any:
    """A row of Label Studio's JSON-MIN export as the task it stands for, else ``item``.

    JSON-MIN writes one row per annotation: the task's data fields, each region control's
    regions as a list of ``{start, end, text, labels}`` under its name, a multiple choice as
    ``{"choices": [...]}``, and ``annotator``. A single choice is a bare string there, which
    cannot be told from a data field: it stays in ``meta``.
    """
    if not isinstance(item, dict) or any(key in item for key in TASK_KEYS):
        return item
    results: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for name, value in item.items():
        if _is_min_regions(value):
            results.extend({"type": "labels", "from_name": name, "value": v} for v in value)
        elif isinstance(value, dict) and set(value) == {"choices"}:
            results.append({"type": "choices", "from_name": name, "value": value})
        elif name not in MIN_KEYS:
            data[name] = value
    if not results:
        return item
    annotation: dict[str, Any] = {"result": results}
    if item.get("annotator") is not None:
        annotation["completed_by"] = item["annotator"]
    return {"id": item.get("id"), "data": data, "annotations": [annotation]}


def _is_min_regions(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and "labels" in v and "start" in v for v in value)
    )


def tasks_in(path: Path, source: str) -> Iterator[tuple[int, int, Any] | InvalidRecord]:
    """(index, line, decoded value) of every item of the file's JSON list, or the problem that
    stops the reading; one object is a list of one, and a JSONL file is read line by line."""
    raw = path.read_bytes()
    try:
        text = decode_file(raw, source=source)
    except InvalidRecord as error:
        yield error
        return
    start = _skip_space(text, 0)
    if start == len(text):
        return
    if text[start] != "[":
        yield from _objects(text, start, source=source)
        return
    decoder = json.JSONDecoder()
    position, index = _skip_space(text, start + 1), 0
    if text.startswith("]", position):
        yield from _nothing_after(text, position + 1, source=source)
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield InvalidRecord(source, error.lineno, _json_problem(error, index=index))
            return
        yield index, _line_at(text, position), value
        index += 1
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
            continue
        if text.startswith("]", position):
            yield from _nothing_after(text, position + 1, source=source)
            return
        yield InvalidRecord(
            source,
            _line_at(text, position),
            f"invalid JSON after task {index - 1}: expected ',' or ']' at column "
            f"{_column_at(text, position)}",
        )
        return


def _objects(
    text: str, start: int, *, source: str
) -> Iterator[tuple[int, int, Any] | InvalidRecord]:
    """One JSON object, or one per line (Label Studio imports and exports JSON lines too)."""
    decoder = json.JSONDecoder()
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as error:
        yield InvalidRecord(source, error.lineno, _json_problem(error, index=0))
        return
    if _skip_space(text, end) == len(text):
        yield 0, _line_at(text, start), value
        return
    index = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield index, number, json.loads(line)
        except json.JSONDecodeError as error:
            yield InvalidRecord(
                source, number, f"invalid JSON: {error.msg} at column {error.colno}"
            )
        index += 1


def _nothing_after(text: str, position: int, *, source: str) -> Iterator[InvalidRecord]:
    position = _skip_space(text, position)
    if position < len(text):
        yield InvalidRecord(
            source, _line_at(text, position), "invalid JSON: more text after the list of tasks"
        )


def _json_problem(error: json.JSONDecodeError, *, index: int) -> str:
    return f"invalid JSON in task {index}: {error.msg} at column {error.colno}"


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _column_at(text: str, position: int) -> int:
    return position - (text.rfind("\n", 0, position) + 1) + 1


# --- one task ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """Where in the file a task is, for its problems: ``task 3 (id 104)``."""

    source: str
    line: int
    index: int
    task_id: Any

    def problem(self, where: str, reason: str) -> InvalidRecord:
        named = f"task {self.index}" + (f" (id {self.task_id})" if self.task_id is not None else "")
        return InvalidRecord(self.source, self.line, f"{named}: {where}{reason}")


def parse_task(
    task: Any,
    *,
    source: str,
    line: int,
    index: int,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> list[Record]:
    """The records of one decoded task: one per annotation (a text to annotate without any),
    the first carrying the predictions; raise InvalidRecord naming the task and key."""
    task_id = task.get("id") if isinstance(task, dict) else None
    place = _Place(source, line, index, task_id if isinstance(task_id, int | str) else None)
    if not isinstance(task, dict):
        raise place.problem("", f"a task must be a JSON object, got {prodigy.json_type(task)}")
    data = task.get("data", task)
    if not isinstance(data, dict):
        raise place.problem('"data": ', f"must be an object, got {prodigy.json_type(data)}")
    try:
        key, text = _text_of(data, options=options)
    except AnnotationProblem as problem:
        raise place.problem('"data": ', str(problem)) from None
    meta = _meta_of(task, data, text_key=key)
    if not text.strip():
        # A blank text is skipped (and counted) by the import, whatever it was labelled with.
        return [
            Record(text=text, source=source, line=line, meta=meta, split=False, annotation=None)
        ]
    key_of_annotations = _annotations_key(task)
    annotations = [
        _annotation_of(
            item,
            text=text,
            where=f"{key_of_annotations}[{number}]",
            place=place,
            scheme=scheme,
            options=options,
        )
        for number, item in enumerate(_list_of(task, key_of_annotations, place=place))
    ]
    suggestions = tuple(
        _suggestion_of(
            item,
            text=text,
            where=f"predictions[{number}]",
            place=place,
            scheme=scheme,
            options=options,
        )
        for number, item in enumerate(_list_of(task, "predictions", place=place))
    )
    records = [
        Record(
            text=text,
            source=source,
            line=line,
            meta=meta,
            split=False,
            annotation=annotation,
            suggestions=suggestions if number == 0 else (),
        )
        for number, annotation in enumerate(annotations)
    ]
    if records:
        return records
    # A text to annotate is split into sentences like any other, unless a model's predictions
    # count their offsets from its start.
    return [
        Record(
            text=text,
            source=source,
            line=line,
            meta=meta,
            split=not suggestions,
            annotation=None,
            suggestions=suggestions,
        )
    ]


def _annotations_key(task: dict[str, Any]) -> str:
    return next((key for key in ANNOTATION_KEYS if key in task), ANNOTATION_KEYS[0])


def _text_of(data: dict[str, Any], *, options: ReadOptions) -> tuple[str, str]:
    """The key and value of the task's text: ``--text-column``, else ``text``, else the one
    string the data holds."""
    key = options.text_column or TEXT_KEY
    if key not in data:
        strings = [name for name, value in data.items() if isinstance(value, str)]
        if options.text_column is not None or len(strings) != 1:
            keys = ", ".join(repr(name) for name in data) or "no keys"
            raise AnnotationProblem(
                f"no {key!r} (it has {keys}); name the key of the text with --text-column"
            )
        key = strings[0]
    text = data[key]
    if not isinstance(text, str):
        raise AnnotationProblem(f"{key!r} must be a string, got {prodigy.json_type(text)}")
    return key, text


def _meta_of(task: dict[str, Any], data: dict[str, Any], *, text_key: str) -> dict[str, Any]:
    """The task's own fields besides its text (``data``'s other keys and ``meta``)."""
    meta: dict[str, Any] = {}
    if data is not task:
        meta.update((name, value) for name, value in data.items() if name != text_key)
    extra = task.get("meta")
    if isinstance(extra, dict):
        meta.update((name, value) for name, value in extra.items() if name not in meta)
    return meta


def _list_of(task: dict[str, Any], key: str, *, place: _Place) -> list[Any]:
    value = task.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise place.problem(f'"{key}": ', f"must be a list, got {prodigy.json_type(value)}")
    return value


# --- annotations and predictions ----------------------------------------------------------


@dataclass
class _Results:
    """What the results of one annotation hold, as the file spells it."""

    spans: list[FileSpan]
    categories: list[str]
    # Each region's span by its result id, and the relations as (from id, to id, labels).
    regions: dict[str, FileSpan] = field(default_factory=dict)
    relations: list[tuple[Any, Any, list[str]]] = field(default_factory=list)
    other: int = 0


def _annotation_of(
    item: Any,
    *,
    text: str,
    where: str,
    place: _Place,
    scheme: LabelScheme,
    options: ReadOptions,
) -> RecordAnnotation:
    results = _results_of(item, text=text, where=where, place=place)
    try:
        annotator = _annotator_of(item.get("completed_by"))
        annotation = build_annotation(
            text,
            spans=results.spans,
            categories=results.categories,
            annotator=annotator,
            status=_status_of(item),
            scheme=scheme,
            options=options,
            arguments=_arguments_of(results),
        )
    except AnnotationProblem as problem:
        raise place.problem(f"{where}: ", str(problem)) from None
    notes = _notes_of(results, text=text)
    if notes:
        annotation = _with_adjustments(annotation, notes)
    return annotation


def _suggestion_of(
    item: Any,
    *,
    text: str,
    where: str,
    place: _Place,
    scheme: LabelScheme,
    options: ReadOptions,
) -> RecordSuggestion:
    results = _results_of(item, text=text, where=where, place=place)
    version = item.get("model_version")
    if version is not None and not isinstance(version, str | int | float):
        raise place.problem(
            f'{where}: "model_version": ', f"must be a string, got {prodigy.json_type(version)}"
        )
    try:
        checked = build_annotation(
            text,
            spans=results.spans,
            categories=results.categories,
            annotator=None,
            status="accept",
            scheme=scheme,
            options=options,
            arguments=_arguments_of(results),
        )
    except AnnotationProblem as problem:
        raise place.problem(f"{where}: ", str(problem)) from None
    return RecordSuggestion(
        model_name=MODEL_NAME,
        model_version=str(version) if version not in (None, "") else UNNAMED_VERSION,
        entities=checked.entities,
        events=checked.events,
        categories=checked.categories,
        arguments=checked.arguments,
    )


def _arguments_of(results: _Results) -> list[FileArgument]:
    """Each relation's label as an argument between its two regions (build_annotation keeps
    the ones that are arguments of the scheme, read either way round)."""
    return [
        FileArgument(results.regions[from_id], name, results.regions[to_id], kind="relation")
        for from_id, to_id, names in results.relations
        for name in names
    ]


def _results_of(item: Any, *, text: str, where: str, place: _Place) -> _Results:
    """The results of an annotation or a prediction, which must be an object."""
    if not isinstance(item, dict):
        raise place.problem(f"{where}: ", f"must be an object, got {prodigy.json_type(item)}")
    raw = item.get("result", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise place.problem(f'{where}: "result": ', f"must be a list, got {prodigy.json_type(raw)}")
    found = _Results(spans=[], categories=[])
    for number, result in enumerate(raw):
        at = f"{where}.result[{number}]"
        try:
            _read_result(result, text=text, into=found)
        except AnnotationProblem as problem:
            raise place.problem(f"{at}: ", str(problem)) from None
    for from_id, to_id in ((a, b) for a, b, _ in found.relations):
        for side, region in (("from_id", from_id), ("to_id", to_id)):
            if region not in found.regions:
                raise place.problem(
                    f"{where}: ", f'a relation\'s "{side}" {region!r} is not the id of a region'
                )
    return found


def _read_result(result: Any, *, text: str, into: _Results) -> None:
    if not isinstance(result, dict):
        raise AnnotationProblem(f"must be an object, got {prodigy.json_type(result)}")
    kind = result.get("type")
    if not isinstance(kind, str):
        raise AnnotationProblem(f'"type" must be a string, got {kind!r}')
    kind = kind.lower()
    if kind == RELATION_TYPE:
        names = result.get("labels") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise AnnotationProblem(f'"labels" must be a list of names, got {names!r}')
        into.relations.append((result.get("from_id"), result.get("to_id"), names))
        return
    if kind in UNREADABLE_TYPES:
        raise AnnotationProblem(
            f"{kind} regions count in the page's structure, not in characters of one text; "
            "label the text with a Text object and Labels"
        )
    value = result.get("value")
    if not isinstance(value, dict):
        raise AnnotationProblem(f'"value" must be an object, got {prodigy.json_type(value)}')
    if kind in SPAN_TYPES:
        spans = _spans_of(value, text=text)
        into.spans.extend(spans)
        if isinstance(result.get("id"), str):
            into.regions.setdefault(result["id"], spans[0])
    elif kind in CATEGORY_TYPES and "start" not in value:
        choices = value.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise AnnotationProblem(f'"value.choices" must be a list of names, got {choices!r}')
        into.categories.extend(choices)
    else:
        # Text areas, ratings, numbers, a region's own choices (perRegion): nothing of ours.
        into.other += 1


def _spans_of(value: dict[str, Any], *, text: str) -> list[FileSpan]:
    start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not _is_offset(start) or not _is_offset(end):
        raise AnnotationProblem(
            f'"value.start" and "value.end" must be character offsets, got {start!r} and {end!r}'
        )
    if not isinstance(labels, list) or not labels or not all(isinstance(n, str) for n in labels):
        raise AnnotationProblem(f'"value.labels" must be a list of label names, got {labels!r}')
    assert isinstance(start, int) and isinstance(end, int)
    start, end = _in_characters(start, end, text=text, quoted=value.get("text"))
    return [FileSpan(start, end, label) for label in labels]


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _in_characters(start: int, end: int, *, text: str, quoted: Any) -> tuple[int, int]:
    """The region's offsets in characters of ``text``: as given, or converted from the units a
    browser counts (UTF-16 code units; a line break of ``\\r\\n`` as one) when only that reading
    gives the region's quoted text."""
    if not isinstance(quoted, str) or _same(text[start:end], quoted):
        return start, end
    for utf16, crlf in ((True, False), (False, True), (True, True)):
        found = _character_offsets(text, utf16=utf16, crlf=crlf)
        if start in found and end in found and _same(text[found[start] : found[end]], quoted):
            return found[start], found[end]
    raise AnnotationProblem(
        f"the region {start}-{end} says {quoted!r} but the text there is {text[start:end]!r}"
    )


def _same(covered: str, quoted: str) -> bool:
    # A browser's copy of the region has its line breaks as LF whatever the text has.
    return covered == quoted or covered.replace("\r\n", "\n") == quoted.replace("\r\n", "\n")


def _character_offsets(text: str, *, utf16: bool, crlf: bool) -> dict[int, int]:
    """Each offset in the browser's units to the character offset of ``text`` it stands for."""
    units = 0
    found: dict[int, int] = {}
    for index, character in enumerate(text):
        if crlf and character == "\n" and index > 0 and text[index - 1] == "\r":
            continue
        found.setdefault(units, index)
        units += 2 if utf16 and ord(character) > 0xFFFF else 1
    found.setdefault(units, len(text))
    return found


def _annotator_of(completed_by: Any) -> str | None:
    """The reviewer's name: a user object's email (else its name or id), or the user's id."""
    if completed_by is None:
        return None
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip()
        name = " ".join(
            str(completed_by.get(key) or "").strip() for key in ("first_name", "last_name")
        ).strip()
        if name:
            return name
        completed_by = completed_by.get("id")
    if isinstance(completed_by, bool) or not isinstance(completed_by, int | str):
        raise AnnotationProblem(
            f'"completed_by" must be a user id or a user object, got {completed_by!r}'
        )
    name = str(completed_by).strip()
    if not name:
        raise AnnotationProblem('"completed_by" is empty')
    return name


def _status_of(item: dict[str, Any]) -> Status:
    """Accept; a skip for a cancelled annotation; this project's own ``status`` when written."""
    cancelled = item.get("was_cancelled", False)
    if not isinstance(cancelled, bool):
        raise AnnotationProblem(f'"was_cancelled" must be true or false, got {cancelled!r}')
    if cancelled:
        return "skip"
    status = item.get("status", "accept")
    if status not in ("accept", "reject", "skip"):
        raise AnnotationProblem(f'"status" must be accept, reject or skip; got {status!r}')
    return status  # type: ignore[no-any-return]


def _notes_of(results: _Results, *, text: str) -> list[str]:
    notes = []
    for from_id, to_id, names in results.relations:
        if names:
            continue  # each label is an argument build_annotation keeps or lists
        ends = [
            f"{span.start_char}-{span.end_char} {text[span.start_char : span.end_char]!r}"
            for span in (results.regions[from_id], results.regions[to_id])
        ]
        notes.append(
            f"relation without a label from {ends[0]} to {ends[1]} read but not kept: an "
            "argument needs a role"
        )
    if results.other:
        notes.append(f"{results.other} result(s) of other tools (text areas, ratings...) left out")
    return notes


def _with_adjustments(annotation: RecordAnnotation, notes: list[str]) -> RecordAnnotation:
    return replace(
        annotation,
        adjustments=(*annotation.adjustments, *(Adjustment("left out", note) for note in notes)),
    )


# --- writing --------------------------------------------------------------------------------


def tasks_of(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The Label Studio tasks of records: one per sentence, with every reviewer's annotation of
    it (the gold has no ``completed_by``) and the predictions the records carry."""
    grouped: dict[tuple[Any, ...], list[Record]] = {}
    for record in records:
        grouped.setdefault(_sentence_key(record), []).append(record)
    tasks = []
    for number, group in enumerate(grouped.values(), start=1):
        first = group[0]
        data: dict[str, Any] = {TEXT_KEY: first.text}
        data.update((name, value) for name, value in first.meta.items() if name != TEXT_KEY)
        annotations = [
            _annotation_json(record.annotation, text=record.text, number=index)
            for index, record in enumerate(group, start=1)
            if record.annotation is not None
        ]
        predictions = [
            _prediction_json(suggestion, text=first.text)
            for record in group
            for suggestion in record.suggestions
        ]
        tasks.append(
            {"id": number, "data": data, "annotations": annotations, "predictions": predictions}
        )
    return tasks


def _sentence_key(record: Record) -> tuple[Any, ...]:
    # A sentence exported from the database is its report and position; a record read from a
    # file is its place there (every annotation of one task shares it).
    if record.report_key is not None and record.position is not None:
        return ("sentence", record.report_key, record.position)
    return ("record", record.source, record.line, record.text)


def _annotation_json(annotation: RecordAnnotation, *, text: str, number: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": number,
        "result": _results_json(
            annotation.entities,
            annotation.events,
            annotation.categories,
            text,
            arguments=annotation.arguments,
        ),
        "was_cancelled": annotation.status == "skip",
        "ground_truth": annotation.annotator is None,
    }
    if annotation.annotator is not None:
        # Label Studio's import finds a reviewer by email in a user object, as its export writes.
        item["completed_by"] = {"email": annotation.annotator}
    if annotation.status == "reject":
        # Label Studio has no rejected annotation; this project's readers take it back.
        item["status"] = "reject"
    return item


def _prediction_json(suggestion: RecordSuggestion, *, text: str) -> dict[str, Any]:
    return {
        "model_version": suggestion.model_version,
        "result": _results_json(
            suggestion.entities,
            suggestion.events,
            suggestion.categories,
            text,
            arguments=suggestion.arguments,
        ),
    }


def _results_json(
    entities: Iterable[Span],
    events: Iterable[Span],
    categories: Iterable[str],
    text: str,
    *,
    arguments: Iterable[Argument] = (),
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    ids: dict[tuple[str, Span], str] = {}
    for control, spans in ((ENTITY_CONTROL, entities), (EVENT_CONTROL, events)):
        for span in sorted(spans):
            ids[(control, span)] = f"{control[0]}{len(results) + 1}"
            results.append(
                {
                    "id": ids[(control, span)],
                    "from_name": control,
                    "to_name": TEXT_OBJECT,
                    "type": "labels",
                    "value": {
                        "start": span.start_char,
                        "end": span.end_char,
                        "text": span.text_in(text),
                        "labels": [span.label],
                    },
                }
            )
    for argument in sorted(set(arguments)):
        trigger = ids.get((EVENT_CONTROL, argument.event))
        entity = ids.get((ENTITY_CONTROL, argument.entity))
        if trigger is not None and entity is not None:
            # Label Studio draws the relation as an arrow from the trigger to the entity.
            results.append(
                {
                    "from_id": trigger,
                    "to_id": entity,
                    "type": RELATION_TYPE,
                    "direction": "right",
                    "labels": [argument.role],
                }
            )
    chosen = list(categories)
    if chosen:
        results.append(
            {
                "id": "cats",
                "from_name": CATEGORY_CONTROL,
                "to_name": TEXT_OBJECT,
                "type": "choices",
                "value": {"choices": chosen},
            }
        )
    return results


def write(records: Iterable[Record], path: Path | str) -> int:
    """Write records as a Label Studio JSON export, atomically; return how many tasks."""
    tasks = tasks_of(records)
    with replacing_file(path) as temporary:
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            # One task a line: a problem's line number then points at its task.
            handle.write("[\n")
            handle.write(
                ",\n".join(
                    json.dumps(task, ensure_ascii=False, separators=(",", ":")) for task in tasks
                )
            )
            handle.write("\n]\n" if tasks else "]\n")
    return len(tasks)
