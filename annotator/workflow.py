"""Use cases: import reports, store suggestions, serve the next sentence, decide, undo, gold.

Functions here decide what is written; the caller's session decides when it is committed
(``annotator.db.session_scope``), so an import or a decision is all-or-nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator import repository
from annotator.db import session_scope
from annotator.formats.prodigy import record_to_json
from annotator.formats.records import InvalidRecord, Record, RecordAnnotation, Status
from annotator.labels import LabelScheme
from annotator.models import (
    STATUSES,
    Annotation,
    AnnotationVersion,
    Gold,
    Report,
    Sentence,
    utc_now,
)
from annotator.nlp.text import split_sentences
from annotator.spans import Span, SpanError, check_layers, spans_from_dicts, spans_to_dicts

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
IMPORTED_REVIEWER = "imported"


class AnnotationError(ValueError):
    """A decision that cannot be stored (unknown sentence, bad span, unknown label...)."""


@dataclass(frozen=True)
class Draft:
    """What a reviewer decides about a sentence: entity and event spans and categories."""

    entities: tuple[Span, ...] = ()
    events: tuple[Span, ...] = ()
    categories: tuple[str, ...] = ()

    @classmethod
    def from_rows(
        cls,
        entities: Iterable[Mapping[str, Any]],
        events: Iterable[Mapping[str, Any]],
        categories: Iterable[str],
    ) -> Draft:
        """A draft from stored JSON rows."""
        return cls(
            entities=tuple(spans_from_dicts(entities)),
            events=tuple(spans_from_dicts(events)),
            categories=tuple(categories),
        )

    def rows(self) -> dict[str, Any]:
        """The JSON columns of an annotation, suggestion or gold row."""
        return {
            "entities": spans_to_dicts(self.entities),
            "events": spans_to_dicts(self.events),
            "categories": sorted(set(self.categories)),
        }


def check_draft(draft: Draft, *, text: str, scheme: LabelScheme) -> None:
    """Raise AnnotationError when a draft does not fit the sentence text or the scheme."""
    try:
        check_layers(
            draft.entities,
            draft.events,
            text=text,
            entity_labels=scheme.names("entities"),
            event_labels=scheme.names("events"),
        )
    except SpanError as error:
        raise AnnotationError(str(error)) from error
    known = set(scheme.names("categories"))
    unknown = sorted(set(draft.categories) - known)
    if unknown:
        raise AnnotationError(f"unknown category {unknown[0]!r}")
    if scheme.categories_exclusive and len(set(draft.categories)) > 1:
        raise AnnotationError("categories are exclusive in this scheme: choose one")


# --- import -------------------------------------------------------------------------------


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


def import_records(
    *,
    session: Session,
    records: Iterable[Record],
    scheme: LabelScheme,
    progress: Callable[[Record], None] | None = None,
    gold: bool = False,
) -> ImportSummary:
    """Store reports and their sentences (and any decisions they carry) in the session.

    With ``gold`` each record's annotation becomes its sentence's gold (source "imported"),
    not a reviewer's decision. Re-importing the same content adds nothing. The caller
    commits; when ``records`` raises (an invalid record further on), the session is rolled
    back and nothing is kept.
    """
    summary = ImportSummary()
    for record in records:
        report_hash = content_hash(record.text, split=record.split)
        report_id = repository.report_id_by_hash(session=session, content_hash=report_hash)
        if report_id is None:
            report_id = repository.insert_report(
                session=session,
                content_hash=report_hash,
                source=record.source,
                text=record.text,
                meta=dict(record.meta),
            )
            offsets = split_sentences(record.text) if record.split else [(0, len(record.text))]
            rows = [
                {
                    "report_id": report_id,
                    "position": position,
                    "start_char": start,
                    "end_char": end,
                    "text": record.text[start:end],
                    "content_hash": hashlib.sha256(
                        record.text[start:end].encode("utf-8")
                    ).hexdigest(),
                }
                for position, (start, end) in enumerate(offsets)
            ]
            repository.insert_sentences(session=session, rows=rows)
            repository.set_sentence_count(session=session, report_id=report_id, count=len(rows))
            summary.reports += 1
            summary.sentences += len(rows)
        else:
            summary.duplicates += 1
        if gold:
            _import_gold(session=session, record=record, report_id=report_id, scheme=scheme)
            summary.gold += 1
        elif record.annotation is not None:
            _import_annotation(
                session=session, record=record, report_id=report_id, scheme=scheme, summary=summary
            )
        if progress is not None:
            progress(record)
    return summary


def _import_annotation(
    *,
    session: Session,
    record: Record,
    report_id: int,
    scheme: LabelScheme,
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
    check_draft(draft, text=sentence.text, scheme=scheme)
    now = utc_now()
    gold = repository.gold_of(session=session, sentence_id=sentence_id)
    if gold is None:
        gold = Gold(sentence_id=sentence_id, created_at=now, source="imported")
    else:
        # A new version: an adjudicator who read the replaced gold cannot save over this one.
        gold.version += 1
    gold.source = "imported"
    gold.from_annotations = []
    gold.annotation_id = None
    gold.decided_by = None
    rows = draft.rows()
    gold.entities = rows["entities"]
    gold.events = rows["events"]
    gold.categories = rows["categories"]
    gold.updated_at = now
    session.add(gold)
    session.flush()


# --- suggestions --------------------------------------------------------------------------


def suggest_pending(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int = 64,
    progress: Progress | None = None,
    unannotated_only: bool = False,
) -> int:
    """Suggest for every sentence that lacks this model version's suggestion; return how many.

    Each batch is committed on its own, so an interrupted run resumes where it stopped. With
    ``unannotated_only`` sentences that have an annotation or gold are left alone.
    """
    count = (
        repository.count_unsuggested_unannotated
        if unannotated_only
        else repository.count_unsuggested
    )
    pending = (
        repository.unsuggested_unannotated_sentences
        if unannotated_only
        else repository.unsuggested_sentences
    )
    with session_scope(engine) as session:
        total = count(
            session=session, model_name=suggester.model_name, model_version=suggester.model_version
        )
    done = 0
    after_id = 0
    if progress is not None:
        progress(0, total)
    while True:
        with session_scope(engine) as session:
            batch = pending(
                session=session,
                model_name=suggester.model_name,
                model_version=suggester.model_version,
                after_id=after_id,
                limit=batch_size * 8,
            )
            if not batch:
                return done
            texts = [text for _, text in batch]
            rows = [
                {
                    "sentence_id": sentence_id,
                    "model_name": suggester.model_name,
                    "model_version": suggester.model_version,
                    **Draft(s.entities, s.events, s.categories).rows(),
                }
                for (sentence_id, _), s in zip(
                    batch, suggester.suggest(texts, batch_size=batch_size), strict=True
                )
            ]
            repository.insert_suggestions(session=session, rows=rows)
        after_id = batch[-1][0]
        done += len(batch)
        if progress is not None:
            progress(done, max(total, done))


# --- serving and deciding -----------------------------------------------------------------


DEFAULT_OVERLAP = 2
DEFAULT_CLAIM_MINUTES = 5.0


def next_sentence_id(
    *,
    session: Session,
    reviewer_id: int,
    after_id: int = 0,
    overlap: int = DEFAULT_OVERLAP,
    claim_minutes: float = DEFAULT_CLAIM_MINUTES,
    now: datetime | None = None,
) -> int | None:
    """Serve and claim the next sentence in report order that this reviewer has not decided
    and that still needs annotations (fewer than ``overlap``, counting others' live claims).

    The reviewer's earlier claims are released: one sentence is worked on at a time. A claim
    lapses after ``claim_minutes``, so a sentence left by an idle reviewer is served again.
    Sentences passed over (before ``after_id``) are offered again once the end is reached.
    """
    now = now or utc_now()
    expires_at = now + timedelta(minutes=claim_minutes)
    # On SQLite this first write takes the database's write lock, so the search and the claim
    # below see no other reviewer's claim arrive in between.
    repository.release_claims(session=session, reviewer_id=reviewer_id)
    cursor, wrapped = after_id, after_id <= 0
    while True:
        found = repository.next_routed_id(
            session=session, reviewer_id=reviewer_id, overlap=overlap, now=now, after_id=cursor
        )
        if found is None:
            if wrapped:
                return None
            cursor, wrapped = 0, True
            continue
        if repository.claim_sentence(
            session=session,
            sentence_id=found,
            reviewer_id=reviewer_id,
            now=now,
            expires_at=expires_at,
            overlap=overlap,
        ):
            return found
        cursor = found  # claimed by others in the meantime: look further on


def hold_sentence(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    claim_minutes: float = DEFAULT_CLAIM_MINUTES,
) -> None:
    """Claim a sentence the reviewer returns to (after an undo), whatever its count."""
    now = utc_now()
    repository.release_claims(session=session, reviewer_id=reviewer_id)
    repository.claim_sentence(
        session=session,
        sentence_id=sentence_id,
        reviewer_id=reviewer_id,
        now=now,
        expires_at=now + timedelta(minutes=claim_minutes),
    )


def save_decision(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    status: str,
    draft: Draft,
    scheme: LabelScheme,
    seconds: float = 0.0,
    suggestion_id: int | None = None,
) -> Annotation:
    """Store a reviewer's decision; the earlier state stays in the history; gold follows."""
    if status not in STATUSES:
        raise AnnotationError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        raise AnnotationError(f"sentence {sentence_id} does not exist")
    check_draft(draft, text=sentence.text, scheme=scheme)
    seconds = max(0.0, float(seconds))
    rows = draft.rows()
    now = utc_now()
    annotation = repository.annotation_of(
        session=session, sentence_id=sentence_id, reviewer_id=reviewer_id
    )
    repository.release_claims(session=session, reviewer_id=reviewer_id, sentence_id=sentence_id)
    if annotation is None:
        repository.count_annotation(session=session, sentence_id=sentence_id, change=1)
        annotation = Annotation(
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            suggestion_id=suggestion_id,
            status=status,
            seconds=seconds,
            version=1,
            created_at=now,
            updated_at=now,
            **rows,
        )
    else:
        annotation.status = status
        annotation.entities = rows["entities"]
        annotation.events = rows["events"]
        annotation.categories = rows["categories"]
        annotation.seconds = seconds
        annotation.version += 1
        annotation.updated_at = now
    session.add(annotation)
    session.add(
        AnnotationVersion(
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            version=annotation.version,
            status=status,
            seconds=seconds,
            saved_at=now,
            **rows,
        )
    )
    session.flush()
    _sync_gold(session=session, annotation=annotation)
    return annotation


@dataclass(frozen=True)
class Undone:
    """What an undo took back: the sentence, and the decision it had."""

    sentence_id: int
    status: str
    draft: Draft


def undo_last(*, session: Session, reviewer_id: int) -> Undone | None:
    """Take back the reviewer's most recent decision that still stands.

    The annotation returns to its state before that decision (or is removed when it was the
    first); the history keeps the undone decision, marked with the time it was undone.
    """
    last = repository.last_live_save(session=session, reviewer_id=reviewer_id)
    if last is None:
        return None
    last.undone_at = utc_now()
    session.add(last)
    annotation = repository.annotation_of(
        session=session, sentence_id=last.sentence_id, reviewer_id=reviewer_id
    )
    previous = repository.previous_live_save(
        session=session,
        sentence_id=last.sentence_id,
        reviewer_id=reviewer_id,
        before_id=last.id or 0,
    )
    if annotation is not None:
        if previous is None:
            gold = repository.gold_of(session=session, sentence_id=last.sentence_id)
            if gold is not None and gold.annotation_id == annotation.id:
                session.delete(gold)
            session.delete(annotation)
            repository.count_annotation(session=session, sentence_id=last.sentence_id, change=-1)
            session.flush()
            # With an overlap above 1 the gold may rest on the agreement this decision was part of.
            _settle_gold(session=session, sentence_id=last.sentence_id, saved_id=annotation.id or 0)
        else:
            _restore(annotation, previous)
            session.add(annotation)
            session.flush()
            _sync_gold(session=session, annotation=annotation)
    session.flush()
    return Undone(
        sentence_id=last.sentence_id,
        status=last.status,
        draft=Draft.from_rows(last.entities, last.events, last.categories),
    )


def _restore(annotation: Annotation, version: AnnotationVersion) -> None:
    annotation.status = version.status
    annotation.entities = list(version.entities)
    annotation.events = list(version.events)
    annotation.categories = list(version.categories)
    annotation.seconds = version.seconds
    annotation.version = version.version
    annotation.updated_at = utc_now()


def _sync_gold(*, session: Session, annotation: Annotation) -> None:
    """Gold follows reviewers' decisions by the policy of ``annotator.adjudication``: with an
    overlap of 1 an accepted annotation is the gold, above it agreeing reviewers make it.

    Imported and adjudicated gold is not replaced by a reviewer's decision.
    """
    assert annotation.id is not None
    _settle_gold(session=session, sentence_id=annotation.sentence_id, saved_id=annotation.id)


def _settle_gold(*, session: Session, sentence_id: int, saved_id: int) -> None:
    # Imported here: adjudication builds on this module's Draft and check_draft.
    from annotator.adjudication import settle_gold
    from annotator.config import Settings

    settle_gold(
        session=session, sentence_id=sentence_id, saved_id=saved_id, settings=Settings.from_env()
    )


def progress_of(*, session: Session, reviewer_id: int) -> tuple[int, int]:
    """(sentences this reviewer decided, sentences in all)."""
    return (
        repository.count_decided(session=session, reviewer_id=reviewer_id),
        repository.count_sentences(session=session),
    )


def gold_records(*, session: Session, tokens: bool = False) -> Iterator[dict[str, Any]]:
    """The gold as Prodigy-style records, in report order."""
    for gold, sentence, report in repository.iter_gold(session=session):
        meta = dict(report.meta)
        meta.update({"report": report.source, "sentence": sentence.position})
        yield record_to_json(
            sentence.text,
            meta=meta,
            entities=spans_from_dicts(gold.entities),
            events=spans_from_dicts(gold.events),
            categories=tuple(gold.categories),
            annotator=None,
            status="accept",
            tokens=tokens,
        )


# --- export -------------------------------------------------------------------------------


class ExportError(ValueError):
    """An export that cannot be made (an unknown reviewer...)."""


def _record_for(
    sentence: Sentence,
    report: Report,
    *,
    entities: list[dict[str, Any]],
    events: list[dict[str, Any]],
    categories: list[str],
    annotator: str | None,
    status: Status,
) -> Record:
    meta = dict(report.meta)
    meta.update({"report": report.source, "sentence": sentence.position})
    return Record(
        text=sentence.text,
        source=report.source,
        line=sentence.position + 1,
        meta=meta,
        split=False,
        annotation=RecordAnnotation(
            entities=tuple(spans_from_dicts(entities)),
            events=tuple(spans_from_dicts(events)),
            categories=tuple(categories),
            annotator=annotator,
            status=status,
        ),
        report_key=report.content_hash,
        position=sentence.position,
    )


def _reviewer_id(*, session: Session, name: str) -> int:
    reviewer = repository.reviewer_named(session=session, name=name)
    if reviewer is None or reviewer.id is None:
        raise ExportError(f"no reviewer named {name!r}")
    return reviewer.id


def export_records(
    *, session: Session, reviewer: str | None = None, all_reviewers: bool = False
) -> Iterator[Record]:
    """The gold (by default), one reviewer's annotations, or every reviewer's, as records in
    sentence order, streamed from the database."""
    if reviewer is None and not all_reviewers:
        for gold, sentence, report in repository.iter_gold(session=session):
            yield _record_for(
                sentence,
                report,
                entities=gold.entities,
                events=gold.events,
                categories=gold.categories,
                annotator=None,
                status="accept",
            )
        return
    reviewer_id = None if reviewer is None else _reviewer_id(session=session, name=reviewer)
    for annotation, who, sentence, report in repository.iter_annotations(
        session=session, reviewer_id=reviewer_id
    ):
        status: Status = annotation.status  # type: ignore[assignment]
        yield _record_for(
            sentence,
            report,
            entities=annotation.entities,
            events=annotation.events,
            categories=annotation.categories,
            annotator=who.name,
            status=status,
        )


def export_report_keys(*, session: Session, reviewer: str | None = None) -> list[str]:
    """The reports an export of the gold (or of one reviewer) draws on, for a train/dev split."""
    if reviewer is None:
        return repository.gold_report_keys(session=session)
    reviewer_id = _reviewer_id(session=session, name=reviewer)
    return repository.annotated_report_keys(session=session, reviewer_id=reviewer_id)
