"""brat standoff: a ``.txt`` with the sentence and a ``.ann`` with its annotations, per sentence.

Entities and event triggers are ``T`` lines, each trigger has an ``E`` line with the event's
arguments (``E1\tARMED_CLASH:T3 ACTOR:T1 TARGET:T2``; a role an event has more than once is
numbered, ``ACTOR2``, as brat numbers it); categories and a decision other than accept are ``#``
note lines on the document (brat has no sentence labels). Reading, a role or an ``R`` relation
(``R1\tACTOR Arg1:T3 Arg2:T1``) is one of the scheme's roles through the label map, a numbered
role without its number too; an argument that is another event (``Event-Arg:E1``), a relation
that is no role or joins no trigger to an entity, attributes, normalisations and equivalences
(``*``) are read and listed as left out.
A reviewer export puts each reviewer's documents in a folder of their own under one root that
holds ``annotation.conf``, with the same file names in every folder: the layout bratiaa reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import get_args

from annotator.formats.checks import AnnotationProblem, FileArgument, FileSpan, build_annotation
from annotator.formats.files import replacing_directory
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    Adjustment,
    InvalidRecord,
    ReadOptions,
    Record,
    RecordAnnotation,
    decode_file,
    decode_line,
    describe_decode_error,
    document_name,
)
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span, Status

CONFIG = "annotation.conf"
CATEGORIES_NOTE = "Categories"
STATUS_NOTE = "Status"
DOCUMENT = "document"

_TEXTBOUND = re.compile(r"^(?P<label>\S+) (?P<offsets>\d+ \d+(?:;\d+ \d+)*)$")
_ROLE_ARGUMENT = re.compile(r"^(?P<role>[^:\s]+):(?P<id>[TE]\d+\S*)$")
_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """The record of every document of a brat folder (or of one .ann file), in name order.

    A document in a sub-folder of the folder read is that reviewer's annotation.
    """
    if not path.is_dir():
        yield _read_document(path, annotator=None, scheme=scheme, options=options)
        return
    found = False
    for ann in sorted(path.rglob("*.ann")):
        relative = ann.relative_to(path)
        if any(part.startswith(".") for part in relative.parts):
            continue
        found = True
        annotator = relative.parts[0] if len(relative.parts) > 1 else None
        yield _read_document(ann, annotator=annotator, scheme=scheme, options=options)
    if not found:
        yield InvalidRecord(source, 0, "no .ann files in this folder")


def _read_document(
    ann: Path, *, annotator: str | None, scheme: LabelScheme, options: ReadOptions
) -> Record | InvalidRecord:
    source = str(ann)
    txt = ann.with_suffix(".txt")
    try:
        data = txt.read_bytes()
    except OSError as error:
        return InvalidRecord(source, 0, f"its text {txt.name} cannot be read ({error.strerror})")
    try:
        text = decode_file(data, source=str(txt))
    except InvalidRecord as error:
        return error
    if not text.strip():
        # A blank text is a Record too: the import skips and counts it.
        return _document(ann, text=text, annotation=None)
    try:
        return _parse(ann, text=text, annotator=annotator, scheme=scheme, options=options)
    except InvalidRecord as error:
        return error


def _parse(
    ann: Path, *, text: str, annotator: str | None, scheme: LabelScheme, options: ReadOptions
) -> Record:
    source = str(ann)
    textbounds: dict[str, FileSpan] = {}  # id -> span
    triggers: list[tuple[str, str, int]] = []  # trigger id, event label, line
    events: dict[str, str] = {}  # event id -> its trigger id
    # (the event's trigger id or E id, role, argument id, line, "argument" or "relation")
    links: list[tuple[str, str, str, int, str]] = []
    categories: list[str] = []
    left_out: dict[str, list[int]] = {}  # what is read but not kept -> its lines
    status: Status = "accept"
    first_line = 0  # where a problem with the whole annotation is reported
    with ann.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = decode_line(raw, first=number == 1).rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise InvalidRecord(source, number, describe_decode_error(error)) from None
            if not line.strip():
                continue
            fields = line.split("\t")
            kind = fields[0][:1]
            if kind == "T":
                if fields[0] in textbounds:
                    raise InvalidRecord(source, number, f"repeated id {fields[0]}")
                textbounds[fields[0]] = _textbound(fields, text=text, where=(source, number))
                first_line = first_line or number
            elif kind == "E":
                parts = fields[1].split() if len(fields) >= 2 else []
                if not parts or ":" not in parts[0]:
                    raise InvalidRecord(source, number, "an E line is E<n>, tab, LABEL:T<n>")
                label, trigger = parts[0].split(":", 1)
                triggers.append((trigger, label, number))
                events[fields[0]] = trigger
                for part in parts[1:]:
                    matched = _ROLE_ARGUMENT.match(part)
                    if matched is None:
                        raise InvalidRecord(
                            source, number, f"an event argument is ROLE:T<n>, got {part!r}"
                        )
                    links.append((fields[0], matched["role"], matched["id"], number, "argument"))
            elif kind == "R":
                links.append(_relation(fields, where=(source, number)))
            elif kind == "#":
                note = fields[1].split(" ") if len(fields) == 3 else []
                if note[:1] == [CATEGORIES_NOTE]:
                    categories.extend(fields[2].split())
                    first_line = first_line or number
                elif note[:1] == [STATUS_NOTE]:
                    value = fields[2].strip()
                    if value not in get_args(Status):
                        raise InvalidRecord(
                            source, number, f"status must be accept, reject or skip; got {value!r}"
                        )
                    status = value  # type: ignore[assignment]
            elif kind in ("A", "M", "N", "*"):
                # Attributes, normalisations and equivalences: not in this scheme.
                left_out.setdefault(_LEFT_OUT[kind], []).append(number)
            else:
                raise InvalidRecord(source, number, f"not a brat annotation line: {line!r}")
    for trigger, label, number in triggers:
        found = textbounds.get(trigger)
        if found is None:
            raise InvalidRecord(source, number, f"event trigger {trigger} is not a T line here")
        if found.label != label:
            raise InvalidRecord(
                source, number, f"event {label} has trigger {trigger} of type {found.label}"
            )
        # An E line makes its T line a trigger, whatever the scheme calls the label.
        textbounds[trigger] = replace(found, layer="events")
    arguments, notes = _arguments(links, textbounds=textbounds, events=events, source=source)
    try:
        annotation = build_annotation(
            text,
            spans=textbounds.values(),
            categories=categories,
            annotator=annotator,
            status=status,
            scheme=scheme,
            options=options,
            arguments=arguments,
        )
    except AnnotationProblem as problem:
        raise InvalidRecord(source, problem.line or first_line or 1, str(problem)) from None
    if left_out or notes:
        annotation = replace(
            annotation,
            adjustments=(
                *annotation.adjustments,
                *notes,
                *(
                    Adjustment(
                        "left out", f"{len(lines)} {what} ({_lines(lines)}) read but not kept"
                    )
                    for what, lines in left_out.items()
                ),
            ),
        )
    return _document(ann, text=text, annotation=annotation)


def _document(ann: Path, *, text: str, annotation: RecordAnnotation | None) -> Record:
    """The record of one brat document: its whole text, unsplit, named by its file's stem."""
    return Record(
        text=text,
        source=str(ann),
        line=1,
        meta={"document": ann.stem},
        split=False,
        annotation=annotation,
    )


_LEFT_OUT = {
    "A": "attribute line(s)",
    "M": "attribute line(s)",
    "*": "equivalence line(s)",
    "N": "normalisation line(s)",
}


def _relation(fields: list[str], *, where: tuple[str, int]) -> tuple[str, str, str, int, str]:
    """An R line's (Arg1 id, type, Arg2 id, line, "relation"): brat writes ``TYPE Arg1:T1
    Arg2:T2``, with a tab after it when the relation has no note."""
    source, number = where
    parts = fields[1].split() if len(fields) >= 2 else []
    ends = dict(part.split(":", 1) for part in parts[1:] if ":" in part)
    if len(parts) != 3 or set(ends) != {"Arg1", "Arg2"}:
        raise InvalidRecord(source, number, "an R line is R<n>, tab, TYPE Arg1:T<n> Arg2:T<n>")
    return ends["Arg1"], parts[0], ends["Arg2"], number, "relation"


def _arguments(
    links: list[tuple[str, str, str, int, str]],
    *,
    textbounds: dict[str, FileSpan],
    events: dict[str, str],
    source: str,
) -> tuple[list[FileArgument], list[Adjustment]]:
    """The E lines' arguments and the R lines as arguments between T lines; an event as an
    argument of another, which the scheme has no room for, is noted as left out."""
    found: list[FileArgument] = []
    notes: list[Adjustment] = []
    for owner, role, target, number, kind in links:
        trigger = events.get(owner, owner)
        if target in events:
            notes.append(
                Adjustment(
                    "left out",
                    f"{kind} {role}:{target} of {owner} read but not kept: an event as an "
                    "argument of another event has no room in the scheme",
                    number,
                )
            )
            continue
        for name in (trigger, target):
            if name not in textbounds:
                raise InvalidRecord(source, number, f"{name} is not a T line of this document")
        found.append(
            FileArgument(textbounds[trigger], role, textbounds[target], line=number, kind=kind)
        )
    return found, notes


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5])) + (", ..." if len(numbers) > 5 else "")
    return f"line {shown}" if len(numbers) == 1 else f"lines {shown}"


def _textbound(fields: list[str], *, text: str, where: tuple[str, int]) -> FileSpan:
    source, number = where
    match = _TEXTBOUND.match(fields[1]) if len(fields) >= 2 else None
    if match is None:
        raise InvalidRecord(source, number, "a T line is T<n>, tab, LABEL START END, tab, text")
    if ";" in match["offsets"]:
        raise InvalidRecord(source, number, "discontinuous spans are not supported")
    start, end = (int(value) for value in match["offsets"].split())
    label = match["label"]
    quoted = fields[2] if len(fields) >= 3 else None
    # The file's offsets against its own quote, before any alignment moves them.
    there = text[start:end]
    if quoted is not None and start < end <= len(text) and quoted != _one_line(there):
        raise InvalidRecord(
            source,
            number,
            f"span {start}-{end} {label} says {quoted!r} but the text there is {there!r}",
        )
    return FileSpan(start, end, label, line=number)


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n]", " ", text)


def annotation_conf(scheme: LabelScheme) -> str:
    """brat's annotation.conf for the scheme.

    Trigger types appear under [entities] as well as [events] because bratiaa takes its
    labels from [entities] only, and compares every T line, triggers included. Each event type
    takes the scheme's roles, with the entity types each accepts (``*``: any number of them,
    ``?``: at most one).
    """
    events = scheme.names("events")
    roles = ", ".join(
        f"{role.name}{'*' if role.repeat else '?'}:"
        + "|".join(role.accepts or scheme.names("entities"))
        for role in scheme.roles
    )
    return "\n".join(
        [
            "# Written by Conflict Annotator from its label scheme.",
            "# Event trigger types are listed under [entities] too: bratiaa counts only those.",
            "[entities]",
            *scheme.names("entities"),
            *events,
            "[relations]",
            "[events]",
            *(f"{event}\t{roles}" if roles else event for event in events),
            "[attributes]",
            "",
        ]
    )


def ann_lines(record: Record) -> list[str]:
    """The .ann lines of an annotated record."""
    annotation = record.annotation
    if annotation is None:
        return []
    lines: list[str] = []
    number = 0
    for span in annotation.entities:
        number += 1
        lines.append(
            f"T{number}\t{span.label} {span.start_char} {span.end_char}\t{_quoted(record, span)}"
        )
    ids = {span: f"T{index}" for index, span in enumerate(annotation.entities, start=1)}
    for event_number, span in enumerate(annotation.events, start=1):
        number += 1
        lines.append(
            f"T{number}\t{span.label} {span.start_char} {span.end_char}\t{_quoted(record, span)}"
        )
        roles = _numbered_roles(
            argument for argument in annotation.arguments if argument.event == span
        )
        args = "".join(f" {role}:{ids[entity]}" for role, entity in roles if entity in ids)
        lines.append(f"E{event_number}\t{span.label}:T{number}{args}")
    notes = 0
    if annotation.categories:
        notes += 1
        lines.append(f"#{notes}\t{CATEGORIES_NOTE} {DOCUMENT}\t{' '.join(annotation.categories)}")
    if annotation.status != "accept":
        notes += 1
        lines.append(f"#{notes}\t{STATUS_NOTE} {DOCUMENT}\t{annotation.status}")
    return lines


def _numbered_roles(arguments: Iterable[Argument]) -> list[tuple[str, Span]]:
    """Each argument's role as an E line writes it: brat numbers a role the event already has
    (ACTOR, ACTOR2, ACTOR3), so that no role repeats on a line."""
    seen: dict[str, int] = {}
    numbered = []
    for argument in sorted(arguments, key=lambda a: (a.role, a.entity)):
        seen[argument.role] = seen.get(argument.role, 0) + 1
        count = seen[argument.role]
        numbered.append(
            (argument.role if count == 1 else f"{argument.role}{count}", argument.entity)
        )
    return numbered


def _quoted(record: Record, span: Span) -> str:
    return _one_line(span.text_in(record.text))


def folder_name(annotator: str) -> str:
    """A reviewer's folder name: the name with anything unsafe in a path replaced."""
    return _FOLDER_UNSAFE.sub("_", annotator).strip(".") or "_"


def write(
    records: Iterable[Record],
    directory: Path | str,
    *,
    scheme: LabelScheme,
    by_annotator: bool = False,
) -> int:
    """Write a brat project (annotation.conf and a .txt/.ann pair per sentence), atomically.

    With ``by_annotator`` each record goes to its annotator's folder; return how many
    documents were written.
    """
    count = 0
    folders: dict[str, str] = {}
    with replacing_directory(directory) as root:
        (root / CONFIG).write_text(annotation_conf(scheme), encoding="utf-8")
        for record in records:
            target = root
            if by_annotator:
                annotator = record.annotation.annotator if record.annotation else None
                target = root / _folder_for(annotator or "gold", folders)
                target.mkdir(exist_ok=True)
            name = document_name(record)
            (target / f"{name}.txt").write_text(record.text, encoding="utf-8", newline="")
            lines = ann_lines(record)
            (target / f"{name}.ann").write_text(
                "".join(line + "\n" for line in lines), encoding="utf-8", newline="\n"
            )
            count += 1
    return count


def _folder_for(annotator: str, folders: dict[str, str]) -> str:
    if annotator not in folders:
        name = folder_name(annotator)
        taken = set(folders.values())
        candidate, suffix = name, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{name}-{suffix}"
        folders[annotator] = candidate
    return folders[annotator]
