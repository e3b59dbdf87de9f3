"""Use cases: import reports, store suggestions, serve the next sentence, decide, undo, gold.

Functions here decide what is written; the caller's session decides when it is committed
(``annotator.db.session_scope``), so an import or a decision is all-or-nothing.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator import repository
from annotator.db import make_engine, session_scope
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
from annotator.nlp.text import split_reports
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


IMPORT_CHUNK = 500


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
    # Labelled and checked elsewhere: no reviewer is asked to label it again.
    repository.close_sentence(session=session, sentence_id=sentence_id)
    session.flush()


# --- suggestions --------------------------------------------------------------------------


class SuggestionWorkerFailed(RuntimeError):
    """A worker process of a multi-process suggestion run failed; its batches stay stored."""


def suggest_pending(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int = 64,
    progress: Progress | None = None,
    unannotated_only: bool = False,
    processes: int = 1,
) -> int:
    """Suggest for every sentence that lacks this model version's suggestion; return how many.

    Each batch is committed on its own, so an interrupted run resumes where it stopped. With
    ``unannotated_only`` sentences that have an annotation or gold are left alone. With
    ``processes`` above 1, that many forked worker processes share the sentences (by id modulo
    ``processes``), each with the loaded pipeline and a connection of its own; where processes
    cannot fork, or the database lives in memory, one process does it all.
    """
    with session_scope(engine) as session:
        total = repository.count_unsuggested(
            session=session,
            model_name=suggester.model_name,
            model_version=suggester.model_version,
            unannotated_only=unannotated_only,
        )
    if progress is not None:
        progress(0, total)
    if processes > 1 and total > 0 and _can_fork_workers(engine):
        return _suggest_in_workers(
            engine=engine,
            suggester=suggester,
            batch_size=batch_size,
            progress=progress,
            unannotated_only=unannotated_only,
            processes=processes,
            total=total,
        )
    done = 0
    for stored in _suggest_batches(
        engine=engine, suggester=suggester, batch_size=batch_size, unannotated_only=unannotated_only
    ):
        done += stored
        if progress is not None:
            progress(done, max(total, done))
    return done


def _suggest_batches(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int,
    unannotated_only: bool,
    stripe: tuple[int, int] | None = None,
) -> Iterator[int]:
    """Suggest and store batch after batch (of one stripe of the ids); yield each batch's size."""
    after_id = 0
    while True:
        with session_scope(engine) as session:
            batch = repository.unsuggested_sentences(
                session=session,
                model_name=suggester.model_name,
                model_version=suggester.model_version,
                after_id=after_id,
                limit=batch_size * 8,
                stripe=stripe,
                unannotated_only=unannotated_only,
            )
        if not batch:
            return
        # The pipeline runs outside any transaction: no read snapshot goes stale while it
        # works, and no lock is held.
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
        with session_scope(engine) as session:
            repository.insert_suggestions(session=session, rows=rows)
        after_id = batch[-1][0]
        yield len(batch)


def _can_fork_workers(engine: Engine) -> bool:
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    return not in_memory


def _suggest_in_workers(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int,
    progress: Progress | None,
    unannotated_only: bool,
    processes: int,
    total: int,
) -> int:
    context = multiprocessing.get_context("fork")
    reports: multiprocessing.Queue[int | str | None] = context.Queue()
    url = engine.url.render_as_string(hide_password=False)
    # No pooled connection may be shared across the fork: the workers open their own.
    engine.dispose()
    workers = [
        context.Process(
            target=_suggest_worker,
            args=(url, suggester, batch_size, unannotated_only, (index, processes), reports),
            daemon=True,
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    done, running, failures = 0, len(workers), []
    try:
        while running:
            try:
                item = reports.get(timeout=1.0)
            except queue.Empty:
                if any(worker.is_alive() for worker in workers):
                    continue
                failures.append("a worker process ended without reporting")
                break
            if item is None:
                running -= 1
            elif isinstance(item, str):
                failures.append(item)
            else:
                done += item
                if progress is not None:
                    progress(done, max(total, done))
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    if failures:
        raise SuggestionWorkerFailed(f"suggestion worker failed: {failures[0]}")
    return done


def _suggest_worker(
    url: str,
    suggester: Suggester,
    batch_size: int,
    unannotated_only: bool,
    stripe: tuple[int, int],
    reports: multiprocessing.Queue[int | str | None],
) -> None:
    """One worker process: its stripe of the sentences, through its own engine."""
    engine = make_engine(url)
    try:
        for stored in _suggest_batches(
            engine=engine,
            suggester=suggester,
            batch_size=batch_size,
            unannotated_only=unannotated_only,
            stripe=stripe,
        ):
            reports.put(stored)
    except Exception as error:  # reported to the parent, which raises it
        log.exception("suggestion worker %s failed", stripe)
        reports.put(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()
        reports.put(None)


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


# The sentence count of each database at its highest sentence id, counted when that changes.
_SENTENCE_TOTALS: dict[str, tuple[int, int]] = {}


def progress_of(*, session: Session, reviewer_id: int) -> tuple[int, int]:
    """(sentences this reviewer decided, sentences in all)."""
    return (
        repository.count_decided(session=session, reviewer_id=reviewer_id),
        count_sentences(session=session),
    )


def count_sentences(*, session: Session) -> int:
    """How many sentences there are, counted again only when sentences were added.

    Counting walks a whole index (30 ms at a million sentences, on every rerun of the annotate
    page); the highest id is one index step. Sentences are only ever added, never removed
    (reports are not deleted), so the count changes exactly when the highest id does.
    """
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    highest = repository.highest_sentence_id(session=session)
    known = _SENTENCE_TOTALS.get(database)
    if known is not None and known[0] == highest:
        return known[1]
    total = repository.count_sentences(session=session)
    _SENTENCE_TOTALS[database] = (highest, total)
    return total


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
