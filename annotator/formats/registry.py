"""Every format by its name and file suffix: the reader of each, the writers exports use, and
the all-or-nothing reader over files.

This is the only module that imports every format module; they take the record types from
``records`` and nothing from here, so the imports point one way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

# Submodules by their full name: ``from annotator.formats import brat`` would also read as an
# import of the package, whose __init__ imports this module.
import annotator.formats.brat as brat
import annotator.formats.conll as conll
import annotator.formats.doccano as doccano
import annotator.formats.label_studio as label_studio
import annotator.formats.prodigy as prodigy
import annotator.formats.spacy_docbin as spacy_docbin
import annotator.formats.spans_csv as spans_csv
import annotator.formats.table as table
import annotator.formats.text as text
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    ImportFailed,
    InvalidRecord,
    ReadOptions,
    Record,
)
from annotator.labels import LabelScheme

logger = logging.getLogger(__name__)

# A reader: (the path, its name in messages, the scheme, how to read it) -> its records and
# problems, in file order. Every reader's spans and categories go through
# checks.build_annotation, which applies the options' label map and alignment.
Reader = Callable[[Path, str, LabelScheme, ReadOptions], Iterator[Record | InvalidRecord]]

# The names of ``read_file(format=...)``; export uses the same names for the same layouts.
READERS: dict[str, Reader] = {
    "txt": text.read_txt,
    "table": table.read_csv,
    "jsonl": prodigy.read_jsonl,
    "doccano": doccano.read,
    "conll": conll.read,
    "brat": brat.read,
    "spacy": spacy_docbin.read,
    "csv": spans_csv.read,
    "label-studio": label_studio.read,
}
FORMATS = tuple(READERS)
# The reader a suffix stands for; a .jsonl or .csv is looked into to tell its two formats apart.
SUFFIX_READERS: dict[str, Reader] = {
    ".txt": text.read_txt,
    ".csv": spans_csv.read_any_csv,
    ".jsonl": doccano.read_any_jsonl,
    ".json": label_studio.read,
    ".conll": conll.read,
    ".iob": conll.read,
    ".ann": brat.read,
    ".spacy": spacy_docbin.read,
}
SUFFIXES = tuple(SUFFIX_READERS)
# The export formats written record by record. spacy is not one of them: its train/dev split is
# decided before ``spacy_docbin.write`` sees a record.
WRITTEN_FORMATS = ("jsonl", "doccano", "conll", "brat", "csv", "label-studio")


def read_records(
    paths: Iterable[Path | str],
    *,
    scheme: LabelScheme,
    format: str | None = None,
    gold: bool = False,
    keep_records: bool = False,
    options: ReadOptions | None = None,
) -> Iterator[Record]:
    """Yield the valid records of every file in order; then raise ImportFailed if any was invalid.

    Records stream one at a time, so a caller can insert them inside one transaction and roll
    it back when ImportFailed arrives after the last one. ``format`` overrides the choice by
    suffix; with ``gold`` every record must carry an annotation; with ``keep_records``
    no record is split into sentences (each .txt file, CSV row and JSONL line is one sentence);
    ``options`` say how to read a peer's labels, spans and text column.
    """
    errors: list[InvalidRecord] = []
    count = 0
    for path in paths:
        for item in read_file(
            path,
            scheme=scheme,
            format=format,
            gold=gold,
            keep_records=keep_records,
            options=options,
        ):
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
    options: ReadOptions | None = None,
) -> list[InvalidRecord]:
    """Every problem in the files, in order; an empty list when all of them can be imported."""
    return [
        item
        for path in paths
        for item in read_file(path, scheme=scheme, format=format, gold=gold, options=options)
        if isinstance(item, InvalidRecord)
    ]


def read_file(
    path: Path | str,
    *,
    scheme: LabelScheme,
    format: str | None = None,
    gold: bool = False,
    keep_records: bool = False,
    options: ReadOptions | None = None,
) -> Iterator[Record | InvalidRecord]:
    """The records and problems of one file (or brat folder), in order.

    The reader is ``format`` when given, else chosen by the suffix (a folder is brat); a .jsonl
    line is doccano or Prodigy by its fields, a .csv is spans or reports by its header. A file
    that is no text (a PDF, a binary, another encoding) is one problem, whatever its suffix;
    ``keep_records`` keeps every record one sentence.
    """
    source = str(path)
    path = Path(path)
    if format is not None and format not in FORMATS:
        yield InvalidRecord(source, 0, f"unknown format {format!r}; use " + ", ".join(FORMATS))
        return
    reader: Reader | None
    if format is not None:
        reader = READERS[format]
    else:
        reader = SUFFIX_READERS.get(path.suffix.lower())
        if reader is None and path.is_dir():
            reader = brat.read
    # A DocBin is binary by design; every other reader reads text.
    if reader is not spacy_docbin.read and path.is_file():
        try:
            problem = text_problem(path)
        except OSError as error:
            problem = f"cannot be read ({error.strerror or error})"
        if problem is not None:
            yield InvalidRecord(source, 0, problem)
            return
    if reader is None:
        shown = repr(path.suffix) if path.suffix else "no suffix"
        yield InvalidRecord(
            source,
            0,
            f"unsupported file type ({shown}); use a brat folder or " + ", ".join(SUFFIXES),
        )
        return
    try:
        for item in reader(path, source, scheme, options or DEFAULT_OPTIONS):
            if gold:
                item = _as_gold(item)
            if keep_records and isinstance(item, Record) and item.split:
                item = replace(item, split=False)
            yield item
    except OSError as error:
        yield InvalidRecord(source, 0, f"cannot be read ({error.strerror or error})")


# How much of a file is looked at to tell text from a PDF or a binary.
SNIFF_BYTES = 64 * 1024
# A text with more undecodable characters than this share (and at least MIN_BAD of them) is
# in another encoding or no text at all; fewer are stray bytes, named by their line.
BAD_SHARE = 0.1
MIN_BAD = 16


def text_problem(path: Path) -> str | None:
    """Why a file is no text to import (a PDF, NUL bytes, not UTF-8), or None when it is text."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    # The PDF format allows a little junk before its header; files almost always start with it.
    if b"%PDF-" in head[:1024]:
        return "is a PDF, not text: extract its text (pdftotext) and import that"
    if b"\0" in head:
        return "is a binary file (it holds NUL bytes), not text"
    decoded = head.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    if bad >= MIN_BAD and bad > BAD_SHARE * len(decoded):
        return "is not UTF-8 text (a binary file, or text in another encoding: save it as UTF-8)"
    return None


def _as_gold(item: Record | InvalidRecord) -> Record | InvalidRecord:
    # A rejected or skipped answer passes: the import keeps it as its reviewer's annotation,
    # never as gold. A blank text passes too: the import skips and counts it.
    if isinstance(item, InvalidRecord) or item.blank or item.annotation is not None:
        return item
    return InvalidRecord(
        item.source, item.line, "no annotation; a gold import needs one on every record"
    )


def write_records(
    records: Iterable[Record],
    path: Path | str,
    *,
    format: str,
    scheme: LabelScheme,
    by_annotator: bool = False,
    tokens: bool = False,
) -> int:
    """Write records in one of WRITTEN_FORMATS, atomically; return how many were written.

    ``by_annotator`` gives each reviewer a brat folder; ``tokens`` adds Prodigy's tokens to jsonl.
    """
    match format:
        case "jsonl":
            return prodigy.write(records, path, tokens=tokens)
        case "doccano":
            # The relation layout carries the events' arguments, where the scheme has roles.
            return doccano.write(records, path, relations=bool(scheme.roles))
        case "conll":
            return conll.write(records, path)
        case "brat":
            return brat.write(records, path, scheme=scheme, by_annotator=by_annotator)
        case "csv":
            return spans_csv.write(records, path)
        case "label-studio":
            return label_studio.write(records, path)
    raise ValueError(f"no record writer for {format!r}; use " + ", ".join(WRITTEN_FORMATS))
