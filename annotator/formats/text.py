"""Plain text: one report per .txt file, split into sentences on import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    decode_file,
)
from annotator.labels import LabelScheme


def read_txt(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """The file's report as one record, or the problem with it."""
    # One report per file, so reading it whole is fine.
    data = path.read_bytes()
    try:
        text = decode_file(data, source=source)
    except InvalidRecord as error:
        yield error
        return
    # A blank file is a Record too: the import skips and counts it.
    yield Record(
        text=text,
        source=source,
        line=1,
        meta={"file": path.name},
        split=True,
        annotation=None,
        text_lines=True,
    )
