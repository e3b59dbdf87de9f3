"""CoNLL-2003 style IOB for entities: ``TOKEN -X- SPACING TAG`` a line, a blank line a sentence.

Tags are IOB2 (``B-GPE``, ``I-GPE``, ``O``); reading also takes IOB1, where ``I-`` may open an
entity, and BILUO / IOBES (``L-``, ``U-``, ``E-``, ``S-``). The third column, CoNLL-2003's
chunk tag, carries what follows the token in the text instead (``_`` one space,
``SpaceAfter=No``, or ``SpacesAfter=`` with ``\\s``, ``\\t``, ``\\n`` and ``\\uXXXX`` escapes,
as in CoNLL-U), so the sentence comes back character for character. A file from elsewhere,
with real chunk tags or only two columns, reads as tokens joined by single spaces, and so does
spaCy's sentence-per-line IOB (``spacy convert``'s ``iob``: ``London|NNP|B-GPE is|VBZ|O ...``,
the word first and the tag last). Events and categories are not part of this format;
``-DOCSTART- -X- O O`` opens each report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.formats.checks import AnnotationProblem, FileSpan, build_annotation
from annotator.formats.files import replacing_file
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    decode_line,
    describe_decode_error,
    report_of,
)
from annotator.labels import LabelScheme
from annotator.tokens import blank_english

DOCSTART = "-DOCSTART- -X- O O"
NO_SPACE = "SpaceAfter=No"
SPACES = "SpacesAfter="
_ESCAPES = {" ": "\\s", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}
_UNESCAPES = {"s": " ", "t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


class ConllError(AnnotatorError, ValueError):
    """A sentence that this format cannot hold."""


@dataclass(frozen=True)
class _Token:
    text: str
    after: str | None  # None: not said (a file from elsewhere)
    tag: str
    line: int


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each sentence's record (entities only) or its problem, at the line of its first token."""
    tokens: list[_Token] = []
    bad = False
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = decode_line(raw, first=number == 1).rstrip("\r\n")
            except UnicodeDecodeError as error:
                yield InvalidRecord(source, number, describe_decode_error(error))
                bad = True
                continue
            if not line.strip() or line.startswith("-DOCSTART-"):
                if tokens and not bad:
                    yield _record_of(tokens, source=source, scheme=scheme, options=options)
                tokens, bad = [], False
                continue
            columns = line.split()
            if _is_pipe_sentence(columns):
                # spaCy's IOB: a whole sentence on its line, each token word|...|TAG.
                if tokens and not bad:
                    yield _record_of(tokens, source=source, scheme=scheme, options=options)
                tokens, bad = [], False
                pipe = [_Token(c.split("|")[0], None, c.rsplit("|", 1)[1], number) for c in columns]
                yield _record_of(pipe, source=source, scheme=scheme, options=options)
                continue
            if len(columns) < 2:
                yield InvalidRecord(
                    source, number, f"expected a token and a tag, got {line.strip()!r}"
                )
                bad = True
                continue
            try:
                after = _spacing_of(columns[2]) if len(columns) == 4 else None
            except ValueError as error:
                yield InvalidRecord(source, number, str(error))
                bad = True
                continue
            tokens.append(_Token(columns[0], after, columns[-1], number))
    if tokens and not bad:
        yield _record_of(tokens, source=source, scheme=scheme, options=options)


_TAG = re.compile(r"^(O|[BIELSU]-\S+)$")


def _is_pipe_sentence(columns: list[str]) -> bool:
    return all(
        "|" in column and column.split("|")[0] and _TAG.match(column.rsplit("|", 1)[1])
        for column in columns
    )


def _spacing_of(column: str) -> str | None:
    if column == "_":
        return " "
    if column == NO_SPACE:
        return ""
    if column.startswith(SPACES):
        escaped, spacing, index = column[len(SPACES) :], [], 0
        while index < len(escaped):
            if escaped[index] != "\\" or index + 1 == len(escaped):
                raise ValueError(f"bad escape in {column!r}; use \\s, \\t, \\n, \\r or \\\\")
            code = escaped[index + 1]
            if code == "u" and len(escaped) >= index + 6:
                spacing.append(chr(int(escaped[index + 2 : index + 6], 16)))
                index += 6
                continue
            if code not in _UNESCAPES:
                raise ValueError(f"bad escape \\{code} in {column!r}")
            spacing.append(_UNESCAPES[code])
            index += 2
        return "".join(spacing)
    return None  # a chunk tag from CoNLL-2003 proper


def _record_of(
    tokens: list[_Token], *, source: str, scheme: LabelScheme, options: ReadOptions
) -> Record | InvalidRecord:
    line = tokens[0].line
    pieces: list[str] = []
    offsets: list[tuple[int, int]] = []
    position = 0
    for index, token in enumerate(tokens):
        last = index == len(tokens) - 1
        after = token.after if token.after is not None else " "
        if last and token.after in (None, " "):
            # "_" is also CoNLL's placeholder: no space at the end unless spelled out.
            after = ""
        offsets.append((position, position + len(token.text)))
        pieces.append(token.text + after)
        position += len(token.text) + len(after)
    text = "".join(pieces)
    entities: list[FileSpan] = []
    current: FileSpan | None = None
    closed = False  # the entity ended at its L-, E-, U- or S- tag
    for token, (start, end) in zip(tokens, offsets, strict=True):
        tag = token.tag
        if tag == "O":
            prefix, label = "O", ""
        elif len(tag) > 2 and tag[1] == "-" and tag[0] in "BIELSU":
            prefix, label = tag[0], tag[2:]
        else:
            return InvalidRecord(source, token.line, f"bad tag {tag!r}; use O, B-LABEL or I-LABEL")
        inside = prefix in ("I", "L", "E")
        if inside and current is not None and current.label == label and not closed:
            current = FileSpan(current.start_char, end, label, "entities", current.line)
            closed = prefix != "I"
            continue
        if current is not None:
            entities.append(current)
            current = None
        if prefix != "O":
            # An entity's problems are said at the line of its first token.
            current = FileSpan(start, end, label, "entities", token.line)
            closed = prefix in ("L", "E", "U", "S")
    if current is not None:
        entities.append(current)
    try:
        annotation = build_annotation(
            text,
            spans=entities,
            categories=(),
            annotator=None,
            status="accept",
            scheme=scheme,
            options=options,
        )
    except AnnotationProblem as problem:
        return InvalidRecord(source, problem.line or line, str(problem))
    return Record(text=text, source=source, line=line, meta={}, split=False, annotation=annotation)


def sentence_lines(record: Record) -> list[str]:
    """The token lines of one sentence, tagged with its entities."""
    doc = blank_english().make_doc(record.text)
    if not doc or doc[0].is_space:
        raise ConllError(f"{record.source}:{record.line}: a sentence that starts with whitespace")
    tags = ["O"] * len(doc)
    entities = record.annotation.entities if record.annotation is not None else ()
    for entity in entities:
        span = doc.char_span(entity.start_char, entity.end_char, alignment_mode="strict")
        if span is None:
            raise ConllError(
                f"{record.source}:{record.line}: entity {entity.start_char}-{entity.end_char} "
                "is not on token boundaries"
            )
        for index in range(span.start, span.end):
            tags[index] = ("B-" if index == span.start else "I-") + entity.label
    lines: list[str] = []
    for token in doc:
        if token.is_space:
            continue  # its text is in the previous token's spacing
        after = token.whitespace_
        follower = token.i + 1
        while follower < len(doc) and doc[follower].is_space:
            after += doc[follower].text_with_ws
            follower += 1
        column = _spacing_column(after)
        if follower == len(doc) and after == " ":
            column = SPACES + _ESCAPES[" "]  # "_" at the end reads as nothing
        lines.append(f"{token.text} -X- {column} {tags[token.i]}")
    return lines


def _spacing_column(after: str) -> str:
    if after == " ":
        return "_"
    if after == "":
        return NO_SPACE
    return SPACES + "".join(_ESCAPES.get(char, f"\\u{ord(char):04x}") for char in after)


def write(records: Iterable[Record], path: Path | str) -> int:
    """Write the records' entities as CoNLL-2003 IOB, atomically; return how many sentences."""
    count = 0
    last_report: str | None = None
    with replacing_file(path) as temporary:
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for record in records:
                report = report_of(record)
                if report != last_report:
                    handle.write(DOCSTART + "\n\n")
                    last_report = report
                handle.write("\n".join(sentence_lines(record)) + "\n\n")
                count += 1
    return count
