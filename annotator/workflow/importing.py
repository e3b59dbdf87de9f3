"""Importing: store reports and their sentences, and any decisions the records carry.

An import is all-or-nothing: the caller's session commits it (``annotator.db.session_scope``)
and an invalid record further on rolls everything back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from sqlmodel import Session

from annotator import repository
from annotator.formats.records import InvalidRecord, Record
from annotator.labels import LabelScheme
from annotator.models import Report
from annotator.spans import Draft, SpanError, check_draft
from annotator.tokens import split_reports
from annotator.workflow.annotating import save_decision
from annotator.workflow.gold import GoldPolicy, import_gold

IMPORTED_REVIEWER = "imported"


@dataclass
class ImportSummary:
    """What an import added; duplicates are reports whose content was already stored."""

    reports: int = 0
    duplicates: int = 0
    sentences: int = 0
    annotations: int = 0
    gold: int = 0
    sentence_ids: list[int] = field(default_factory=list, repr=False)


def content_hash(text: str, *, split: bool) -> str:
    """The identity of a report: its text, and whether it was split into sentences."""
    kind = b"report\0" if split else b"sentence\0"
    return hashlib.sha256(kind + text.encode("utf-8")).hexdigest()


IMPORT_CHUNK = 500


def import_records(
    *,
    session: Session,
    records: Iterable[Record],
    scheme: LabelScheme,
    policy: GoldPolicy,
    progress: Callable[[Record], None] | None = None,
    gold: bool = False,
) -> ImportSummary:
    """Store reports and their sentences (and any decisions they carry) in the session.

    With ``gold`` each record's annotation becomes its sentence's gold (source "imported"),
    not a reviewer's decision; a reviewer's decision makes gold by ``policy``. Re-importing the
    same content adds nothing. The caller
    commits; when ``records`` raises (an invalid record further on), the session is rolled
    back and nothing is kept.
    """
    summary = ImportSummary()
    iterator = iter(records)
    # In chunks: one query finds the reports already stored, one statement inserts the new
    # ones, one their sentences; a statement per report cost more than splitting the text.
    while chunk := list(islice(iterator, IMPORT_CHUNK)):
        report_ids = _store_reports(session=session, chunk=chunk, summary=summary)
        for record, report_id in zip(chunk, report_ids, strict=True):
            if gold:
                _import_gold(session=session, record=record, report_id=report_id, scheme=scheme)
                summary.gold += 1
            elif record.annotation is not None:
                _import_annotation(
                    session=session,
                    record=record,
                    report_id=report_id,
                    scheme=scheme,
                    policy=policy,
                    summary=summary,
                )
            if progress is not None:
                progress(record)
    return summary


def _store_reports(*, session: Session, chunk: list[Record], summary: ImportSummary) -> list[int]:
    """Insert the reports of a chunk that are not stored yet, with their sentences; return the
    report id of every record (a duplicate gets the id of the report stored before)."""
    hashes = [content_hash(record.text, split=record.split) for record in chunk]
    ids = repository.report_ids_by_hashes(session=session, content_hashes=set(hashes))
    fresh: dict[str, Record] = {}
    for record, report_hash in zip(chunk, hashes, strict=True):
        if report_hash in ids or report_hash in fresh:
            summary.duplicates += 1
        else:
            fresh[report_hash] = record
    new = list(fresh.values())
    split = iter(split_reports([record.text for record in new if record.split]))
    offsets = [next(split) if record.split else [(0, len(record.text))] for record in new]
    new_ids = repository.insert_reports(
        session=session,
        rows=[
            {
                "content_hash": report_hash,
                "source": record.source,
                "text": record.text,
                "meta": dict(record.meta),
                "n_sentences": len(bounds),
            }
            for (report_hash, record), bounds in zip(fresh.items(), offsets, strict=True)
        ],
    )
    ids.update(zip(fresh, new_ids, strict=True))
    rows = [
        {
            "report_id": report_id,
            "position": position,
            "start_char": start,
            "end_char": end,
            "text": record.text[start:end],
            "content_hash": hashlib.sha256(record.text[start:end].encode("utf-8")).hexdigest(),
        }
        for record, report_id, bounds in zip(new, new_ids, offsets, strict=True)
        for position, (start, end) in enumerate(bounds)
    ]
    repository.insert_sentences(session=session, rows=rows)
    summary.reports += len(new)
    summary.sentences += len(rows)
    return [ids[report_hash] for report_hash in hashes]


def _import_annotation(
    *,
    session: Session,
    record: Record,
    report_id: int,
    scheme: LabelScheme,
    policy: GoldPolicy,
    summary: ImportSummary,
) -> None:
    annotation = record.annotation
    assert annotation is not None
    (sentence_id,) = repository.sentence_ids_of_report(session=session, report_id=report_id)
    reviewer = repository.ensure_reviewer(
        session=session, name=annotation.annotator or IMPORTED_REVIEWER
    )
    assert reviewer.id is not None
    draft = Draft(annotation.entities, annotation.events, annotation.categories)
    existing = repository.annotation_of(
        session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
    )
    if (
        existing is not None
        and existing.status == annotation.status
        and (
            Draft.from_rows(existing.entities, existing.events, existing.categories).rows()
            == draft.rows()
        )
    ):
        return
    save_decision(
        session=session,
        sentence_id=sentence_id,
        reviewer_id=reviewer.id,
        status=annotation.status,
        draft=draft,
        scheme=scheme,
        policy=policy,
    )
    summary.annotations += 1
    if annotation.status == "accept":
        summary.gold += 1


def _import_gold(*, session: Session, record: Record, report_id: int, scheme: LabelScheme) -> None:
    annotation = record.annotation
    if annotation is None:
        raise InvalidRecord(
            record.source, record.line, "no annotation; a gold import needs one on every record"
        )
    (sentence_id,) = repository.sentence_ids_of_report(session=session, report_id=report_id)
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    assert sentence is not None
    draft = Draft(annotation.entities, annotation.events, annotation.categories)
    try:
        check_draft(draft, text=sentence.text, scheme=scheme)
    except SpanError as error:
        raise InvalidRecord(record.source, record.line, str(error)) from error
    import_gold(session=session, sentence_id=sentence_id, draft=draft)


# --- what the reports page shows ----------------------------------------------------------


@dataclass(frozen=True)
class ReportsOverview:
    """What is stored (reports, sentences, suggestions, annotations, gold: counted) and the
    most recently imported reports, newest first."""

    counts: dict[str, int]
    reports: list[Report]


def stored_counts(*, session: Session) -> dict[str, int]:
    """How many reports, sentences, suggestions, annotations and gold rows are stored."""
    return repository.count_rows(session=session)


def reports_overview(*, session: Session, limit: int) -> ReportsOverview:
    """The stored rows counted, and the latest ``limit`` reports."""
    return ReportsOverview(
        counts=stored_counts(session=session),
        reports=repository.recent_reports(session=session, limit=limit),
    )
