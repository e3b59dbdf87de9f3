"""What the formats read and write: records, their problems, and the decoding readers share.

Every format module takes its value types from here and this module imports none of them;
``registry`` picks the reader of each file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from annotator.errors import AnnotatorError
from annotator.spans import Argument, Span, Status

# How a span off this project's token boundaries is read: refused, widened to the tokens it
# touches, or narrowed to the tokens it covers whole.
Align = Literal["strict", "expand", "contract"]
ALIGNS: tuple[Align, ...] = ("strict", "expand", "contract")


def _no_labels() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ReadOptions:
    """How to read a peer's file: its label names to ours (``label_map``, theirs -> ours; a
    name it lacks is read as it is), how its spans are fitted to this project's tokens, and the
    column or key that holds the text (None: the format's own, ``text``)."""

    label_map: Mapping[str, str] = field(default_factory=_no_labels)
    align: Align = "strict"
    text_column: str | None = None

    def __post_init__(self) -> None:
        # A read-only copy: the caller's dict may change, the options may not.
        object.__setattr__(self, "label_map", MappingProxyType(dict(self.label_map)))
        if self.align not in ALIGNS:
            raise ValueError(f"align must be one of {', '.join(ALIGNS)}, got {self.align!r}")

    def label(self, name: str) -> str:
        """Our name for a label as a file spells it."""
        return self.label_map.get(name, name)


# What a reader does without options: labels as spelled, spans strictly on tokens, "text".
DEFAULT_OPTIONS = ReadOptions()

# What an import changed in a record's annotation: a span fitted to the tokens, a label renamed,
# something the file holds that the reading read but does not keep (a relation that is no event
# argument of the scheme, an attribute, another tool's result).
AdjustmentKind = Literal["aligned", "renamed", "left out"]


@dataclass(frozen=True)
class Adjustment:
    """One change the reading made to a record's annotation, and the file's line where it was
    (None: the record's own line)."""

    kind: AdjustmentKind
    what: str
    line: int | None = None


@dataclass(frozen=True)
class RecordAnnotation:
    """A decision that came with an imported sentence (Prodigy's spans, events, accept, answer),
    what reading it changed (``adjustments``: spans aligned, labels renamed) and the events'
    arguments (brat's E and R lines, the peers' relations, the JSONL's ``args``)."""

    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    annotator: str | None
    status: Status
    adjustments: tuple[Adjustment, ...] = ()
    arguments: tuple[Argument, ...] = ()


@dataclass(frozen=True)
class RecordSuggestion:
    """What a model suggested for an imported text (Label Studio's predictions), stored as that
    model name and version's suggestion of the text's sentence."""

    model_name: str
    model_version: str
    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    arguments: tuple[Argument, ...] = ()


@dataclass(frozen=True)
class Record:
    """One valid text to import, with where it came from."""

    text: str
    source: str
    line: int
    meta: Mapping[str, Any]
    split: bool
    annotation: RecordAnnotation | None
    # Set on records exported from the database: the report's content hash and the sentence's
    # position in it. Splits keep a report together; file names stay the same across reviewers.
    report_key: str | None = None
    position: int | None = None
    # The text's line breaks are the file's own (a .txt report): a place in the text is on
    # ``line`` plus the line breaks before it. In a JSONL line they are escapes (``\n``).
    text_lines: bool = False
    # What models suggested for the text (a peer's predictions); their offsets count from the
    # start of the text, so a record with suggestions is never split.
    suggestions: tuple[RecordSuggestion, ...] = ()
    # A binary answer (Prodigy's ner.teach, textcat.teach): yes or no to one span or label. A
    # reviewer's binary answers of one text are merged into one annotation on import
    # (``prodigy.merge_binary_answers``); ``answers`` is how many answers of the file a record
    # stands for.
    binary_answer: bool = False
    answers: int = 1

    @property
    def blank(self) -> bool:
        """True for a record whose text is empty or only whitespace: imports skip and count it."""
        return not self.text.strip()


def adjustments_of(record: Record, *, kind: AdjustmentKind = "aligned") -> list[str]:
    """The record's adjustments of one kind, each with its place (``FILE:LINE: what``)."""
    if record.annotation is None:
        return []
    return [
        f"{record.source}:{record.line if item.line is None else item.line}: {item.what}"
        for item in record.annotation.adjustments
        if item.kind == kind
    ]


def document_name(record: Record) -> str:
    """A file-system-safe name for a record's sentence, the same in every reviewer's export."""
    if record.report_key is not None and record.position is not None:
        return f"{record.report_key[:16]}-{record.position:04d}"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(record.source).stem) or "record"
    return f"{stem}-{record.line:04d}"


def report_of(record: Record) -> str:
    """The key that keeps a report's sentences on one side of a train/dev split."""
    return record.report_key if record.report_key is not None else record.text


class InvalidRecord(AnnotatorError, ValueError):
    """A record (or a whole file, at line 0) that cannot be imported, and why."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        # All three go to args so the error pickles and compares like a value.
        super().__init__(source, line, reason)
        self.source = source
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InvalidRecord) and self.args == other.args

    def __hash__(self) -> int:
        return hash(self.args)


class ImportFailed(AnnotatorError, ValueError):
    """Every invalid record of an import; nothing of it should be kept."""

    def __init__(self, errors: list[InvalidRecord]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def decode_line(raw: bytes, *, first: bool) -> str:
    """One line of a file as UTF-8, without the byte order mark some editors put first."""
    return raw.decode("utf-8-sig" if first else "utf-8")


def decode_file(data: bytes, *, source: str) -> str:
    """A whole file as UTF-8, without the byte order mark some editors put first; an
    InvalidRecord at the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidRecord(source, line, describe_decode_error(error)) from None


def describe_decode_error(error: UnicodeDecodeError) -> str:
    """Say which byte is not UTF-8 and at which column of its line, counting from 1."""
    data, position = error.object, error.start
    line_start = data.rfind(b"\n", 0, position) + 1
    column = len(data[line_start:position].decode("utf-8", errors="replace")) + 1
    return f"is not valid UTF-8 (byte 0x{data[position]:02x} at column {column})"
