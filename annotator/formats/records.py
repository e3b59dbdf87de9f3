"""What the formats read and write: records, their problems, and the decoding readers share.

Every format module takes its value types from here and this module imports none of them;
``registry`` picks the reader of each file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import AnnotatorError
from annotator.spans import Span, Status


@dataclass(frozen=True)
class RecordAnnotation:
    """A decision that came with an imported sentence (Prodigy's spans, events, accept, answer)."""

    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    annotator: str | None
    status: Status


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


def describe_decode_error(error: UnicodeDecodeError) -> str:
    """Say which byte is not UTF-8 and at which column of its line, counting from 1."""
    data, position = error.object, error.start
    line_start = data.rfind(b"\n", 0, position) + 1
    column = len(data[line_start:position].decode("utf-8", errors="replace")) + 1
    return f"is not valid UTF-8 (byte 0x{data[position]:02x} at column {column})"
