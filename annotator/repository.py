"""Every query the annotator makes. Functions take ``*, session`` and return rows or values."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from annotator.models import (
    Annotation,
    AnnotationVersion,
    Gold,
    Report,
    Reviewer,
    Sentence,
    Suggestion,
)


def reviewer_named(*, session: Session, name: str) -> Reviewer | None:
    """The reviewer with this name, or None."""
    return session.exec(select(Reviewer).where(Reviewer.name == name)).first()


def ensure_reviewer(*, session: Session, name: str, role: str = "annotator") -> Reviewer:
    """The reviewer with this name, created on first use."""
    reviewer = reviewer_named(session=session, name=name)
    if reviewer is None:
        reviewer = Reviewer(name=name, role=role)
        session.add(reviewer)
        session.flush()
    return reviewer


def report_id_by_hash(*, session: Session, content_hash: str) -> int | None:
    """The id of the report with this content hash, or None."""
    return session.exec(select(Report.id).where(Report.content_hash == content_hash)).first()


def insert_report(
    *, session: Session, content_hash: str, source: str, text: str, meta: dict[str, Any]
) -> int:
    """Insert a report and return its id."""
    result = session.execute(
        sa.insert(Report).returning(col(Report.id)),
        {"content_hash": content_hash, "source": source, "text": text, "meta": meta},
    )
    return int(result.scalar_one())


def insert_sentences(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert sentence rows (report_id, position, start_char, end_char, text, hash)."""
    if rows:
        session.execute(sa.insert(Sentence), list(rows))


def set_sentence_count(*, session: Session, report_id: int, count: int) -> None:
    """Record how many sentences a report was split into."""
    session.execute(sa.update(Report).where(col(Report.id) == report_id).values(n_sentences=count))


def count_annotation(*, session: Session, sentence_id: int, change: int) -> None:
    """Add ``change`` (+1 or -1) to a sentence's count of deciding reviewers, in the database."""
    session.execute(
        sa.update(Sentence)
        .where(col(Sentence.id) == sentence_id)
        .values(n_annotations=Sentence.n_annotations + change)
    )


def sentence_ids_of_report(*, session: Session, report_id: int) -> list[int]:
    """The sentence ids of a report, in order."""
    query = (
        select(Sentence.id).where(Sentence.report_id == report_id).order_by(col(Sentence.position))
    )
    return [int(sentence_id) for sentence_id in session.exec(query) if sentence_id is not None]


def get_sentence(*, session: Session, sentence_id: int) -> Sentence | None:
    """One sentence by id."""
    return session.get(Sentence, sentence_id)


def report_of(*, session: Session, report_id: int) -> Report | None:
    """One report by id."""
    return session.get(Report, report_id)


def context_of(*, session: Session, sentence: Sentence, width: int = 1) -> list[Sentence]:
    """The sentence and up to ``width`` neighbours on each side, in report order."""
    query = (
        select(Sentence)
        .where(
            Sentence.report_id == sentence.report_id,
            col(Sentence.position).between(sentence.position - width, sentence.position + width),
        )
        .order_by(col(Sentence.position))
    )
    return list(session.exec(query))


def next_unannotated_id(*, session: Session, reviewer_id: int, after_id: int = 0) -> int | None:
    """The first sentence (in report order, after ``after_id``) this reviewer has not decided.

    An anti-join on the (reviewer_id, sentence_id) index walking sentences in id order; the
    caller passes the last position it served so that the walk starts there.
    """
    done = select(Annotation.id).where(
        Annotation.reviewer_id == reviewer_id, Annotation.sentence_id == Sentence.id
    )
    query = (
        select(Sentence.id)
        .where(col(Sentence.id) > after_id, ~done.exists())
        .order_by(col(Sentence.id))
        .limit(1)
    )
    return session.exec(query).first()


def latest_suggestion(*, session: Session, sentence_id: int) -> Suggestion | None:
    """The newest suggestion stored for a sentence."""
    query = (
        select(Suggestion)
        .where(Suggestion.sentence_id == sentence_id)
        .order_by(col(Suggestion.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def unsuggested_sentences(
    *, session: Session, model_name: str, model_version: str, after_id: int, limit: int
) -> list[tuple[int, str]]:
    """Up to ``limit`` (id, text) of sentences after ``after_id`` without this model's output."""
    has = select(Suggestion.id).where(
        Suggestion.sentence_id == Sentence.id,
        Suggestion.model_name == model_name,
        Suggestion.model_version == model_version,
    )
    query = (
        select(Sentence.id, Sentence.text)
        .where(col(Sentence.id) > after_id, ~has.exists())
        .order_by(col(Sentence.id))
        .limit(limit)
    )
    return [(sentence_id, text) for sentence_id, text in session.exec(query) if sentence_id]


def count_unsuggested(*, session: Session, model_name: str, model_version: str) -> int:
    """How many sentences lack this model's suggestion."""
    has = select(Suggestion.id).where(
        Suggestion.sentence_id == Sentence.id,
        Suggestion.model_name == model_name,
        Suggestion.model_version == model_version,
    )
    query = select(func.count()).select_from(Sentence).where(~has.exists())
    return int(session.exec(query).one())


def insert_suggestions(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert suggestion rows."""
    if rows:
        session.execute(sa.insert(Suggestion), list(rows))


def annotation_of(*, session: Session, sentence_id: int, reviewer_id: int) -> Annotation | None:
    """A reviewer's current annotation of a sentence."""
    query = select(Annotation).where(
        Annotation.sentence_id == sentence_id, Annotation.reviewer_id == reviewer_id
    )
    return session.exec(query).first()


def last_live_save(*, session: Session, reviewer_id: int) -> AnnotationVersion | None:
    """The reviewer's most recent save that has not been undone."""
    query = (
        select(AnnotationVersion)
        .where(
            AnnotationVersion.reviewer_id == reviewer_id,
            col(AnnotationVersion.undone_at).is_(None),
        )
        .order_by(col(AnnotationVersion.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def previous_live_save(
    *, session: Session, sentence_id: int, reviewer_id: int, before_id: int
) -> AnnotationVersion | None:
    """The save of this sentence by this reviewer before ``before_id`` that still stands."""
    query = (
        select(AnnotationVersion)
        .where(
            AnnotationVersion.sentence_id == sentence_id,
            AnnotationVersion.reviewer_id == reviewer_id,
            col(AnnotationVersion.id) < before_id,
            col(AnnotationVersion.undone_at).is_(None),
        )
        .order_by(col(AnnotationVersion.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def history_of(*, session: Session, sentence_id: int, reviewer_id: int) -> list[AnnotationVersion]:
    """Every saved state of a reviewer's annotation of a sentence, oldest first."""
    query = (
        select(AnnotationVersion)
        .where(
            AnnotationVersion.sentence_id == sentence_id,
            AnnotationVersion.reviewer_id == reviewer_id,
        )
        .order_by(col(AnnotationVersion.id))
    )
    return list(session.exec(query))


def gold_of(*, session: Session, sentence_id: int) -> Gold | None:
    """The gold annotation of a sentence."""
    return session.exec(select(Gold).where(Gold.sentence_id == sentence_id)).first()


def count_rows(*, session: Session) -> dict[str, int]:
    """How many reports, sentences, suggestions, annotations and gold rows are stored."""
    tables: dict[str, Any] = {
        "reports": Report,
        "sentences": Sentence,
        "suggestions": Suggestion,
        "annotations": Annotation,
        "gold": Gold,
    }
    return {
        name: int(session.exec(select(func.count()).select_from(table)).one())
        for name, table in tables.items()
    }


def count_sentences(*, session: Session) -> int:
    """How many sentences there are."""
    return int(session.exec(select(func.count()).select_from(Sentence)).one())


def count_decided(*, session: Session, reviewer_id: int) -> int:
    """How many sentences this reviewer has decided."""
    query = (
        select(func.count()).select_from(Annotation).where(Annotation.reviewer_id == reviewer_id)
    )
    return int(session.exec(query).one())


def iter_gold(
    *, session: Session, batch_size: int = 1000
) -> Iterator[tuple[Gold, Sentence, Report]]:
    """Every gold row with its sentence and report, in report order, streamed in batches."""
    last_id = 0
    while True:
        query = (
            select(Gold, Sentence, Report)
            .join(Sentence, col(Sentence.id) == Gold.sentence_id)
            .join(Report, col(Report.id) == Sentence.report_id)
            .where(col(Sentence.id) > last_id)
            .order_by(col(Sentence.id))
            .limit(batch_size)
        )
        rows = list(session.exec(query))
        if not rows:
            return
        yield from rows
        last_id = int(rows[-1][1].id or 0)


def iter_annotations(
    *, session: Session, reviewer_id: int | None = None, batch_size: int = 1000
) -> Iterator[tuple[Annotation, Reviewer, Sentence, Report]]:
    """Every current annotation (of one reviewer, or of all) with its reviewer, sentence and
    report, in sentence order then reviewer, streamed in batches."""
    last_sentence, last_reviewer = 0, 0
    while True:
        query = (
            select(Annotation, Reviewer, Sentence, Report)
            .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
            .join(Sentence, col(Sentence.id) == Annotation.sentence_id)
            .join(Report, col(Report.id) == Sentence.report_id)
            .where(
                sa.or_(
                    col(Annotation.sentence_id) > last_sentence,
                    sa.and_(
                        col(Annotation.sentence_id) == last_sentence,
                        col(Annotation.reviewer_id) > last_reviewer,
                    ),
                )
            )
            .order_by(col(Annotation.sentence_id), col(Annotation.reviewer_id))
            .limit(batch_size)
        )
        if reviewer_id is not None:
            query = query.where(Annotation.reviewer_id == reviewer_id)
        rows = list(session.exec(query))
        if not rows:
            return
        yield from rows
        last_sentence, last_reviewer = rows[-1][0].sentence_id, rows[-1][0].reviewer_id


def gold_report_keys(*, session: Session) -> list[str]:
    """The content hashes of the reports that have gold sentences."""
    query = (
        select(Report.content_hash)
        .join(Sentence, col(Sentence.report_id) == Report.id)
        .join(Gold, col(Gold.sentence_id) == Sentence.id)
        .distinct()
    )
    return list(session.exec(query))


def annotated_report_keys(*, session: Session, reviewer_id: int) -> list[str]:
    """The content hashes of the reports with sentences this reviewer has annotated."""
    query = (
        select(Report.content_hash)
        .join(Sentence, col(Sentence.report_id) == Report.id)
        .join(Annotation, col(Annotation.sentence_id) == Sentence.id)
        .where(Annotation.reviewer_id == reviewer_id)
        .distinct()
    )
    return list(session.exec(query))


def recent_reports(*, session: Session, limit: int = 200) -> list[Report]:
    """The most recently imported reports, newest first."""
    query = select(Report).order_by(col(Report.id).desc()).limit(limit)
    return list(session.exec(query))


def iter_shared_annotations(
    *, session: Session, status: str = "accept", batch_size: int = 1000
) -> Iterator[tuple[int, str, str, list[Any], list[Any], list[str]]]:
    """(sentence id, sentence text, reviewer name, entities, events, categories) of every
    annotation with this status on a sentence two or more reviewers gave it; by sentence and
    reviewer, streamed in batches."""
    shared = (
        sa.select(col(Annotation.sentence_id))
        .where(col(Annotation.status) == status)
        .group_by(col(Annotation.sentence_id))
        .having(func.count() >= 2)
        .subquery()
    )
    query = (
        sa.select(
            col(Annotation.sentence_id),
            col(Sentence.text),
            col(Reviewer.name),
            col(Annotation.entities),
            col(Annotation.events),
            col(Annotation.categories),
        )
        .join(shared, shared.c.sentence_id == col(Annotation.sentence_id))
        .join(Sentence, col(Sentence.id) == col(Annotation.sentence_id))
        .join(Reviewer, col(Reviewer.id) == col(Annotation.reviewer_id))
        .where(col(Annotation.status) == status)
        .order_by(col(Annotation.sentence_id), col(Reviewer.name))
        .execution_options(yield_per=batch_size)
    )
    for sentence_id, text, name, entities, events, categories in session.execute(query):
        yield int(sentence_id), str(text), str(name), list(entities), list(events), list(categories)
