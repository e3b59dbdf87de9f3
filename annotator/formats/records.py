"""What an import reads: records, their problems, and the all-or-nothing reader over files."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from annotator.labels import LabelScheme
from annotator.spans import Span

logger = logging.getLogger(__name__)

Status = Literal["accept", "reject", "skip"]

SUFFIXES = (".txt", ".csv", ".jsonl")


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


class InvalidRecord(ValueError):
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


class ImportFailed(ValueError):
    """Every invalid record of an import; nothing of it should be kept."""

    def __init__(self, errors: list[InvalidRecord]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


Reader = Callable[[Path, str, LabelScheme], Iterator[Record | InvalidRecord]]


def read_records(paths: Iterable[Path | str], *, scheme: LabelScheme) -> Iterator[Record]:
    """Yield the valid records of every file in order; then raise ImportFailed if any was invalid.

    Records stream one at a time, so a caller can insert them inside one transaction and roll
    it back when ImportFailed arrives after the last one.
    """
    errors: list[InvalidRecord] = []
    count = 0
    for path in paths:
        for item in read_file(path, scheme=scheme):
            if isinstance(item, InvalidRecord):
                errors.append(item)
            else:
                count += 1
                yield item
    logger.info("read %d valid and %d invalid records", count, len(errors))
    if errors:
        raise ImportFailed(errors)


def validate_records(paths: Iterable[Path | str], *, scheme: LabelScheme) -> list[InvalidRecord]:
    """Every problem in the files, in order; an empty list when all of them can be imported."""
    return [
        item
        for path in paths
        for item in read_file(path, scheme=scheme)
        if isinstance(item, InvalidRecord)
    ]


def read_file(path: Path | str, *, scheme: LabelScheme) -> Iterator[Record | InvalidRecord]:
    """The records and problems of one file, in file order, chosen by its suffix."""
    source = str(path)
    path = Path(path)
    reader = _readers().get(path.suffix.lower())
    if reader is None:
        shown = repr(path.suffix) if path.suffix else "no suffix"
        yield InvalidRecord(
            source, 0, f"unsupported file type ({shown}); use " + ", ".join(SUFFIXES)
        )
        return
    try:
        yield from reader(path, source, scheme)
    except OSError as error:
        yield InvalidRecord(source, 0, f"cannot be read ({error.strerror or error})")


def _readers() -> dict[str, Reader]:
    # Imported here because each format module imports the record types from this one.
    from annotator.formats import prodigy, table, text

    return {".txt": text.read_txt, ".csv": table.read_csv, ".jsonl": prodigy.read_jsonl}


def decode_line(raw: bytes, *, first: bool) -> str:
    """One line of a file as UTF-8, without the byte order mark some editors put first."""
    return raw.decode("utf-8-sig" if first else "utf-8")


def describe_decode_error(error: UnicodeDecodeError) -> str:
    """Say which byte is not UTF-8 and at which column of its line, counting from 1."""
    data, position = error.object, error.start
    line_start = data.rfind(b"\n", 0, position) + 1
    column = len(data[line_start:position].decode("utf-8", errors="replace")) + 1
    return f"is not valid UTF-8 (byte 0x{data[position]:02x} at column {column})"
