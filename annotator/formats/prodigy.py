"""Prodigy-style JSONL: one sentence per line, with its spans, events, categories and answer.

Every event carries ``args``, its arguments: ``[{role, start, end, label, text}]``, each the
entity span of the line that plays the role (the shape ``annotator suggest`` writes). Prodigy's
``rel.manual`` writes the same links as ``relations``: ``{head, child, head_span, child_span,
label}``, the head the trigger and the child the entity, ``head``/``child`` the last token of
each and the spans ``{start, end, token_start, token_end, label}``; both are read, and written
where a line has arguments. Prodigy's binary answers (``ner.teach``, ``textcat.teach``: one span
or a top-level ``label`` a line, accepted or rejected) are one reviewer's answers about a text:
the import merges them into one annotation holding the accepted spans and labels.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

# By its full name: ``from annotator.formats import table`` also reads as an import of the
# package, whose registry imports this module.
import annotator.formats.table as table
from annotator.formats.checks import AnnotationProblem, FileArgument, FileSpan, build_annotation
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
from annotator.spans import Argument, Draft, Layer, Span, SpanError, Status, check_draft
from annotator.tokens import blank_english

ANSWERS: dict[str, Status] = {"accept": "accept", "reject": "reject", "ignore": "skip"}
STATUS_ANSWERS: dict[Status, str] = {"accept": "accept", "reject": "reject", "skip": "ignore"}
# Any of these keys means the line carries a decision, not only a text to annotate.
ANNOTATION_KEYS = ("spans", "events", "accept", "answer")
ARGS_KEY = "args"
RELATIONS_KEY = "relations"
# The views of Prodigy's binary recipes (ner.teach, textcat.teach, mark): yes or no to one
# span or label; "relations" is rel.manual's, whose one span list holds triggers too.
BINARY_VIEWS = ("ner", "classification", "binary")
RELATIONS_VIEW = "relations"
# rel.manual draws a relation's arc in a colour of its label; ours are the roles'.
RELATION_COLOUR = "#c5bdf4"


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
        binary = _binary_kind(data)
        # A blank text is a Record too (the import skips and counts it), whatever it says.
        if text.strip() and any(key in data for key in ANNOTATION_KEYS):
            annotation = _annotation_of(
                data,
                text=text,
                annotator=annotator,
                scheme=scheme,
                options=options,
                binary=binary == "explicit",
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
        binary_answer=annotation is not None and binary is not None,
    )


def _binary_kind(data: dict[str, Any]) -> Literal["explicit", "implicit"] | None:
    """Whether a task is a binary answer: "explicit" when its view or a top-level ``label``
    says so, "implicit" for a Prodigy answer (it has Prodigy's hashes) about one span without a
    view: it merges with the same reviewer's other answers of its text, and alone reads as any
    task. None for any other, such as records a team wrote itself."""
    if "answer" not in data or any(
        key in data for key in ("accept", "events", "options", RELATIONS_KEY)
    ):
        return None
    view = data.get("_view_id")
    if view is not None:
        return "explicit" if view in BINARY_VIEWS else None
    if isinstance(data.get("label"), str):
        return "explicit"
    spans = data.get("spans")
    one_span = isinstance(spans, list) and len(spans) == 1
    return "implicit" if one_span and "_input_hash" in data else None


def _text_of(data: dict[str, Any], *, options: ReadOptions) -> str:
    key = options.text_column or "text"
    if key not in data:
        raise AnnotationProblem(table.missing_text_column(key, data, options=options, kind="key"))
    text = data[key]
    if not isinstance(text, str):
        raise AnnotationProblem(f'"{key}" must be a string, got {json_type(text)}')
    return text


def _context_of(data: dict[str, Any], *, text_key: str) -> dict[str, Any]:
    skipped = {text_key, "meta", "tokens", RELATIONS_KEY, *ANNOTATION_KEYS}
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
    binary: bool,
) -> RecordAnnotation:
    status = _status_of(data)
    if binary:
        return _binary_annotation(
            data, text=text, annotator=annotator, status=status, scheme=scheme, options=options
        )
    # rel.manual keeps every span, triggers too, in its one list: the scheme tells them apart.
    relations_task = data.get("_view_id") == RELATIONS_VIEW or RELATIONS_KEY in data
    entities = _spans_of(data, "spans", text=text, layer=None if relations_task else "entities")
    events = _spans_of(data, "events", text=text, layer="events")
    return build_annotation(
        text,
        spans=[*entities, *events],
        categories=_categories_of(data),
        annotator=annotator,
        status=status,
        scheme=scheme,
        options=options,
        arguments=[
            *_args_of(data, events=events, entities=entities),
            *_relations_of(data, spans=[*entities, *events]),
        ],
    )


def _binary_annotation(
    data: dict[str, Any],
    *,
    text: str,
    annotator: str | None,
    status: Status,
    scheme: LabelScheme,
    options: ReadOptions,
) -> RecordAnnotation:
    """A binary answer as the reviewer's annotation: what it accepted (the span, or the
    top-level label as a category); rejected, the annotation without it; ignored, a skip."""
    label = data.get("label")
    if isinstance(label, bool) or (label is not None and not isinstance(label, str | int)):
        raise AnnotationProblem(f'"label" must be a category name, got {label!r}')
    accepted = status == "accept"
    # textcat.teach highlights its patterns' matches as spans: they are no entities. A teach
    # recipe's span may be an event trigger: the scheme tells its layer.
    spans = _spans_of(data, "spans", text=text, layer=None) if label is None else []
    return build_annotation(
        text,
        spans=spans if accepted else [],
        categories=[str(label)] if accepted and label is not None else [],
        annotator=annotator,
        status="skip" if status == "skip" else "accept",
        scheme=scheme,
        options=options,
    )


def _spans_of(data: dict[str, Any], key: str, *, text: str, layer: Layer | None) -> list[FileSpan]:
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


def _args_of(
    data: dict[str, Any], *, events: list[FileSpan], entities: list[FileSpan]
) -> list[FileArgument]:
    """The ``args`` of every event: ``[{role, start, end, label}]``, each an entity span of the
    line (its label may be left out)."""
    found: list[FileArgument] = []
    for index, (item, event) in enumerate(zip(data.get("events", []), events, strict=True)):
        for at, arg in _objects_in(item.get(ARGS_KEY, []), where=f"events[{index}].{ARGS_KEY}"):
            role = _name_in(arg, "role", at=at, what="a role name")
            entity = _span_at(arg, among=entities, where=at)
            found.append(FileArgument(event, role, entity))
    return found


def _objects_in(raw: Any, *, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each item of the list ``raw`` found at ``where``, with its own place: every one must be
    an object."""
    if not isinstance(raw, list):
        raise AnnotationProblem(f'"{where}" must be a list, got {json_type(raw)}')
    for number, item in enumerate(raw):
        at = f"{where}[{number}]"
        if not isinstance(item, dict):
            raise AnnotationProblem(f"{at} must be an object, got {json_type(item)}")
        yield at, item


def _name_in(item: dict[str, Any], key: str, *, at: str, what: str) -> str:
    """The non-empty string ``item[key]`` (``what`` it names, for the problem)."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise AnnotationProblem(f'{at}: "{key}" must be {what}, got {value!r}')
    return value


def _relations_of(data: dict[str, Any], *, spans: list[FileSpan]) -> list[FileArgument]:
    """rel.manual's ``relations`` as arguments: the head is the event's trigger, the child the
    entity playing the relation's label in it; a side is found by its span, else its token."""
    found: list[FileArgument] = []
    for where, item in _objects_in(data.get(RELATIONS_KEY, []), where=RELATIONS_KEY):
        label = _name_in(item, "label", at=where, what="a relation name")
        head, child = (
            _relation_side(data, item, side, among=spans, where=where) for side in ("head", "child")
        )
        found.append(FileArgument(head, label, child, kind="relation"))
    return found


def _relation_side(
    data: dict[str, Any],
    item: dict[str, Any],
    side: str,
    *,
    among: list[FileSpan],
    where: str,
) -> FileSpan:
    span = item.get(f"{side}_span")
    if isinstance(span, dict):
        return _span_at(span, among=among, where=f"{where}.{side}_span")
    token = item.get(side)
    tokens = data.get("tokens")
    if isinstance(token, int) and not isinstance(token, bool) and isinstance(tokens, list):
        at = next((t for t in tokens if isinstance(t, dict) and t.get("id") == token), None)
        if at is None and 0 <= token < len(tokens):
            at = tokens[token]
        if isinstance(at, dict) and _is_offset(at.get("start")) and _is_offset(at.get("end")):
            start, end = int(at["start"]), int(at["end"])
            for found in among:
                if found.start_char <= start and end <= found.end_char:
                    return found
            return FileSpan(start, end, "(a token)")
    raise AnnotationProblem(
        f'{where} needs "{side}_span" {{start, end, label}}, or "{side}" with the task\'s tokens'
    )


def _span_at(item: dict[str, Any], *, among: list[FileSpan], where: str) -> FileSpan:
    """The line's span at an argument's or relation side's offsets (of its label, when given);
    a span the line does not have is returned as given, and left out by build_annotation."""
    start, end, label = item.get("start"), item.get("end"), item.get("label")
    if not _is_offset(start) or not _is_offset(end):
        raise AnnotationProblem(
            f'{where}: "start" and "end" must be integers, got {start!r} and {end!r}'
        )
    assert isinstance(start, int) and isinstance(end, int)
    same = [s for s in among if (s.start_char, s.end_char) == (start, end)]
    chosen = next((s for s in same if s.label == label), same[0] if same else None)
    if chosen is not None:
        return chosen
    return FileSpan(start, end, label if isinstance(label, str) and label else "(no label)")


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
    arguments: Iterable[Argument] = (),
) -> dict[str, Any]:
    """A Prodigy task for one sentence and its decision; read_jsonl reads it back unchanged.

    Every event carries its ``args``; a sentence with arguments has them as rel.manual's
    ``relations`` too (head: the trigger, child: the entity)."""
    links = sorted(set(arguments))
    doc = blank_english().make_doc(text) if tokens or links else None

    def span_json(span: Span) -> dict[str, Any]:
        record = {**span.to_dict(), "text": span.text_in(text)}
        aligned = doc.char_span(span.start_char, span.end_char) if doc is not None else None
        if aligned is not None and tokens:
            record["token_start"] = aligned.start
            record["token_end"] = aligned.end - 1
        return record

    def event_json(span: Span) -> dict[str, Any]:
        args = [
            {"role": link.role, **span_json(link.entity)} for link in links if link.event == span
        ]
        return {**span_json(span), ARGS_KEY: args}

    task: dict[str, Any] = {"text": text, "meta": dict(meta)}
    if doc is not None and tokens:
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
    task["events"] = [event_json(span) for span in sorted(events)]
    if links and doc is not None:
        task[RELATIONS_KEY] = [_relation_json(link, doc=doc) for link in links]
    task["accept"] = list(categories)
    task["answer"] = STATUS_ANSWERS[status]
    if annotator is not None:
        task["_annotator_id"] = annotator
    return task


def _relation_json(link: Argument, *, doc: Any) -> dict[str, Any]:
    """An argument as rel.manual writes a relation: each side's last token and its span."""

    def side(span: Span) -> dict[str, Any]:
        piece = doc.char_span(span.start_char, span.end_char, alignment_mode="expand")
        first, last = (piece.start, piece.end - 1) if piece is not None else (0, 0)
        return {
            "start": span.start_char,
            "end": span.end_char,
            "token_start": first,
            "token_end": last,
            "label": span.label,
        }

    head, child = side(link.event), side(link.entity)
    return {
        "head": head["token_end"],
        "child": child["token_end"],
        "head_span": head,
        "child_span": child,
        "color": RELATION_COLOUR,
        "label": link.role,
    }


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
        arguments=annotation.arguments,
    )


# --- binary answers -------------------------------------------------------------------------


def merge_binary_answers(
    records: Sequence[Record], *, scheme: LabelScheme
) -> tuple[list[Record], list[InvalidRecord]]:
    """The records with each reviewer's binary answers of one text (``Record.binary_answer``)
    merged into one record, in the place of the first: it holds every span, label and argument
    the answers accepted, and is a skip when every answer was ignored. The merged annotation is
    checked like any (two accepted spans that overlap are a problem naming the answers)."""
    groups: dict[tuple[str, str | None], list[int]] = {}
    for index, record in enumerate(records):
        if record.binary_answer and record.annotation is not None:
            groups.setdefault((record.text, record.annotation.annotator), []).append(index)
    merged: dict[int, Record] = {}
    dropped: set[int] = set()
    problems: list[InvalidRecord] = []
    for indexes in groups.values():
        if len(indexes) < 2:
            continue
        members = [records[index] for index in indexes]
        dropped.update(indexes)
        try:
            merged[indexes[0]] = _merged(members, scheme=scheme)
        except InvalidRecord as problem:
            problems.append(problem)
    kept = [
        merged.get(index, record)
        for index, record in enumerate(records)
        if index not in dropped or index in merged
    ]
    return kept, problems


def _merged(members: list[Record], *, scheme: LabelScheme) -> Record:
    first = members[0]
    annotations = [member.annotation for member in members if member.annotation is not None]
    accepted = [a for a in annotations if a.status == "accept"]
    draft = Draft(
        entities=tuple(sorted({span for a in accepted for span in a.entities})),
        events=tuple(sorted({span for a in accepted for span in a.events})),
        categories=tuple(dict.fromkeys(name for a in accepted for name in a.categories)),
        arguments=tuple(sorted({link for a in accepted for link in a.arguments})),
    )
    try:
        check_draft(draft, text=first.text, scheme=scheme)
    except SpanError as error:
        raise InvalidRecord(
            first.source,
            first.line,
            f"the binary answers of this text ({_places(members)}) merged: {error}",
        ) from None
    # Rejected answers say no to what they showed; an annotation that only rejects is an
    # accept of nothing. Only answers that were all ignored decide nothing.
    skipped = all(a.status == "skip" for a in annotations)
    annotation = RecordAnnotation(
        entities=draft.entities,
        events=draft.events,
        categories=draft.categories,
        annotator=annotations[0].annotator,
        status="skip" if skipped else "accept",
        adjustments=tuple(item for a in annotations for item in a.adjustments),
        arguments=draft.arguments,
    )
    return replace(first, annotation=annotation, answers=sum(member.answers for member in members))


def _places(members: list[Record]) -> str:
    if len({member.source for member in members}) == 1:
        numbers = [str(member.line) for member in members]
        shown = ", ".join(numbers[:5]) + (", ..." if len(numbers) > 5 else "")
        return f"lines {shown}"
    return ", ".join(f"{member.source}:{member.line}" for member in members[:5])
