"""The event table, as ``annotator events`` and the Events page make it: one row per event of
the gold (or of the latest suggestions), built by :mod:`annotator.events`, written as CSV,
JSON lines or Parquet.

Files are written atomically (``formats.files.replacing_file``): a reader sees the old table or
the new one. A CSV cell that a spreadsheet would run as a formula gets a leading apostrophe, as
every CSV the annotator writes does (``formats.spreadsheet``).
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, Literal, get_args

from sqlmodel import Session

from annotator import repository
from annotator.errors import AnnotatorError
from annotator.events import (
    COLUMNS,
    JOIN,
    DecidedReport,
    DecidedSentence,
    EventRow,
    event_rows,
)
from annotator.formats.files import replacing_file
from annotator.formats.spreadsheet import escape_cell
from annotator.labels import LabelScheme
from annotator.nlp.places import Places, load_places
from annotator.nlp.rules import SuggesterError
from annotator.repository import DecisionInReport
from annotator.spans import Draft

__all__ = [
    "COLUMNS",
    "FORMATS",
    "SOURCES",
    "UNTYPED",
    "EventFilter",
    "EventOptions",
    "EventRow",
    "EventsFailed",
    "EventSource",
    "check_output",
    "check_source",
    "count_decided",
    "event_options",
    "event_table",
    "events_csv",
    "iter_event_table",
    "filter_events",
    "format_for",
    "table_state",
    "write_events",
]

log = logging.getLogger(__name__)

EventSource = Literal["gold", "suggestions"]
SOURCES: tuple[EventSource, ...] = get_args(EventSource)


@dataclass(frozen=True)
class EventFormat:
    """A file format of the event table."""

    title: str
    suffix: str
    mime: str


# The formats of ``annotator events --format``; a path's suffix picks one, else csv.
FORMATS: dict[str, EventFormat] = {
    "csv": EventFormat("CSV", ".csv", "text/csv"),
    "jsonl": EventFormat("JSON lines", ".jsonl", "application/jsonl"),
    "parquet": EventFormat("Parquet", ".parquet", "application/vnd.apache.parquet"),
}
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


class EventsFailed(AnnotatorError, ValueError):
    """An event table that cannot be made: an unknown format or source, a file that cannot be
    written, a gazetteer that cannot be read."""


def format_for(path: Path, format: str | None = None) -> str:
    """The format to write ``path`` in: ``format`` when given, else its suffix's, else csv."""
    if format is not None:
        if format not in FORMATS:
            raise EventsFailed(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
        return format
    return _SUFFIXES.get(path.suffix.lower(), "csv")


def check_source(source: str) -> EventSource:
    """The source, or EventsFailed when it is not one of SOURCES."""
    if source not in SOURCES:
        raise EventsFailed(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    return source


def count_decided(*, session: Session, source: EventSource) -> int:
    """How many sentences the table reads (the length of its progress bar)."""
    if source == "gold":
        return repository.count_gold(session=session)
    return repository.count_suggested_sentences(session=session)


def table_state(*, session: Session, source: EventSource) -> str:
    """What the table of ``source`` is made from, as a key that changes when it does (a page
    keeps the table it made until then)."""
    if source == "gold":
        count, highest, latest = repository.gold_state(session=session)
        return f"gold:{count}:{highest}:{latest.isoformat() if latest else ''}"
    count, highest = repository.suggestion_state(session=session)
    return f"suggestions:{count}:{highest}"


def _decided(*, session: Session, source: EventSource) -> Iterator[DecisionInReport]:
    """Every decided sentence, report by report (by id) and each report's in order."""
    if source == "gold":
        return repository.iter_gold_by_report(session=session)
    return repository.iter_latest_suggestions(session=session)


# How many reports wait for their first sentence's text, read in one query for them all.
REPORTS_PER_BATCH = 500


def iter_decided_reports(
    *,
    session: Session,
    source: EventSource,
    progress: Callable[[int], None] | None = None,
) -> Iterator[DecidedReport]:
    """Every report with a decided sentence that has an event trigger, its sentences in
    order, report by report (by id), streamed: a few hundred reports in memory at most;
    ``progress`` hears how many sentences have been read."""
    waiting: list[tuple[DecisionInReport, list[DecidedSentence]]] = []
    report: DecisionInReport | None = None
    found: list[DecidedSentence] = []
    done = 0
    for row in _decided(session=session, source=source):
        done += 1
        if progress is not None and done % 200 == 0:
            progress(done)
        if report is None or row.report_id != report.report_id:
            if report is not None and found:
                waiting.append((report, found))
            if len(waiting) >= REPORTS_PER_BATCH:
                yield from _with_first_sentences(waiting, session=session)
                waiting = []
            report, found = row, []
        if not row.events:
            continue  # no trigger: nothing of the sentence is read
        draft = Draft.from_rows(row.entities, row.events, row.categories, row.arguments or ())
        found.append(
            DecidedSentence(
                sentence_id=row.sentence_id, position=row.position, text=row.text, draft=draft
            )
        )
    if report is not None and found:
        waiting.append((report, found))
    yield from _with_first_sentences(waiting, session=session)
    if progress is not None:
        progress(done)


def _with_first_sentences(
    waiting: Sequence[tuple[DecisionInReport, list[DecidedSentence]]], *, session: Session
) -> Iterator[DecidedReport]:
    first = repository.first_sentence_texts(
        session=session, report_ids=[report.report_id for report, _ in waiting]
    )
    for report, sentences in waiting:
        yield DecidedReport(
            report_id=report.report_id,
            # The report's display name, as the reports page shows it (reports.display_name).
            name=report.report_name or report.report_source,
            meta=report.report_meta,
            first_sentence=first.get(report.report_id),
            sentences=sentences,
        )


def decided_reports(
    *,
    session: Session,
    source: EventSource,
    progress: Callable[[int], None] | None = None,
) -> list[DecidedReport]:
    """Every report with a decided sentence that has an event trigger, its sentences in
    order; ``progress`` hears how many sentences have been read."""
    return list(iter_decided_reports(session=session, source=source, progress=progress))


def iter_event_table(
    *,
    session: Session,
    scheme: LabelScheme,
    source: EventSource = "gold",
    progress: Callable[[int], None] | None = None,
    places: Places | None = None,
) -> Iterator[EventRow]:
    """The events of the gold (or of the latest suggestions), one row per event, report by
    report, streamed: what ``annotator events`` writes. ``places`` defaults to the installed
    gazetteer (read once per process, when the first report comes)."""
    check_source(source)
    for report in iter_decided_reports(session=session, source=source, progress=progress):
        if places is None:
            try:
                places = load_places()
            except SuggesterError as error:
                raise EventsFailed(str(error)) from error
        yield from event_rows(report, scheme=scheme, places=places)


def event_table(
    *,
    session: Session,
    scheme: LabelScheme,
    source: EventSource = "gold",
    progress: Callable[[int], None] | None = None,
    places: Places | None = None,
) -> list[EventRow]:
    """The events of the gold (or of the latest suggestions), one row per event, report by
    report (what the Events page shows and filters). ``places`` defaults to the installed
    gazetteer (read once per process)."""
    return list(
        iter_event_table(
            session=session, scheme=scheme, source=source, progress=progress, places=places
        )
    )


# --- what the Events page shows ----------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """Which events the page shows: of these types and reports (none: all), between two days;
    an event without a date only with ``undated``."""

    event_types: tuple[str, ...] = ()
    report_ids: tuple[int, ...] = ()
    first_day: date | None = None
    last_day: date | None = None
    undated: bool = True

    def problem(self) -> str | None:
        """Why this filter cannot be applied, or None."""
        if self.first_day and self.last_day and self.first_day > self.last_day:
            return (
                f"The first day ({self.first_day.isoformat()}) is after the last "
                f"({self.last_day.isoformat()})."
            )
        return None

    def keeps(self, row: EventRow) -> bool:
        """Whether the row passes the filter."""
        if self.event_types and (row.event_type or UNTYPED) not in self.event_types:
            return False
        if self.report_ids and row.report_id not in self.report_ids:
            return False
        if row.event_date is None:
            return self.undated
        day = date.fromisoformat(row.event_date)
        return not (
            (self.first_day is not None and day < self.first_day)
            or (self.last_day is not None and day > self.last_day)
        )


# The event type of the filter for events whose sentence has no category.
UNTYPED = "(no type)"


@dataclass(frozen=True)
class EventOptions:
    """What the filters offer: the event types and reports the table has, its first and last
    day."""

    event_types: tuple[str, ...]
    reports: tuple[tuple[int, str], ...]
    first_day: date | None
    last_day: date | None


def event_options(rows: Sequence[EventRow]) -> EventOptions:
    """The filters' choices for a table."""
    days = sorted(date.fromisoformat(row.event_date) for row in rows if row.event_date)
    return EventOptions(
        event_types=tuple(sorted({row.event_type or UNTYPED for row in rows})),
        reports=tuple(sorted({(row.report_id, row.report) for row in rows})),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
    )


def filter_events(rows: Sequence[EventRow], chosen: EventFilter) -> list[EventRow]:
    """The rows the filter keeps, in order."""
    return [row for row in rows if chosen.keeps(row)]


def events_csv(rows: Sequence[EventRow]) -> bytes:
    """The table as ``annotator events --format csv`` writes it."""
    with tempfile.TemporaryDirectory(prefix="annotator-events-") as folder:
        path = Path(folder) / "events.csv"
        write_events(rows, path, format="csv")
        return path.read_bytes()


# --- writing -----------------------------------------------------------------------------


def csv_cells(row: EventRow) -> dict[str, Any]:
    """A row as CSV cells: lists joined with "; ", true/false, empty for none, no formulas."""
    cells: dict[str, Any] = {}
    for name, value in row.to_dict().items():
        if isinstance(value, list):
            value = JOIN.join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        cells[name] = escape_cell(value)
    return cells


def check_output(output: Path) -> None:
    """EventsFailed when ``output`` cannot be the table's file (a folder, or in none)."""
    if output.is_dir():
        raise EventsFailed(f"{output} is a folder; name the file to write")
    if not output.parent.is_dir():
        raise EventsFailed(f"{output.parent} is not a folder; create it first")


def write_events(rows: Iterable[EventRow], output: Path, *, format: str = "csv") -> int:
    """Write the table to ``output`` atomically in ``format``, row by row as they come (a
    Parquet row group per ``PARQUET_ROWS``); return how many rows."""
    if format not in FORMATS:
        raise EventsFailed(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    check_output(output)
    # Before the file is opened: a missing pyarrow leaves the old table as it was.
    parquet = _parquet_writer() if format == "parquet" else None
    count = 0
    try:
        with replacing_file(output) as temporary:
            if format == "csv":
                with temporary.open("w", encoding="utf-8", newline="") as handle:
                    table = csv.DictWriter(handle, fieldnames=COLUMNS)
                    table.writeheader()
                    for row in rows:
                        table.writerow(csv_cells(row))
                        count += 1
            elif format == "jsonl":
                with temporary.open("w", encoding="utf-8") as handle:
                    for row in rows:
                        handle.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
                        count += 1
            elif parquet is not None:
                count = parquet(rows, temporary)
    except OSError as error:
        raise EventsFailed(f"cannot write {output} ({error.strerror or error})") from error
    log.info("wrote %d event(s) to %s", count, output)
    return count


# Rows per Parquet row group: the file is written a group at a time.
PARQUET_ROWS = 50_000


def _parquet_writer() -> Callable[[Iterable[EventRow], Path], int]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # a pin of the project: only a broken install lacks it
        raise EventsFailed(
            "writing Parquet needs pyarrow (pip install -c requirements.lock -e .)"
        ) from error
    text, number, whole = pa.string(), pa.float64(), pa.int64()
    types: dict[str, Any] = {name: text for name in COLUMNS}
    types.update(
        report_id=whole,
        sentence_id=whole,
        sentence_ids=pa.list_(whole),
        latitude=number,
        longitude=number,
        geo_precision=whole,
        fatalities=whole,
        fatalities_lower_bound=pa.bool_(),
    )
    schema = pa.schema([(name, types[name]) for name in COLUMNS])

    def write(rows: Iterable[EventRow], path: Path) -> int:
        count = 0
        with pq.ParquetWriter(path, schema) as writer:
            chunks = iter(rows)
            while records := [row.to_dict() for row in islice(chunks, PARQUET_ROWS)]:
                writer.write_table(pa.Table.from_pylist(records, schema=schema))
                count += len(records)
            if not count:
                writer.write_table(pa.Table.from_pylist([], schema=schema))
        return count

    return write
