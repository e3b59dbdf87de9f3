"""doccano JSONL, in each layout doccano writes, one example a line.

- Sequence labelling: ``{"text", "label": [[start, end, LABEL], ...]}``; a text classification
  project's ``label`` is a list of category names instead, an intent project's ``cats``.
- With relations: ``{"text", "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"id", "from_id", "to_id", "type"}]}``; a relation from an event trigger to an
  entity (or back) whose type is a role of the scheme, through the label map, is that event's
  argument; any other relation is checked and listed as left out.
- doccano 1.0: ``{"text", "annotations": [{"label": ID, "start_offset", "end_offset", "user"}]}``
  with numeric label ids (``--label-map`` names them) and every user's annotations of the
  example; each user's are that reviewer's record. An annotation without offsets is a category.

Entity and event-trigger spans share doccano's one list (the scheme's label names are unique
across layers, so reading sorts them back); the sentence's context goes in ``meta``, and
doccano's other keys (its ``id``, its exports' spread metadata, ``Comments``) go there too.
This project's export writes the relation layout when the scheme has roles (each event's
arguments as relations from its trigger), else the first; it adds ``cats``, ``annotator``, and
``status`` when it is not an accept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

# By its full name: ``from annotator.formats import prodigy`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.prodigy as prodigy
from annotator.formats.checks import AnnotationProblem, FileArgument, FileSpan, build_annotation
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    RecordAnnotation,
)
from annotator.labels import LabelScheme
from annotator.spans import Status

LABEL_KEYS = ("label", "labels")
ENTITY_KEY = "entities"
RELATION_KEY = "relations"
ANNOTATIONS_KEY = "annotations"
# Any of these keys makes a line doccano's; a line of Label Studio's has "data".
DOCCANO_KEYS = (*LABEL_KEYS, ENTITY_KEY, ANNOTATIONS_KEY)
TEXT_KEY = "text"
# What a line holds besides its metadata: everything else goes to meta.
KNOWN_KEYS = (
    TEXT_KEY,
    "meta",
    *DOCCANO_KEYS,
    RELATION_KEY,
    "cats",
    "annotator",
    "status",
)


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each line's records or its problem; a line without labels is a text to annotate."""
    for item in json_values(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        number, data = item
        try:
            yield from parse_records(
                data, source=source, line=number, scheme=scheme, options=options
            )
        except InvalidRecord as error:
            yield error


def read_any_jsonl(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """A .jsonl of either kind: a line is doccano when it has doccano's label keys and no
    Prodigy keys."""
    for item in json_values(path, source):
        if isinstance(item, InvalidRecord):
            yield item
            continue
        number, data = item
        try:
            if looks_like(data):
                yield from parse_records(
                    data, source=source, line=number, scheme=scheme, options=options
                )
            else:
                yield prodigy.parse_record(
                    data, source=source, line=number, scheme=scheme, options=options
                )
        except InvalidRecord as error:
            yield error


def json_values(path: Path, source: str) -> Iterator[tuple[int, Any] | InvalidRecord]:
    """(line, decoded value) of each line of a JSON lines file, or the line's problem.

    A file whose first line is no JSON value is tried as JSON values written over several lines
    (doccano's own relation example is one pretty-printed object) or as one JSON list; when that
    reads it whole, each object is named by the line it starts on.
    """
    lines = prodigy.json_lines(path, source)
    first = next(lines, None)
    if first is None:
        return
    if isinstance(first, InvalidRecord) and first.reason.startswith("invalid JSON"):
        values = _json_stream(path)
        if values is not None:
            yield from values
            return
    yield first
    yield from lines


def _json_stream(path: Path) -> list[tuple[int, Any]] | None:
    """Every JSON value of the file with the line it starts on (a list's items, for a list),
    or None when the file is not a sequence of JSON values."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    found: list[tuple[int, Any]] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            break
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return None
        found.append((text.count("\n", 0, position) + 1, value))
        position = end
    if len(found) == 1 and isinstance(found[0][1], list):
        # One JSON list: its items, each on the line of the list (a doccano JSON export).
        line, items = found[0]
        return [(line, item) for item in items]
    return found


def looks_like(data: Any) -> bool:
    """True for a decoded doccano line (``label``, ``entities`` or 1.0's ``annotations``, and
    none of Prodigy's decision keys or Label Studio's ``data``)."""
    if not isinstance(data, dict) or "data" in data:
        return False
    if any(key in data for key in prodigy.ANNOTATION_KEYS):
        return False
    if any(key in data for key in (*LABEL_KEYS, ENTITY_KEY)):
        return True
    # Label Studio's annotations hold "result" lists; doccano 1.0's are labels with offsets.
    found = data.get(ANNOTATIONS_KEY)
    return isinstance(found, list) and not any(
        isinstance(item, dict) and "result" in item for item in found
    )


def parse_record(
    data: Any,
    *,
    source: str,
    line: int,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> Record:
    """A decoded doccano line as one Record (the first user's, for doccano 1.0); raise
    InvalidRecord saying what is wrong with it."""
    return parse_records(data, source=source, line=line, scheme=scheme, options=options)[0]


def parse_records(
    data: Any,
    *,
    source: str,
    line: int,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> list[Record]:
    """A decoded doccano line's records: one, or one per user for doccano 1.0's annotations;
    raise InvalidRecord saying what is wrong with it."""
    try:
        return _parse(data, source=source, line=line, scheme=scheme, options=options)
    except AnnotationProblem as problem:
        raise InvalidRecord(source, problem.line or line, str(problem)) from None


def _parse(
    data: Any, *, source: str, line: int, scheme: LabelScheme, options: ReadOptions
) -> list[Record]:
    if not isinstance(data, dict):
        raise AnnotationProblem(f"a record must be a JSON object, got {prodigy.json_type(data)}")
    text = _text_of(data, options=options)
    meta = _meta_of(data, text_key=options.text_column or TEXT_KEY)

    def record(annotation: RecordAnnotation | None) -> Record:
        return Record(
            text=text, source=source, line=line, meta=meta, split=False, annotation=annotation
        )

    # A blank text is skipped (and counted) by the import, whatever it was labelled with.
    if not text.strip():
        return [record(None)]
    if ANNOTATIONS_KEY in data and not any(key in data for key in (*LABEL_KEYS, ENTITY_KEY)):
        return [
            record(
                _checked(
                    text,
                    spans,
                    categories,
                    annotator=user,
                    data=data,
                    scheme=scheme,
                    options=options,
                )
            )
            for user, (spans, categories) in _by_user(data[ANNOTATIONS_KEY]).items()
        ] or [record(None)]
    key = next((key for key in (ENTITY_KEY, *LABEL_KEYS) if key in data), None)
    if key is None:
        return [record(None)]
    spans, categories, ids = _labels_of(data[key], key=key)
    categories += _categories_of(data.get("cats", []), key="cats")
    annotation = _checked(
        text,
        spans,
        categories,
        annotator=_annotator_of(data),
        data=data,
        scheme=scheme,
        options=options,
        arguments=_relations_of(data.get(RELATION_KEY, []), ids=ids),
    )
    return [record(annotation)]


def _text_of(data: dict[str, Any], *, options: ReadOptions) -> str:
    key = options.text_column or TEXT_KEY
    if key not in data:
        keys = ", ".join(repr(name) for name in data) or "no keys"
        hint = "" if options.text_column else "; name the key of the text with --text-column"
        raise AnnotationProblem(f'missing "{key}" (the line has {keys}){hint}')
    text = data[key]
    if not isinstance(text, str):
        raise AnnotationProblem(f'"{key}" must be a string, got {prodigy.json_type(text)}')
    return text


def _meta_of(data: dict[str, Any], *, text_key: str) -> dict[str, Any]:
    """The line's ``meta`` with doccano's other keys (its id, spread metadata, comments)."""
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise AnnotationProblem(f'"meta" must be an object, got {prodigy.json_type(meta)}')
    meta = dict(meta)
    for name, value in data.items():
        if name in KNOWN_KEYS or name == text_key or name in meta:
            continue
        if value is None or value == [] or value == {} or value == "":
            continue
        meta[name] = value
    return meta


def _annotator_of(data: dict[str, Any]) -> str | None:
    annotator = data.get("annotator")
    if annotator is not None and (not isinstance(annotator, str) or not annotator.strip()):
        raise AnnotationProblem(f'"annotator" must be a non-empty string, got {annotator!r}')
    return annotator


def _status_of(data: dict[str, Any]) -> Status:
    status = data.get("status", "accept")
    if status not in get_args(Status):
        raise AnnotationProblem(f'"status" must be accept, reject or skip; got {status!r}')
    return status  # type: ignore[no-any-return]


def _checked(
    text: str,
    spans: list[FileSpan],
    categories: list[str],
    *,
    annotator: str | None,
    data: dict[str, Any],
    scheme: LabelScheme,
    options: ReadOptions,
    arguments: list[FileArgument] | None = None,
) -> RecordAnnotation:
    return build_annotation(
        text,
        spans=spans,
        categories=categories,
        annotator=annotator,
        status=_status_of(data),
        scheme=scheme,
        options=options,
        arguments=arguments or (),
    )


def _name(value: Any) -> str | None:
    """A label as doccano writes it: a name, or (doccano 1.0) a number the label map names."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _labels_of(raw: Any, *, key: str) -> tuple[list[FileSpan], list[str], dict[Any, FileSpan]]:
    """The spans and categories of a ``label`` or ``entities`` list, and the entities by id."""
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"{key}" must be a list, got {prodigy.json_type(raw)}')
    spans: list[FileSpan] = []
    categories: list[str] = []
    ids: dict[Any, FileSpan] = {}
    for index, item in enumerate(raw):
        if isinstance(item, dict):
            span = _span_object(item, where=f"{key}[{index}]")
            if "id" in item:
                ids[item["id"]] = span
            spans.append(span)
        elif isinstance(item, list):
            if len(item) != 3 or not all(_is_offset(n) for n in item[:2]) or _name(item[2]) is None:
                raise AnnotationProblem(f"{key}[{index}] must be [start, end, label], got {item!r}")
            spans.append(FileSpan(item[0], item[1], str(_name(item[2]))))
        elif _name(item) is not None and key in LABEL_KEYS:
            # A text classification project's label list: the example's categories.
            categories.append(str(_name(item)))
        else:
            raise AnnotationProblem(
                f"{key}[{index}] must be [start, end, label] or a category name, got {item!r}"
            )
    return spans, categories, ids


def _span_object(item: dict[str, Any], *, where: str) -> FileSpan:
    start, end, label = item.get("start_offset"), item.get("end_offset"), _name(item.get("label"))
    if not _is_offset(start) or not _is_offset(end):
        raise AnnotationProblem(
            f'{where}: "start_offset" and "end_offset" must be integers, got {start!r} and {end!r}'
        )
    if label is None:
        raise AnnotationProblem(
            f'{where}: "label" must be a label name or id, got {item.get("label")!r}'
        )
    assert isinstance(start, int) and isinstance(end, int)
    return FileSpan(start, end, label)


def _categories_of(raw: Any, *, key: str) -> list[str]:
    if not isinstance(raw, list) or any(_name(name) is None for name in raw):
        raise AnnotationProblem(f'"{key}" must be a list of category names, got {raw!r}')
    return [str(_name(name)) for name in raw]


def _by_user(raw: Any) -> dict[str | None, tuple[list[FileSpan], list[str]]]:
    """doccano 1.0's annotations of an example by user, in the order users first appear: spans
    where an annotation has offsets, categories where it has none."""
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"annotations" must be a list, got {prodigy.json_type(raw)}')
    users: dict[str | None, tuple[list[FileSpan], list[str]]] = {}
    for index, item in enumerate(raw):
        where = f"annotations[{index}]"
        if not isinstance(item, dict):
            raise AnnotationProblem(f"{where} must be an object, got {prodigy.json_type(item)}")
        user = item.get("user")
        if user is not None and _name(user) is None:
            raise AnnotationProblem(f'{where}: "user" must be a user id or name, got {user!r}')
        spans, categories = users.setdefault(_name(user) if user is not None else None, ([], []))
        if "start_offset" in item or "end_offset" in item:
            spans.append(_span_object(item, where=where))
            continue
        name = _name(item.get("label"))
        if name is None:
            raise AnnotationProblem(
                f'{where}: "label" must be a label name or id, got {item.get("label")!r}'
            )
        categories.append(name)
    return users


def _relations_of(raw: Any, *, ids: dict[Any, FileSpan]) -> list[FileArgument]:
    """Each relation between two of the line's entities, as an argument for build_annotation
    (which keeps it when it is one, and lists it as left out when not)."""
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"relations" must be a list, got {prodigy.json_type(raw)}')
    found = []
    for index, item in enumerate(raw):
        where = f"relations[{index}]"
        if not isinstance(item, dict):
            raise AnnotationProblem(f"{where} must be an object, got {prodigy.json_type(item)}")
        kind = _name(item.get("type"))
        if kind is None:
            raise AnnotationProblem(f'{where}: "type" must be a name, got {item.get("type")!r}')
        for side in ("from_id", "to_id"):
            if item.get(side) not in ids:
                raise AnnotationProblem(
                    f'{where}: "{side}" {item.get(side)!r} is not the id of one of the entities'
                )
        found.append(FileArgument(ids[item["from_id"]], kind, ids[item["to_id"]], kind="relation"))
    return found


def line_of(record: Record, *, relations: bool = False) -> dict[str, Any]:
    """The doccano line of a record (spans, categories and meta; annotator when known); with
    ``relations``, the relation layout: entities with ids, and each argument a relation from its
    trigger to its entity."""
    line: dict[str, Any] = {"text": record.text}
    annotation = record.annotation
    if annotation is not None:
        spans = sorted([*annotation.entities, *annotation.events])
        if relations:
            ids = {span: number for number, span in enumerate(spans, start=1)}
            line[ENTITY_KEY] = [
                {
                    "id": ids[span],
                    "label": span.label,
                    "start_offset": span.start_char,
                    "end_offset": span.end_char,
                }
                for span in spans
            ]
            line[RELATION_KEY] = [
                {
                    "id": number,
                    "from_id": ids[argument.event],
                    "to_id": ids[argument.entity],
                    "type": argument.role,
                }
                for number, argument in enumerate(sorted(set(annotation.arguments)), start=1)
                if argument.event in ids and argument.entity in ids
            ]
        else:
            line["label"] = [[span.start_char, span.end_char, span.label] for span in spans]
        line["cats"] = list(annotation.categories)
        if annotation.annotator is not None:
            line["annotator"] = annotation.annotator
        if annotation.status != "accept":
            line["status"] = annotation.status
    line["meta"] = dict(record.meta)
    return line


def write(records: Iterable[Record], path: Path | str, *, relations: bool = False) -> int:
    """Write records as doccano JSONL, atomically (``relations``: in the relation layout);
    return how many were written."""
    return prodigy.write_jsonl((line_of(record, relations=relations) for record in records), path)
