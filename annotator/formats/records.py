"""What an import reads: records, their problems, and the all-or-nothing reader over files."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.spans import Span, Status

logger = logging.getLogger(__name__)

SUFFIXES = (".txt", ".csv", ".jsonl", ".conll", ".iob", ".ann", ".spacy")
# Names for ``read_file(format=...)``; export uses the same names for the same layouts.
FORMATS = ("txt", "table", "jsonl", "doccano", "conll", "brat", "spacy", "csv")


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


Reader = Callable[[Path, str, LabelScheme], Iterator[Record | InvalidRecord]]


def read_records(
    paths: Iterable[Path | str],
    *,
    scheme: LabelScheme,
    format: str | None = None,
    gold: bool = False,
) -> Iterator[Record]:
    """Yield the valid records of every file in order; then raise ImportFailed if any was invalid.

    Records stream one at a time, so a caller can insert them inside one transaction and roll
    it back when ImportFailed arrives after the last one. ``format`` overrides the choice by
    suffix; with ``gold`` every record must carry an accepted annotation.
    """
    errors: list[InvalidRecord] = []
    count = 0
    for path in paths:
        for item in read_file(path, scheme=scheme, format=format, gold=gold):
            if isinstance(item, InvalidRecord):
                errors.append(item)
            else:
                count += 1
                yield item
    logger.info("read %d valid and %d invalid records", count, len(errors))
    if errors:
        raise ImportFailed(errors)


def validate_records(
    paths: Iterable[Path | str],
    *,
    scheme: LabelScheme,
    format: str | None = None,
    gold: bool = False,
) -> list[InvalidRecord]:
    """Every problem in the files, in order; an empty list when all of them can be imported."""
    return [
        item
        for path in paths
        for item in read_file(path, scheme=scheme, format=format, gold=gold)
        if isinstance(item, InvalidRecord)
    ]


def read_file(
    path: Path | str,
    *,
    scheme: LabelScheme,
    format: str | None = None,
    gold: bool = False,
) -> Iterator[Record | InvalidRecord]:
    """The records and problems of one file (or brat folder), in order.

    The reader is ``format`` when given, else chosen by the suffix (a folder is brat); a .jsonl
    line is doccano or Prodigy by its fields, a .csv is spans or reports by its header.
    """
    source = str(path)
    path = Path(path)
    if format is not None and format not in FORMATS:
        yield InvalidRecord(source, 0, f"unknown format {format!r}; use " + ", ".join(FORMATS))
        return
    readers = _readers()
    reader: Reader | None
    if format is not None:
        reader = readers[format]
    else:
        reader = readers.get(_SUFFIX_FORMATS.get(path.suffix.lower(), ""))
        if reader is None and path.is_dir():
            reader = readers["brat"]
    if reader is None:
        shown = repr(path.suffix) if path.suffix else "no suffix"
        yield InvalidRecord(
            source,
            0,
            f"unsupported file type ({shown}); use a brat folder or " + ", ".join(SUFFIXES),
        )
        return
    try:
        for item in reader(path, source, scheme):
            yield _as_gold(item) if gold else item
    except OSError as error:
        yield InvalidRecord(source, 0, f"cannot be read ({error.strerror or error})")


_SUFFIX_FORMATS = {
    ".txt": "txt",
    ".csv": "auto-csv",
    ".jsonl": "auto-jsonl",
    ".conll": "conll",
    ".iob": "conll",
    ".ann": "brat",
    ".spacy": "spacy",
}


def _as_gold(item: Record | InvalidRecord) -> Record | InvalidRecord:
    if isinstance(item, InvalidRecord):
        return item
    if item.annotation is None:
        return InvalidRecord(
            item.source, item.line, "no annotation; a gold import needs one on every record"
        )
    if item.annotation.status != "accept":
        return InvalidRecord(
            item.source,
            item.line,
            f"the answer is {item.annotation.status!r}; a gold import takes accepted records only",
        )
    return item


def _readers() -> dict[str, Reader]:
    # Imported here because each format module imports the record types from this one.
    from annotator.formats import (
        brat,
        conll,
        doccano,
        prodigy,
        spacy_docbin,
        spans_csv,
        table,
        text,
    )

    return {
        "txt": text.read_txt,
        "table": table.read_csv,
        "jsonl": prodigy.read_jsonl,
        "doccano": doccano.read,
        "conll": conll.read,
        "brat": brat.read,
        "spacy": spacy_docbin.read,
        "csv": spans_csv.read,
        "auto-jsonl": doccano.read_any_jsonl,
        "auto-csv": spans_csv.read_any_csv,
    }


def decode_line(raw: bytes, *, first: bool) -> str:
    """One line of a file as UTF-8, without the byte order mark some editors put first."""
    return raw.decode("utf-8-sig" if first else "utf-8")


def describe_decode_error(error: UnicodeDecodeError) -> str:
    """Say which byte is not UTF-8 and at which column of its line, counting from 1."""
    data, position = error.object, error.start
    line_start = data.rfind(b"\n", 0, position) + 1
    column = len(data[line_start:position].decode("utf-8", errors="replace")) + 1
    return f"is not valid UTF-8 (byte 0x{data[position]:02x} at column {column})"
