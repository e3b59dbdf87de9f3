"""Every query the annotator makes. Functions take ``*, session`` and return rows or values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from annotator import config
from annotator.models import (
    Annotation,
    AnnotationVersion,
    Claim,
    Gold,
    LexiconTally,
    LexiconVote,
    LoginSession,
    ModelVersion,
    Report,
    Reviewer,
    Sentence,
    Suggestion,
    utc_now,
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


def get_reviewer(*, session: Session, reviewer_id: int) -> Reviewer | None:
    """One reviewer by id."""
    return session.get(Reviewer, reviewer_id)


def list_reviewers(*, session: Session) -> list[Reviewer]:
    """Every reviewer, by name."""
    return list(session.exec(select(Reviewer).order_by(col(Reviewer.name))))


def annotation_counts(*, session: Session) -> dict[str, int]:
    """How many current annotations each reviewer has, by name (0 for none), in name order."""
    query = (
        select(Reviewer.name, func.count(col(Annotation.id)))
        .select_from(Reviewer)
        .outerjoin(Annotation, col(Annotation.reviewer_id) == Reviewer.id)
        .group_by(col(Reviewer.name))
        .order_by(col(Reviewer.name))
    )
    return {name: int(count) for name, count in session.exec(query)}


def count_login_admins(*, session: Session) -> int:
    """How many active admins have a password (can log in)."""
    query = (
        select(func.count())
        .select_from(Reviewer)
        .where(
            Reviewer.role == "admin",
            col(Reviewer.active).is_(True),
            col(Reviewer.password_hash).is_not(None),
        )
    )
    return int(session.exec(query).one())


def count_login_attempt(*, session: Session, reviewer_id: int, now: datetime) -> int | None:
    """Count a login attempt of a reviewer as failed, unless they are locked at ``now``: the new
    count of failed logins in a row, or None for a locked reviewer.

    One UPDATE ... RETURNING: racing attempts each get a count of their own, and the row stays
    locked until the caller commits (PostgreSQL locks the row, SQLite the database), so that an
    attempt that locks the reviewer has done so before the next one is counted.
    """
    unlocked = sa.or_(col(Reviewer.locked_until).is_(None), col(Reviewer.locked_until) <= now)
    result = session.execute(
        sa.update(Reviewer)
        .where(col(Reviewer.id) == reviewer_id, unlocked)
        .values(failed_logins=Reviewer.failed_logins + 1)
        .returning(col(Reviewer.failed_logins))
        # The count comes from RETURNING: no loaded reviewer is compared in Python.
        .execution_options(synchronize_session=False)
    )
    count = result.scalar_one_or_none()
    return None if count is None else int(count)


def lock_reviewer(*, session: Session, reviewer_id: int, until: datetime) -> None:
    """Refuse logins of this reviewer until ``until``."""
    session.execute(
        sa.update(Reviewer).where(col(Reviewer.id) == reviewer_id).values(locked_until=until)
    )


def reset_failed_logins(*, session: Session, reviewer_id: int) -> None:
    """Forget a reviewer's failed logins and lock."""
    session.execute(
        sa.update(Reviewer)
        .where(col(Reviewer.id) == reviewer_id)
        .values(failed_logins=0, locked_until=None)
    )


def insert_login_session(
    *,
    session: Session,
    token_hash: str,
    reviewer_id: int,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """Store a new login session by the hash of its token."""
    session.execute(
        sa.insert(LoginSession),
        {
            "token_hash": token_hash,
            "reviewer_id": reviewer_id,
            "created_at": created_at,
            "expires_at": expires_at,
        },
    )


def reviewer_of_session(*, session: Session, token_hash: str, now: datetime) -> Reviewer | None:
    """The active reviewer whose login session has this token hash and is live at ``now`` (not
    expired, not revoked); None otherwise. One lookup on the unique token hash."""
    query = (
        select(Reviewer)
        .join(LoginSession, col(LoginSession.reviewer_id) == col(Reviewer.id))
        .where(
            LoginSession.token_hash == token_hash,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
            col(Reviewer.active).is_(True),
        )
    )
    return session.exec(query).first()


def revoke_login_session(*, session: Session, token_hash: str, now: datetime) -> None:
    """End the login session with this token hash (a no-op when it has ended already)."""
    session.execute(
        sa.update(LoginSession)
        .where(col(LoginSession.token_hash) == token_hash, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke_login_sessions_of(*, session: Session, reviewer_id: int, now: datetime) -> int:
    """End every login session of a reviewer that has not ended; how many were live."""
    result = session.execute(
        sa.update(LoginSession)
        .where(
            col(LoginSession.reviewer_id) == reviewer_id,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def delete_ended_login_sessions(*, session: Session, reviewer_id: int, now: datetime) -> None:
    """Drop a reviewer's login sessions that expired or were revoked: they can never be used."""
    session.execute(
        sa.delete(LoginSession)
        .where(
            col(LoginSession.reviewer_id) == reviewer_id,
            sa.or_(col(LoginSession.revoked_at).is_not(None), col(LoginSession.expires_at) <= now),
        )
        .execution_options(synchronize_session=False)
    )


def insert_report(
    *, session: Session, content_hash: str, source: str, text: str, meta: dict[str, Any]
) -> int:
    """Insert a report and return its id."""
    result = session.execute(
        sa.insert(Report).returning(col(Report.id)),
        {"content_hash": content_hash, "source": source, "text": text, "meta": meta},
    )
    return int(result.scalar_one())


def report_ids_by_hashes(*, session: Session, content_hashes: Collection[str]) -> dict[str, int]:
    """The ids of the stored reports among these content hashes, by hash (one query)."""
    if not content_hashes:
        return {}
    # The hashes are written into the statement (they are hex digests): a statement with a
    # thousand parameters is prepared by PostgreSQL after five runs with the plan of an empty
    # table, a scan comparing every row with every hash, seconds a chunk at 100k reports.
    matches = col(Report.content_hash).in_(
        sa.bindparam("p_hashes", list(content_hashes), expanding=True, literal_execute=True)
    )
    query = select(Report.content_hash, Report.id).where(matches)
    return {
        content_hash: int(report_id)
        for content_hash, report_id in session.exec(query)
        if report_id is not None
    }


def insert_reports(*, session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk-insert report rows and return their ids, in the order of the rows.

    A Core insert of the table (not the ORM's bulk path) in batches of many rows per statement,
    each returning its ids: one round trip for hundreds of reports.
    """
    if not rows:
        return []
    table = Report.__table__  # type: ignore[attr-defined]
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    now = utc_now()
    result = session.connection().execute(statement, [{"created_at": now, **row} for row in rows])
    return [int(report_id) for report_id in result.scalars()]


def insert_sentences(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert sentence rows (report_id, position, start_char, end_char, text, hash)."""
    if rows:
        # A Core insert of the table: the ORM's bulk path took longer than splitting the text.
        session.connection().execute(sa.insert(Sentence.__table__), list(rows))  # type: ignore[attr-defined]


# Statements of the annotate loop are built once, with bound parameters: building one took
# longer than running it (and a sentence is served, saved and shown ten times a minute).
_COUNT_ANNOTATION = (
    sa.update(Sentence)
    .where(col(Sentence.id) == sa.bindparam("p_sentence_id"))
    .values(n_annotations=col(Sentence.n_annotations) + sa.bindparam("p_change"))
    # The sentence may be loaded in the session: its count is expired and read again.
    .execution_options(synchronize_session="fetch")
)


def close_sentence(*, session: Session, sentence_id: int) -> None:
    """Serve the sentence to no reviewer any more (its gold came from elsewhere)."""
    session.execute(sa.update(Sentence).where(col(Sentence.id) == sentence_id).values(closed=True))


_SENTENCES = Sentence.__table__  # type: ignore[attr-defined]
# A Core statement: the ORM runs no executemany UPDATE with a WHERE clause of its own.
_CLOSE_SENTENCE = (
    sa.update(_SENTENCES)
    .where(_SENTENCES.c.id == sa.bindparam("p_sentence_id"))
    .values(closed=True)
)


def close_sentences(*, session: Session, sentence_ids: Sequence[int]) -> None:
    """``close_sentence`` for many sentences, in one executemany statement."""
    if sentence_ids:
        session.connection().execute(
            _CLOSE_SENTENCE, [{"p_sentence_id": id_} for id_ in sentence_ids]
        )


def count_annotation(*, session: Session, sentence_id: int, change: int) -> None:
    """Add ``change`` (+1 or -1) to a sentence's count of deciding reviewers, in the database."""
    session.execute(_COUNT_ANNOTATION, {"p_sentence_id": sentence_id, "p_change": change})


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


_CONTEXT = (
    select(Sentence)
    .where(
        Sentence.report_id == sa.bindparam("p_report_id"),
        col(Sentence.position).between(sa.bindparam("p_first"), sa.bindparam("p_last")),
    )
    .order_by(col(Sentence.position))
)


def context_of(*, session: Session, sentence: Sentence, width: int = 1) -> list[Sentence]:
    """The sentence and up to ``width`` neighbours on each side, in report order."""
    params = {
        "p_report_id": sentence.report_id,
        "p_first": sentence.position - width,
        "p_last": sentence.position + width,
    }
    return list(session.exec(_CONTEXT, params=params))


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


def next_routed_id(
    *, session: Session, reviewer_id: int, overlap: int, now: datetime, after_id: int = 0
) -> int | None:
    """The first sentence after ``after_id``, in report order, that this reviewer has not
    decided and that still needs annotations: its count plus the live claims of other reviewers
    is below ``overlap``.

    Why this costs the same at a thousand sentences as at a million: one query per count
    ``k < overlap``, each an equality on the ``sentence_routing`` index ``(closed,
    n_annotations, id)`` (closed = false: sentences whose gold was imported are not served)
    plus a range ``id > after_id``, read in index order and stopped at the first row that passes
    two EXISTS/COUNT probes, themselves on the ``annotation_reviewer_sentence`` and
    ``claim_sentence_expiry`` indexes. The rows passed over are only those this reviewer already
    decided after the cursor or that others hold claims on: a handful, whatever the table size
    (walking from the start again, after the cursor reached the end, passes over the reviewer's
    own sentences still waiting for a second reviewer). Nothing is filtered in Python; the
    smallest of ``overlap`` ids is taken.
    """
    best: int | None = None
    for count in range(overlap):
        query = _routing_statement(overlap, count, best is not None)
        params: dict[str, Any] = {"reviewer_id": reviewer_id, "now": now, "after_id": after_id}
        if best is not None:
            params["before_id"] = best
        found = session.exec(query, params=params).first()
        if found is not None:
            best = int(found)
    return best


@lru_cache(maxsize=64)
def _routing_statement(overlap: int, count: int, bounded: bool) -> Any:
    """``_routing_query`` with the reviewer, the time and the bounds as bound parameters, built
    once per shape: building the statement took four times as long as running it."""
    return _routing_query(
        reviewer_id=sa.bindparam("reviewer_id"),
        overlap=overlap,
        now=sa.bindparam("now"),
        count=count,
        after_id=sa.bindparam("after_id"),
        before_id=sa.bindparam("before_id") if bounded else None,
    )


def _routing_query(
    *,
    reviewer_id: int | sa.BindParameter[Any],
    overlap: int,
    now: datetime | sa.BindParameter[Any],
    count: int,
    after_id: int | sa.BindParameter[Any],
    before_id: int | sa.BindParameter[Any] | None,
) -> Any:
    """The first sentence with ``count`` annotations in ``(after_id, before_id)`` that this
    reviewer has not decided and whose live claims by others leave room below ``overlap``."""
    done = select(Annotation.id).where(
        Annotation.reviewer_id == reviewer_id, Annotation.sentence_id == Sentence.id
    )
    claimed = (
        select(func.count())
        .select_from(Claim)
        .where(
            Claim.sentence_id == Sentence.id,
            col(Claim.expires_at) > now,
            Claim.reviewer_id != reviewer_id,
        )
        .scalar_subquery()
    )
    upper = [col(Sentence.id) < before_id] if before_id is not None else []
    return (
        select(Sentence.id)
        .where(
            col(Sentence.closed) == sa.false(),
            Sentence.n_annotations == count,
            col(Sentence.id) > after_id,
            *upper,
            ~done.exists(),
            claimed < overlap - count,
        )
        .order_by(col(Sentence.id))
        .limit(1)
    )


def next_uncertain_id(
    *, session: Session, reviewer_id: int, overlap: int, now: datetime, after_id: int = 0
) -> int | None:
    """As ``next_routed_id``, in uncertainty order: the sentence after ``after_id`` with the
    highest ``Sentence.uncertainty`` (then the lowest id) that this reviewer has not decided
    and that still needs annotations.

    The cursor is the position of ``after_id`` in that order, ``(uncertainty, id)``: per count
    ``k < overlap`` two queries on the ``sentence_uncertain_routing`` index ``(closed,
    n_annotations, uncertainty DESC, id)``, one for the rest of the cursor's own figure (an
    equality and ``id > after_id``), one for the lower figures (a range), each read in index
    order and stopped at the first row passing the same probes as report order.
    """
    cursor: tuple[float, int] | None = None
    if after_id > 0:
        figure = session.exec(select(Sentence.uncertainty).where(Sentence.id == after_id)).first()
        if figure is not None:
            cursor = (float(figure), after_id)
    best: tuple[float, int] | None = None
    for count in range(overlap):
        for part in ("same", "lower") if cursor is not None else ("all",):
            query = _uncertain_statement(overlap, count, part)
            params: dict[str, Any] = {"reviewer_id": reviewer_id, "now": now}
            if cursor is not None:
                params["figure"], params["after_id"] = cursor
            row = session.exec(query, params=params).first()
            if row is not None:
                found = (-float(row[1]), int(row[0]))
                if best is None or found < best:
                    best = found
                break  # the first part that has a sentence comes first in the order
    return None if best is None else best[1]


@lru_cache(maxsize=64)
def _uncertain_statement(overlap: int, count: int, part: str) -> Any:
    """The uncertainty-order routing query of one count and one part of the order (``all``;
    after the cursor: ``same`` figure, ``lower`` figures), with bound parameters."""
    done = select(Annotation.id).where(
        Annotation.reviewer_id == sa.bindparam("reviewer_id"),
        Annotation.sentence_id == Sentence.id,
    )
    claimed = (
        select(func.count())
        .select_from(Claim)
        .where(
            Claim.sentence_id == Sentence.id,
            col(Claim.expires_at) > sa.bindparam("now"),
            Claim.reviewer_id != sa.bindparam("reviewer_id"),
        )
        .scalar_subquery()
    )
    bounds: list[Any] = []
    if part == "same":
        bounds = [
            col(Sentence.uncertainty) == sa.bindparam("figure"),
            col(Sentence.id) > sa.bindparam("after_id"),
        ]
    elif part == "lower":
        bounds = [col(Sentence.uncertainty) < sa.bindparam("figure")]
    return (
        select(Sentence.id, Sentence.uncertainty)
        .where(
            col(Sentence.closed) == sa.false(),
            Sentence.n_annotations == count,
            *bounds,
            ~done.exists(),
            claimed < overlap - count,
        )
        .order_by(col(Sentence.uncertainty).desc(), col(Sentence.id))
        .limit(1)
    )


def uncertain_routing_plan(
    *, session: Session, reviewer_id: int, overlap: int, now: datetime
) -> list[str]:
    """The database's plan of the uncertainty-order routing query past a cursor, for tests."""
    query = _uncertain_statement(overlap, 0, "lower").params(
        reviewer_id=reviewer_id, now=now, figure=0.5
    )
    bind = session.get_bind()
    compiled = query.compile(bind=bind, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    rows = session.execute(sa.text(prefix + str(compiled)))
    return [" ".join(str(value) for value in row) for row in rows]


def set_uncertainties(*, session: Session, figures: Sequence[tuple[int, float]]) -> None:
    """Give sentences the uncertainty of their newest suggestion (sentence id, figure)."""
    if figures:
        table = Sentence.__table__  # type: ignore[attr-defined]
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("p_id"))
            .values(uncertainty=sa.bindparam("p_figure")),
            [{"p_id": sentence_id, "p_figure": figure} for sentence_id, figure in figures],
        )


def routing_plan(*, session: Session, reviewer_id: int, overlap: int, now: datetime) -> list[str]:
    """The database's plan of the routing query (SQLite or PostgreSQL), for tests and tuning."""
    query = _routing_query(
        reviewer_id=reviewer_id, overlap=overlap, now=now, count=0, after_id=0, before_id=None
    )
    bind = session.get_bind()
    compiled = query.compile(bind=bind, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    rows = session.execute(sa.text(prefix + str(compiled)))
    return [" ".join(str(value) for value in row) for row in rows]


_LOCK_FOR_CLAIM = (
    sa.select(col(Sentence.id))
    .where(col(Sentence.id) == sa.bindparam("p_sentence_id"))
    .with_for_update()
)
_CLAIMS_OF_OTHERS = (
    select(func.count())
    .select_from(Claim)
    .where(
        Claim.sentence_id == sa.bindparam("p_sentence_id"),
        col(Claim.expires_at) > sa.bindparam("p_now"),
        Claim.reviewer_id != sa.bindparam("p_reviewer_id"),
    )
    .scalar_subquery()
)
_TAKEN = sa.select(col(Sentence.n_annotations) + _CLAIMS_OF_OTHERS).where(
    col(Sentence.id) == sa.bindparam("p_sentence_id")
)
_REFRESH_CLAIM = (
    sa.update(Claim)
    .where(
        col(Claim.sentence_id) == sa.bindparam("p_sentence_id"),
        col(Claim.reviewer_id) == sa.bindparam("p_reviewer_id"),
    )
    .values(claimed_at=sa.bindparam("p_claimed_at"), expires_at=sa.bindparam("p_expires_at"))
    .execution_options(synchronize_session=False)
)


def claim_sentence(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    now: datetime,
    expires_at: datetime,
    overlap: int | None = None,
) -> bool:
    """Reserve a sentence for a reviewer until ``expires_at``; False (nothing written) when
    ``overlap`` is given and the sentence's count plus others' live claims already reach it.

    The sentence row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite has one writer at a
    time anyway), so that two reviewers claiming the same sentence take turns and the second
    one sees the first one's claim.
    """
    # The statements are built once (above): building them took longer than running them.
    session.execute(_LOCK_FOR_CLAIM, {"p_sentence_id": sentence_id})
    if overlap is not None:
        taken = session.execute(
            _TAKEN, {"p_sentence_id": sentence_id, "p_now": now, "p_reviewer_id": reviewer_id}
        ).scalar()
        if taken is None or int(taken) >= overlap:
            return False
    refreshed = session.execute(
        _REFRESH_CLAIM,
        {
            "p_sentence_id": sentence_id,
            "p_reviewer_id": reviewer_id,
            "p_claimed_at": now,
            "p_expires_at": expires_at,
        },
    )
    if getattr(refreshed, "rowcount", 0):
        return True
    try:
        with session.begin_nested():
            session.execute(
                sa.insert(Claim),
                {
                    "sentence_id": sentence_id,
                    "reviewer_id": reviewer_id,
                    "claimed_at": now,
                    "expires_at": expires_at,
                },
            )
    except sa.exc.IntegrityError:
        # The same reviewer claimed it at the same moment (a second tab): theirs stands.
        pass
    return True


_RELEASE_CLAIMS = (
    sa.delete(Claim)
    .where(col(Claim.reviewer_id) == sa.bindparam("p_reviewer_id"))
    .execution_options(synchronize_session=False)
)
_RELEASE_CLAIM = _RELEASE_CLAIMS.where(col(Claim.sentence_id) == sa.bindparam("p_sentence_id"))
_RELEASE_OTHER_CLAIMS = _RELEASE_CLAIMS.where(col(Claim.sentence_id) != sa.bindparam("p_kept_id"))


def release_claims(
    *,
    session: Session,
    reviewer_id: int,
    sentence_id: int | None = None,
    keep: int | None = None,
) -> None:
    """Drop a reviewer's claims (on one sentence, or all of them but the one on ``keep``)."""
    if sentence_id is None and keep is not None:
        session.execute(_RELEASE_OTHER_CLAIMS, {"p_reviewer_id": reviewer_id, "p_kept_id": keep})
    elif sentence_id is None:
        session.execute(_RELEASE_CLAIMS, {"p_reviewer_id": reviewer_id})
    else:
        session.execute(
            _RELEASE_CLAIM, {"p_reviewer_id": reviewer_id, "p_sentence_id": sentence_id}
        )


def count_annotations_of(*, session: Session, sentence_id: int) -> int:
    """How many reviewers' annotations a sentence has (the rows, not the stored count)."""
    query = (
        select(func.count()).select_from(Annotation).where(Annotation.sentence_id == sentence_id)
    )
    return int(session.exec(query).one())


_LATEST_SUGGESTION = (
    select(Suggestion)
    .where(Suggestion.sentence_id == sa.bindparam("p_sentence_id"))
    .order_by(col(Suggestion.id).desc())
    .limit(1)
)


def latest_suggestion(
    *, session: Session, sentence_id: int, except_model: str | None = None
) -> Suggestion | None:
    """The newest suggestion stored for a sentence, or the newest not by ``except_model``."""
    if except_model is None:
        return session.exec(_LATEST_SUGGESTION, params={"p_sentence_id": sentence_id}).first()
    query = (
        select(Suggestion)
        .where(Suggestion.sentence_id == sentence_id, Suggestion.model_name != except_model)
        .order_by(col(Suggestion.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def suggestion_in_use(*, session: Session, sentence_id: int) -> Suggestion | None:
    """The newest suggestion of the sentence by the suggester in use. While no trained version
    is active (none was, or ``activate default`` went back), trained versions' suggestions are
    passed over (they stay stored), so the default's show again."""
    if active_model_version(session=session) is not None:
        return latest_suggestion(session=session, sentence_id=sentence_id)
    return latest_suggestion(
        session=session, sentence_id=sentence_id, except_model=config.TRAINED_SUGGESTIONS
    )


def unsuggested_sentences(
    *,
    session: Session,
    model_name: str,
    model_version: str,
    after_id: int,
    limit: int,
    stripe: tuple[int, int] | None = None,
    unannotated_only: bool = False,
) -> list[tuple[int, str]]:
    """Up to ``limit`` (id, text) of sentences after ``after_id`` without this model's output;
    with ``stripe`` (index, count) only those whose id modulo count is index; with
    ``unannotated_only`` only those without an annotation or gold."""
    query = (
        select(Sentence.id, Sentence.text)
        .where(
            col(Sentence.id) > after_id,
            *_lacking_suggestion(model_name, model_version, unannotated_only=unannotated_only),
            *_in_stripe(stripe),
        )
        .order_by(col(Sentence.id))
        .limit(limit)
    )
    return [(sentence_id, text) for sentence_id, text in session.exec(query) if sentence_id]


def _lacking_suggestion(
    model_name: str, model_version: str, *, unannotated_only: bool
) -> list[Any]:
    """The conditions on a sentence without this model's suggestion (and, if asked, without an
    annotation or gold)."""
    has = select(Suggestion.id).where(
        Suggestion.sentence_id == Sentence.id,
        Suggestion.model_name == model_name,
        Suggestion.model_version == model_version,
    )
    conditions: list[Any] = [~has.exists()]
    if unannotated_only:
        conditions += [
            Sentence.n_annotations == 0,
            ~select(Gold.id).where(Gold.sentence_id == Sentence.id).exists(),
        ]
    return conditions


def _in_stripe(stripe: tuple[int, int] | None) -> list[Any]:
    """The condition that keeps one of ``count`` disjoint shares of the sentences, by id."""
    if stripe is None:
        return []
    index, count = stripe
    return [col(Sentence.id) % count == index]


def count_unsuggested(
    *, session: Session, model_name: str, model_version: str, unannotated_only: bool = False
) -> int:
    """How many sentences lack this model's suggestion (with ``unannotated_only``: of those
    without an annotation or gold)."""
    conditions = _lacking_suggestion(model_name, model_version, unannotated_only=unannotated_only)
    query = select(func.count()).select_from(Sentence).where(*conditions)
    return int(session.exec(query).one())


def suggestion_models(*, session: Session, sentence_id: int) -> set[tuple[str, str]]:
    """(model name, model version) of every suggestion stored for a sentence."""
    query = select(Suggestion.model_name, Suggestion.model_version).where(
        Suggestion.sentence_id == sentence_id
    )
    return {(name, version) for name, version in session.exec(query)}


def insert_suggestions(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert suggestion rows."""
    if rows:
        session.execute(sa.insert(Suggestion), list(rows))


_ANNOTATION_OF = (
    select(Annotation)
    .where(
        Annotation.sentence_id == sa.bindparam("p_sentence_id"),
        Annotation.reviewer_id == sa.bindparam("p_reviewer_id"),
    )
    .execution_options(populate_existing=True)
)


def annotation_of(*, session: Session, sentence_id: int, reviewer_id: int) -> Annotation | None:
    """A reviewer's current annotation of a sentence, as stored now (not as this session last
    saw it)."""
    params = {"p_sentence_id": sentence_id, "p_reviewer_id": reviewer_id}
    return session.exec(_ANNOTATION_OF, params=params).first()


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
    """How many reports, sentences, suggestions, annotations and gold rows are stored, and how
    many sentences an adjudicator rejected (``gold`` counts the accepted gold only)."""
    tables: dict[str, Any] = {
        "reports": Report,
        "sentences": Sentence,
        "suggestions": Suggestion,
        "annotations": Annotation,
    }
    counts = {
        name: int(session.exec(select(func.count()).select_from(table)).one())
        for name, table in tables.items()
    }
    counts["gold"] = count_gold(session=session)
    counts["rejected"] = count_gold(session=session, status="reject")
    return counts


def count_kept_rows(*, session: Session) -> dict[str, int]:
    """How many reviewers, reports, annotation versions, gold rows and model versions are
    stored (what a backup must bring back); a table an older schema lacks counts 0."""
    tables: dict[str, Any] = {
        "reviewers": Reviewer,
        "reports": Report,
        "annotation_versions": AnnotationVersion,
        "gold": Gold,
        "model_versions": ModelVersion,
    }
    inspector = sa.inspect(session.connection())
    return {
        name: int(session.exec(select(func.count()).select_from(table)).one())
        if inspector.has_table(table.__table__.name)
        else 0
        for name, table in tables.items()
    }


def count_sentences(*, session: Session) -> int:
    """How many sentences there are."""
    return int(session.exec(select(func.count()).select_from(Sentence)).one())


_HIGHEST_SENTENCE_ID = sa.select(func.coalesce(func.max(col(Sentence.id)), 0))
_COUNT_DECIDED = (
    select(func.count())
    .select_from(Annotation)
    .where(
        Annotation.reviewer_id == sa.bindparam("p_reviewer_id"),
        # A skip leaves the sentence to someone else: it is not done.
        col(Annotation.status).in_(("accept", "reject")),
    )
)


def highest_sentence_id(*, session: Session) -> int:
    """The highest sentence id (0 without sentences): one step down the primary key."""
    return int(session.execute(_HIGHEST_SENTENCE_ID).scalar_one())


def count_decided(*, session: Session, reviewer_id: int) -> int:
    """How many sentences this reviewer has decided (accepted or rejected; skips are not)."""
    return int(session.exec(_COUNT_DECIDED, params={"p_reviewer_id": reviewer_id}).one())


_PerSentence = TypeVar("_PerSentence", Gold, Suggestion)


def _with_sentence_and_report(entity: type[_PerSentence]) -> Any:
    """``entity`` rows joined to their sentence and its report."""
    return (
        select(entity, Sentence, Report)
        .join(Sentence, col(Sentence.id) == entity.sentence_id)
        .join(Report, col(Report.id) == Sentence.report_id)
    )


def _iter_by_sentence(
    *, session: Session, entity: type[_PerSentence], conditions: list[Any], batch_size: int
) -> Iterator[tuple[_PerSentence, Sentence, Report]]:
    """The ``entity`` rows meeting ``conditions`` (at most one a sentence) with their sentence
    and report, in sentence order, streamed in batches keyed on the sentence id."""
    last_id = 0
    while True:
        query = (
            _with_sentence_and_report(entity)
            .where(col(Sentence.id) > last_id, *conditions)
            .order_by(col(Sentence.id))
            .limit(batch_size)
        )
        rows: list[tuple[_PerSentence, Sentence, Report]] = list(session.exec(query))
        if not rows:
            return
        yield from rows
        last_id = int(rows[-1][1].id or 0)


def iter_gold(
    *, session: Session, batch_size: int = 1000
) -> Iterator[tuple[Gold, Sentence, Report]]:
    """Every accepted gold row (a rejected sentence is not gold to use) with its sentence and
    report, in report order, streamed in batches."""
    return _iter_by_sentence(
        session=session, entity=Gold, conditions=[Gold.status == "accept"], batch_size=batch_size
    )


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
    """The content hashes of the reports that have accepted gold sentences."""
    query = (
        select(Report.content_hash)
        .join(Sentence, col(Sentence.report_id) == Report.id)
        .join(Gold, col(Gold.sentence_id) == Sentence.id)
        .where(Gold.status == "accept")
        .distinct()
    )
    return list(session.exec(query))


def gold_of_report_keys(
    *, session: Session, report_keys: Collection[str]
) -> list[tuple[Gold, Sentence, Report]]:
    """The accepted gold of the reports with these content hashes (a model version's held-out
    reports), with each sentence and report, in sentence order."""
    keys = sorted(set(report_keys))
    found: list[tuple[Gold, Sentence, Report]] = []
    for start in range(0, len(keys), 500):
        query = _with_sentence_and_report(Gold).where(
            Gold.status == "accept", col(Report.content_hash).in_(keys[start : start + 500])
        )
        found.extend(session.exec(query))
    return sorted(found, key=lambda row: row[1].id or 0)


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


def iter_latest_suggestions(
    *, session: Session, batch_size: int = 1000
) -> Iterator[DecisionInReport]:
    """The newest suggestion of every sentence that has one, with its sentence and report,
    report by report and each in sentence order, streamed in batches (the event table of the
    suggestions, which merges a report's events)."""
    return _iter_by_report(
        session=session, entity=Suggestion, conditions=[_newest_suggestion()], batch_size=batch_size
    )


def _newest_suggestion() -> Any:
    """The condition that a suggestion is its sentence's newest."""
    newer = aliased(Suggestion)
    return ~sa.exists().where(
        col(newer.sentence_id) == col(Suggestion.sentence_id),
        col(newer.id) > col(Suggestion.id),
    )


class DecisionInReport(NamedTuple):
    """A sentence's decision (gold or a suggestion: its JSON columns) with where it stands:
    its report (id, name, source, meta), its id, position and text."""

    report_id: int
    report_name: str | None
    report_source: str
    report_meta: dict[str, Any]
    sentence_id: int
    position: int
    text: str
    entities: list[Any]
    events: list[Any]
    categories: list[str]
    arguments: list[Any]


def _iter_by_report(
    *, session: Session, entity: type[_PerSentence], conditions: list[Any], batch_size: int
) -> Iterator[DecisionInReport]:
    """The ``entity`` rows meeting ``conditions`` (at most one a sentence) as DecisionInReport
    rows, report by report (by id) and each report's in sentence order, streamed in batches
    keyed on (report id, position); plain columns, no ORM objects, no report text."""
    last_report, last_position = 0, -1
    columns = (
        col(Report.id),
        col(Report.name),
        col(Report.source),
        col(Report.meta),
        col(Sentence.id),
        col(Sentence.position),
        col(Sentence.text),
        col(entity.entities),
        col(entity.events),
        col(entity.categories),
        col(entity.arguments),
    )
    while True:
        query = (
            sa.select(*columns)
            .join(Sentence, col(Sentence.id) == entity.sentence_id)
            .join(Report, col(Report.id) == Sentence.report_id)
            .where(
                # The range first, so that both engines walk the (report_id, position) index;
                # on the report too, or PostgreSQL's merge join reads the reports from the first.
                col(Sentence.report_id) >= last_report,
                col(Report.id) >= last_report,
                sa.or_(
                    col(Sentence.report_id) > last_report, col(Sentence.position) > last_position
                ),
                *conditions,
            )
            .order_by(col(Sentence.report_id), col(Sentence.position))
            .limit(batch_size)
        )
        rows = [DecisionInReport(*row) for row in session.execute(query)]
        if not rows:
            return
        yield from rows
        last_report, last_position = rows[-1].report_id, rows[-1].position


def iter_gold_by_report(*, session: Session, batch_size: int = 1000) -> Iterator[DecisionInReport]:
    """Every accepted gold row with where its sentence stands, report by report and each in
    sentence order, streamed in batches (the event table, which merges a report's events)."""
    return _iter_by_report(
        session=session, entity=Gold, conditions=[Gold.status == "accept"], batch_size=batch_size
    )


def count_suggested_sentences(*, session: Session) -> int:
    """How many sentences have a suggestion."""
    query = select(func.count(sa.distinct(col(Suggestion.sentence_id))))
    return int(session.exec(query).one())


def gold_state(*, session: Session) -> tuple[int, int, datetime | None]:
    """The accepted gold as a cache key: how many rows, the highest id, the latest change."""
    query = select(func.count(), func.max(col(Gold.id)), func.max(col(Gold.updated_at))).where(
        Gold.status == "accept"
    )
    count, highest, latest = session.exec(query).one()
    return int(count), int(highest or 0), latest


def suggestion_state(*, session: Session) -> tuple[int, int]:
    """The suggestions as a cache key: how many rows and the highest id."""
    count, highest = session.exec(select(func.count(), func.max(col(Suggestion.id)))).one()
    return int(count), int(highest or 0)


def first_sentence_texts(*, session: Session, report_ids: Collection[int]) -> dict[int, str]:
    """The text of each report's first sentence, by report id (where a coder's note is dated)."""
    ids = sorted(set(report_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        query = select(Sentence.report_id, Sentence.text).where(
            Sentence.position == 0, col(Sentence.report_id).in_(ids[start : start + 500])
        )
        found.update({report_id: text for report_id, text in session.exec(query)})
    return found


def recent_reports(*, session: Session, limit: int = 200) -> list[Report]:
    """The most recently imported reports, newest first."""
    query = select(Report).order_by(col(Report.id).desc()).limit(limit)
    return list(session.exec(query))


class DecidedRow(NamedTuple):
    """An accepted or rejected annotation, with its sentence's report, text and gold state."""

    sentence_id: int
    report_id: int
    text: str
    annotation_id: int
    reviewer_id: int
    reviewer: str
    status: str
    entities: list[Any]
    events: list[Any]
    categories: list[str]
    updated_at: datetime
    has_gold: bool
    arguments: list[Any]


def _decided_conditions(
    *,
    statuses: Sequence[str],
    reviewer_ids: Sequence[int],
    since: datetime | None,
    before: datetime | None,
) -> list[Any]:
    conditions: list[Any] = [col(Annotation.status).in_(tuple(statuses))]
    if reviewer_ids:
        conditions.append(col(Annotation.reviewer_id).in_(list(reviewer_ids)))
    if since is not None:
        conditions.append(col(Annotation.updated_at) >= since)
    if before is not None:
        conditions.append(col(Annotation.updated_at) < before)
    return conditions


def _sentences_decided_by(
    conditions: list[Any], *, report_ids: Sequence[int], having: Callable[[Any], Any]
) -> sa.Subquery:
    """The sentence ids whose annotations meeting ``conditions`` are counted as ``having`` asks."""
    query = sa.select(col(Annotation.sentence_id))
    if report_ids:
        query = query.join(Sentence, col(Sentence.id) == col(Annotation.sentence_id)).where(
            col(Sentence.report_id).in_(list(report_ids))
        )
    return (
        query.where(*conditions)
        .group_by(col(Annotation.sentence_id))
        .having(having(func.count()))
        .subquery()
    )


def iter_categories_accepted_once(
    *,
    session: Session,
    report_ids: Sequence[int] = (),
    reviewer_ids: Sequence[int] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    batch_size: int = 5000,
) -> Iterator[list[str]]:
    """The categories of each sentence one reviewer alone accepted within the filters (as in
    ``iter_decided_annotations``), streamed: chance agreement counts these sentences too."""
    conditions = _decided_conditions(
        statuses=("accept",), reviewer_ids=reviewer_ids, since=since, before=before
    )
    once = _sentences_decided_by(conditions, report_ids=report_ids, having=lambda n: n == 1)
    query = (
        sa.select(col(Annotation.categories))
        .join(once, once.c.sentence_id == col(Annotation.sentence_id))
        .where(*conditions)
        .execution_options(yield_per=batch_size)
    )
    for (categories,) in session.execute(query):
        yield [str(name) for name in categories]


def iter_decided_annotations(
    *,
    session: Session,
    report_ids: Sequence[int] = (),
    reviewer_ids: Sequence[int] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    batch_size: int = 1000,
) -> Iterator[DecidedRow]:
    """The accepted and rejected annotations within the filters of the sentences two or more
    reviewers decided within them; by sentence and reviewer name, streamed in batches.

    An empty ``report_ids`` or ``reviewer_ids`` means any; ``since`` (included) and ``before``
    (excluded) bound when the annotation was last decided, and must be in UTC (SQLite stores
    timestamps without their zone).
    """
    conditions = _decided_conditions(
        statuses=("accept", "reject"), reviewer_ids=reviewer_ids, since=since, before=before
    )
    shared = _sentences_decided_by(conditions, report_ids=report_ids, having=lambda n: n >= 2)
    has_gold = sa.exists().where(col(Gold.sentence_id) == col(Annotation.sentence_id))
    query = (
        sa.select(
            col(Annotation.sentence_id),
            col(Sentence.report_id),
            col(Sentence.text),
            col(Annotation.id),
            col(Annotation.reviewer_id),
            col(Reviewer.name),
            col(Annotation.status),
            col(Annotation.entities),
            col(Annotation.events),
            col(Annotation.categories),
            col(Annotation.updated_at),
            has_gold.label("has_gold"),
            col(Annotation.arguments),
        )
        .join(shared, shared.c.sentence_id == col(Annotation.sentence_id))
        .join(Sentence, col(Sentence.id) == col(Annotation.sentence_id))
        .join(Reviewer, col(Reviewer.id) == col(Annotation.reviewer_id))
        .where(*conditions)
        .order_by(col(Annotation.sentence_id), col(Reviewer.name))
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(query):
        yield DecidedRow(
            int(row[0]),
            int(row[1]),
            str(row[2]),
            int(row[3]),
            int(row[4]),
            str(row[5]),
            str(row[6]),
            list(row[7]),
            list(row[8]),
            list(row[9]),
            row[10],
            bool(row[11]),
            list(row[12]),
        )


def reports_with_shared_sentences(*, session: Session) -> list[tuple[int, str]]:
    """(id, source) of the reports with a sentence two or more reviewers decided, by id."""
    shared = sa.exists().where(
        col(Sentence.report_id) == col(Report.id), col(Sentence.n_annotations) >= 2
    )
    query = sa.select(col(Report.id), col(Report.source)).where(shared).order_by(col(Report.id))
    return [(int(report_id), str(source)) for report_id, source in session.execute(query)]


# --- adjudication and gold ------------------------------------------------------------------


_LOCK_SENTENCE = (
    sa.select(col(Sentence.id))
    .where(col(Sentence.id) == sa.bindparam("p_sentence_id"))
    .with_for_update(key_share=True)
)
# SQLite ignores FOR UPDATE; a write that changes nothing takes its one write lock.
_LOCK_SENTENCE_SQLITE = (
    sa.update(_SENTENCES)
    .where(_SENTENCES.c.id == sa.bindparam("p_sentence_id"))
    .values(n_annotations=_SENTENCES.c.n_annotations)
)


def lock_sentence(*, session: Session, sentence_id: int) -> None:
    """Hold a sentence's row until the transaction ends, so that decisions on it (saves,
    undos, the gold they settle) take turns and read what the one before left: ``FOR NO KEY
    UPDATE`` on PostgreSQL (it does not block the key-share locks that inserting its
    annotations takes); on SQLite the database's write lock."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().execute(_LOCK_SENTENCE_SQLITE, {"p_sentence_id": sentence_id})
    else:
        session.execute(_LOCK_SENTENCE, {"p_sentence_id": sentence_id})


_DECIDED_ANNOTATIONS = (
    select(Annotation, Reviewer.name)
    .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
    .where(
        col(Annotation.sentence_id).in_(sa.bindparam("p_sentence_ids", expanding=True)),
        col(Annotation.status).in_(("accept", "reject")),
    )
    .order_by(col(Annotation.sentence_id), col(Reviewer.name), col(Annotation.id))
    .execution_options(populate_existing=True)
)


def decided_annotations(
    *, session: Session, sentence_ids: Sequence[int]
) -> list[tuple[Annotation, str]]:
    """The accepted and rejected annotations of these sentences with their reviewer's name,
    as stored now (not as this session last saw them), by sentence, reviewer name and id."""
    if not sentence_ids:
        return []
    params = {"p_sentence_ids": list(sentence_ids)}
    return [
        (annotation, str(name))
        for annotation, name in session.exec(_DECIDED_ANNOTATIONS, params=params)
    ]


def annotation_ids_of(*, session: Session, sentence_id: int) -> set[int]:
    """The ids of every reviewer's annotation of a sentence, whatever its status."""
    query = select(Annotation.id).where(Annotation.sentence_id == sentence_id)
    return {int(annotation_id) for annotation_id in session.exec(query) if annotation_id}


def get_annotation(*, session: Session, annotation_id: int) -> Annotation | None:
    """One annotation by id."""
    return session.get(Annotation, annotation_id)


def adjudication_candidates(
    *,
    session: Session,
    after_id: int,
    limit: int,
    include_gold: bool,
    adjudicator_id: int | None = None,
    now: datetime | None = None,
) -> list[tuple[int, str, str | None]]:
    """Up to ``limit`` (id, text, gold status or None) of sentences after ``after_id`` that two
    or more reviewers decided, in id order; without ``include_gold`` only those with no gold
    (accepted or rejected) yet. With ``adjudicator_id`` (and ``now``) those another reviewer
    holds a live claim on are left out: someone is deciding them.

    A walk of the primary key filtered on the stored count, with a probe of gold's unique
    ``sentence_id`` index and of the ``claim_sentence_expiry`` index per row.
    """
    gold_status = (
        sa.select(col(Gold.status))
        .where(col(Gold.sentence_id) == col(Sentence.id))
        .scalar_subquery()
    )
    query = (
        sa.select(col(Sentence.id), col(Sentence.text), gold_status.label("gold_status"))
        .where(col(Sentence.id) > after_id, col(Sentence.n_annotations) >= 2)
        .order_by(col(Sentence.id))
        .limit(limit)
    )
    if not include_gold:
        query = query.where(~sa.exists().where(col(Gold.sentence_id) == col(Sentence.id)))
    if adjudicator_id is not None:
        query = query.where(
            ~sa.exists().where(
                col(Claim.sentence_id) == col(Sentence.id),
                col(Claim.expires_at) > (now or utc_now()),
                col(Claim.reviewer_id) != adjudicator_id,
            )
        )
    return [
        (int(sentence_id), str(text), None if status is None else str(status))
        for sentence_id, text, status in session.execute(query)
    ]


def claimants(*, session: Session, sentence_id: int, reviewer_id: int, now: datetime) -> list[str]:
    """The names of the other reviewers holding a live claim on a sentence, by name."""
    query = (
        select(Reviewer.name)
        .join(Claim, col(Claim.reviewer_id) == col(Reviewer.id))
        .where(
            Claim.sentence_id == sentence_id,
            col(Claim.expires_at) > now,
            Claim.reviewer_id != reviewer_id,
        )
        .order_by(col(Reviewer.name))
    )
    return [str(name) for name in session.exec(query)]


_CURRENT_GOLD = (
    select(Gold)
    .where(Gold.sentence_id == sa.bindparam("p_sentence_id"))
    .execution_options(populate_existing=True)
)


def current_gold(*, session: Session, sentence_id: int) -> Gold | None:
    """The gold of a sentence as stored now (not as this session last saw it)."""
    return session.exec(_CURRENT_GOLD, params={"p_sentence_id": sentence_id}).first()


def insert_gold_if_absent(*, session: Session, values: dict[str, Any]) -> bool:
    """Insert a gold row unless its sentence has one; False (nothing written) when it has.

    The unique ``sentence_id`` constraint decides (``ON CONFLICT DO NOTHING``): of two
    transactions inserting at once, the second waits for the first and then writes nothing.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Gold)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["sentence_id"])
        .returning(col(Gold.id))
    )
    return session.execute(statement).first() is not None


def insert_gold_rows(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert complete gold rows in one statement (sentences known to have none)."""
    if rows:
        session.execute(sa.insert(Gold), list(rows))


def update_gold_if_version(
    *,
    session: Session,
    sentence_id: int,
    version: int,
    values: dict[str, Any],
    source: str | None = None,
) -> bool:
    """Overwrite a sentence's gold and bump its version, only if it is still at ``version``
    (and, given ``source``, still of that source); False (nothing written) otherwise.

    The check and the write are one statement: a concurrent writer holding the row makes this
    one wait and then re-check, so of two updates from the same version only one matches.
    """
    statement = (
        sa.update(Gold)
        .where(col(Gold.sentence_id) == sentence_id, col(Gold.version) == version)
        .values(**values, version=col(Gold.version) + 1)
        .returning(col(Gold.id))
        .execution_options(synchronize_session=False)
    )
    if source is not None:
        statement = statement.where(col(Gold.source) == source)
    gold_id = session.execute(statement).scalar()
    if gold_id is None:
        return False
    stale = _gold_in_session(session=session, gold_id=int(gold_id))
    if stale is not None:
        session.refresh(stale)
    return True


def delete_gold_if_version(
    *, session: Session, sentence_id: int, version: int, source: str | None = None
) -> bool:
    """Delete a sentence's gold only if it is still at ``version`` (and of ``source``)."""
    statement = (
        sa.delete(Gold)
        .where(col(Gold.sentence_id) == sentence_id, col(Gold.version) == version)
        .returning(col(Gold.id))
        .execution_options(synchronize_session=False)
    )
    if source is not None:
        statement = statement.where(col(Gold.source) == source)
    gold_id = session.execute(statement).scalar()
    if gold_id is None:
        return False
    stale = _gold_in_session(session=session, gold_id=int(gold_id))
    if stale is not None:
        session.expunge(stale)
    return True


def _gold_in_session(*, session: Session, gold_id: int) -> Gold | None:
    # A gold row this session loaded before a statement changed it behind the ORM's back.
    from sqlalchemy.orm.util import identity_key

    found = session.identity_map.get(identity_key(Gold, gold_id))
    return found if isinstance(found, Gold) else None


# --- model versions -----------------------------------------------------------------------


def count_gold(*, session: Session, status: str = "accept") -> int:
    """How many sentences have gold of this status: "accept" (the gold export and training
    use) or "reject" (sentences an adjudicator found unfit to label)."""
    query = select(func.count()).select_from(Gold).where(Gold.status == status)
    return int(session.exec(query).one())


def model_versions(*, session: Session) -> list[ModelVersion]:
    """Every model version, newest first."""
    return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.number).desc())))


def model_version(*, session: Session, number: int) -> ModelVersion | None:
    """The model version with this number."""
    return session.exec(select(ModelVersion).where(ModelVersion.number == number)).first()


def active_model_version(*, session: Session) -> ModelVersion | None:
    """The model version the app suggests with, if one was made active."""
    query = select(ModelVersion).where(col(ModelVersion.active).is_(True)).limit(1)
    return session.exec(query).first()


def next_model_number(*, session: Session) -> int:
    """The number the next model version gets."""
    return int(session.exec(select(func.coalesce(func.max(ModelVersion.number), 0))).one()) + 1


def trainings_started_since(*, session: Session, since: datetime) -> list[ModelVersion]:
    """Model versions still marked training that started after ``since``."""
    query = select(ModelVersion).where(
        ModelVersion.status == "training", col(ModelVersion.created_at) >= since
    )
    return list(session.exec(query))


def fail_stale_trainings(*, session: Session, before: datetime, error: str) -> int:
    """Mark trainings started before ``before`` and never finished as failed; return how many."""
    result = session.execute(
        sa.update(ModelVersion)
        .where(col(ModelVersion.status) == "training", col(ModelVersion.created_at) < before)
        .values(status="failed", error=error)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def fail_training(*, session: Session, number: int, error: str) -> None:
    """Mark one model version failed with ``error``, if it is still training."""
    session.execute(
        sa.update(ModelVersion)
        .where(col(ModelVersion.number) == number, col(ModelVersion.status) == "training")
        .values(status="failed", error=error, finished_at=utc_now())
    )


def set_active_model(*, session: Session, model_version_id: int) -> None:
    """Make one model version the active one and every other inactive."""
    session.execute(
        sa.update(ModelVersion)
        .where(col(ModelVersion.id) != model_version_id, col(ModelVersion.active).is_(True))
        .values(active=False)
    )
    session.execute(
        sa.update(ModelVersion).where(col(ModelVersion.id) == model_version_id).values(active=True)
    )


def clear_active_model(*, session: Session) -> None:
    """Make no model version active: the default suggester is the app's again."""
    session.execute(
        sa.update(ModelVersion).where(col(ModelVersion.active).is_(True)).values(active=False)
    )


# --- reports: progress, names, deleting -----------------------------------------------------


class ReportProgress(NamedTuple):
    """A report and how far along its sentences are: decided (accepted or rejected) by at
    least one reviewer, and with gold."""

    id: int
    name: str | None
    source: str
    sentences: int
    annotated: int
    gold: int
    created_at: datetime


def report_progress(
    *, session: Session, limit: int | None = None, report_ids: Collection[int] | None = None
) -> list[ReportProgress]:
    """Reports newest first (the latest ``limit``, or those of ``report_ids``), each with its
    counts of annotated sentences and of sentences with gold: three queries, whatever the size."""
    query = sa.select(
        col(Report.id),
        col(Report.name),
        col(Report.source),
        col(Report.n_sentences),
        col(Report.created_at),
    ).order_by(col(Report.id).desc())
    if report_ids is not None:
        query = query.where(col(Report.id).in_(list(report_ids)))
    if limit is not None:
        query = query.limit(limit)
    reports = session.execute(query).all()
    ids = [int(row[0]) for row in reports if row[0] is not None]
    if not ids:
        return []
    in_reports = col(Sentence.report_id).in_(ids)
    annotated = _counts_by_report(
        session,
        select(Sentence.report_id, func.count())
        .where(in_reports, col(Sentence.n_annotations) > 0)
        .group_by(col(Sentence.report_id)),
    )
    gold = _counts_by_report(
        session,
        select(Sentence.report_id, func.count())
        .join(Gold, col(Gold.sentence_id) == col(Sentence.id))
        .where(in_reports)
        .group_by(col(Sentence.report_id)),
    )
    return [
        ReportProgress(
            id=int(report_id),
            name=name,
            source=source,
            sentences=n_sentences,
            annotated=annotated.get(int(report_id), 0),
            gold=gold.get(int(report_id), 0),
            created_at=created_at,
        )
        for report_id, name, source, n_sentences, created_at in reports
        if report_id is not None
    ]


def _counts_by_report(session: Session, query: Any) -> dict[int, int]:
    return {int(report_id): int(count) for report_id, count in session.exec(query)}


def gold_of_reports(*, session: Session, report_ids: Collection[int]) -> dict[int, Gold]:
    """The gold of the first sentence of each of these reports, by report id (a report kept
    whole, as every record with a decision is, has that one sentence)."""
    if not report_ids:
        return {}
    query = (
        select(Sentence.report_id, Gold)
        .join(Gold, col(Gold.sentence_id) == col(Sentence.id))
        .where(col(Sentence.report_id).in_(list(report_ids)), Sentence.position == 0)
        .execution_options(populate_existing=True)
    )
    return {int(report_id): gold for report_id, gold in session.exec(query)}


def count_gold_of_reports(*, session: Session, report_ids: Collection[int]) -> dict[int, int]:
    """How many sentences of each of these reports have gold, by report id (none: absent)."""
    if not report_ids:
        return {}
    return _counts_by_report(
        session,
        select(Sentence.report_id, func.count())
        .join(Gold, col(Gold.sentence_id) == col(Sentence.id))
        .where(col(Sentence.report_id).in_(list(report_ids)))
        .group_by(col(Sentence.report_id)),
    )


def delete_gold_of_reports(*, session: Session, report_ids: Collection[int]) -> int:
    """Delete the gold of every sentence of these reports; return how many rows."""
    if not report_ids:
        return 0
    sentences = select(Sentence.id).where(col(Sentence.report_id).in_(list(report_ids)))
    result = session.execute(
        sa.delete(Gold)
        .where(col(Gold.sentence_id).in_(sentences.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_reports(*, session: Session, report_ids: Collection[int]) -> int:
    """Delete reports; return how many. Their sentences go with them, and with the sentences
    their suggestions, claims and annotations with every earlier version (the schema's ON
    DELETE CASCADE, indexed on every side)."""
    if not report_ids:
        return 0
    result = session.execute(
        sa.delete(Report)
        .where(col(Report.id).in_(list(report_ids)))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def rename_report(*, session: Session, report_id: int, name: str | None) -> bool:
    """Give a report a display name (None: shown by its source again); False when there is no
    such report."""
    result = session.execute(
        sa.update(Report)
        .where(col(Report.id) == report_id)
        .values(name=name)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def whole_sentence_reports(*, session: Session, report_ids: Collection[int]) -> set[int]:
    """Those of these reports whose one sentence is their whole text."""
    if not report_ids:
        return set()
    query = (
        select(Report.id)
        .join(Sentence, col(Sentence.report_id) == col(Report.id))
        .where(
            col(Report.id).in_(list(report_ids)),
            Report.n_sentences == 1,
            Sentence.start_char == 0,
            col(Sentence.end_char) == func.length(col(Report.text)),
        )
    )
    return {int(report_id) for report_id in session.exec(query) if report_id is not None}


# --- the gold lexicon's votes ------------------------------------------------------------------


class LexiconVoteRow(NamedTuple):
    """Standing votes on a phrase with a label, counted by what they say (a negative count
    takes votes away)."""

    layer: str
    phrase: str
    label: str
    kept: bool
    name: bool
    adjudicated: bool
    votes: int
    latest: datetime


class TallyChange(NamedTuple):
    """Votes that began or ceased to stand: what a tally gains (or loses, when negative)."""

    layer: str
    phrase: str
    label: str
    kept: bool
    name: bool
    votes: int
    latest: datetime


_VOTE_KEY = (
    LexiconVote.layer,
    LexiconVote.phrase,
    LexiconVote.label,
    LexiconVote.kept,
    LexiconVote.name,
)


def _phrase_is(column: Any, name: str, postgres: bool) -> Any:
    """``column`` is one of the phrases of parameter ``name``."""
    if postgres:
        return col(column) == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.String())))
    return col(column).in_(sa.bindparam(name, expanding=True))


@lru_cache(maxsize=8)
def _vote_counts_statement(*, postgres: bool, limited: bool, excepting: bool) -> Any:
    """The statement of ``lexicon_vote_counts``, built once per shape (the annotate page runs
    it on every sentence it serves): the tallies and the adjudications' votes in one, on the
    phrases ``tally_phrases`` and ``vote_phrases`` (on PostgreSQL one array parameter, so that
    it is planned once per connection; elsewhere an expanding list) and, ``excepting``, not
    of sentence ``except_sentence_id``."""
    tallies = sa.select(
        col(LexiconTally.layer),
        col(LexiconTally.phrase),
        col(LexiconTally.label),
        col(LexiconTally.kept),
        col(LexiconTally.name),
        sa.literal(False, sa.Boolean()).label("adjudicated"),
        col(LexiconTally.votes),
        col(LexiconTally.latest),
    ).where(col(LexiconTally.votes) > 0)
    key = [col(column) for column in _VOTE_KEY]
    gold = select(Gold.id).where(
        Gold.sentence_id == LexiconVote.sentence_id,
        Gold.version == LexiconVote.version,
        Gold.source == "adjudicated",
        Gold.status == "accept",
    )
    adjudicated = (
        sa.select(
            *key,
            sa.literal(True, sa.Boolean()).label("adjudicated"),
            func.count(),
            func.max(col(LexiconVote.decided_at)),
        )
        .where(
            col(LexiconVote.adjudicated).is_(True),
            col(LexiconVote.standing).is_(True),
            # An import may have replaced the adjudicated gold since.
            gold.exists(),
        )
        .group_by(*key)
    )
    if excepting:
        adjudicated = adjudicated.where(
            col(LexiconVote.sentence_id) != sa.bindparam("except_sentence_id")
        )
    if limited:
        tallies = tallies.where(_phrase_is(LexiconTally.phrase, "tally_phrases", postgres))
        adjudicated = adjudicated.where(_phrase_is(LexiconVote.phrase, "vote_phrases", postgres))
    return sa.union_all(tallies, adjudicated)


def lexicon_vote_counts(
    *,
    session: Session,
    phrases: Collection[str] | None = None,
    except_sentence_id: int | None = None,
    reviewed: bool = True,
) -> list[LexiconVoteRow]:
    """The standing votes on these phrases (None: on every phrase), but those of decisions on
    ``except_sentence_id`` (``reviewed`` False: no reviewer decided it, only an adjudicator may
    have), counted by layer, phrase, label, verdict, way of writing and kind of decision:
    reviewers' from their tallies, adjudicators' from their votes."""
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = _vote_counts_statement(
        postgres=postgres, limited=phrases is not None, excepting=except_sentence_id is not None
    )
    base: dict[str, Any] = {}
    if except_sentence_id is not None:
        base["except_sentence_id"] = except_sentence_id
    wanted = sorted(set(phrases or ()))
    # One array on PostgreSQL; elsewhere within every database's limit on bound parameters.
    size = max(len(wanted), 1) if postgres else 400
    chunks = [wanted[start : start + size] for start in range(0, len(wanted), size)]
    parameters = (
        [base]
        if phrases is None
        else [{**base, "tally_phrases": chunk, "vote_phrases": chunk} for chunk in chunks]
    )
    found = [
        LexiconVoteRow(*row) for values in parameters for row in session.execute(statement, values)
    ]
    if except_sentence_id is not None and reviewed:
        found += [
            LexiconVoteRow(
                change.layer,
                change.phrase,
                change.label,
                change.kept,
                change.name,
                False,
                -change.votes,
                change.latest,
            )
            for change in standing_reviewer_votes(session=session, sentence_id=except_sentence_id)
        ]
    return found


def standing_reviewer_votes(
    *,
    session: Session,
    annotation_id: int | None = None,
    sentence_id: int | None = None,
    report_ids: Collection[int] | None = None,
) -> list[TallyChange]:
    """The standing votes of one annotation, or of every reviewer's decision on a sentence or
    on the sentences of some reports, counted by what they say."""
    key = [col(column) for column in _VOTE_KEY]
    query = sa.select(*key, func.count(), func.max(col(LexiconVote.decided_at))).where(
        col(LexiconVote.adjudicated).is_(False), col(LexiconVote.standing).is_(True)
    )
    if annotation_id is not None:
        query = query.where(col(LexiconVote.annotation_id) == annotation_id)
    if sentence_id is not None:
        query = query.where(col(LexiconVote.sentence_id) == sentence_id)
    if report_ids is not None:
        query = query.join(Sentence, col(Sentence.id) == LexiconVote.sentence_id).where(
            col(Sentence.report_id).in_(sorted(set(report_ids)))
        )
    return [TallyChange(*row) for row in session.execute(query.group_by(*key))]


def add_to_tallies(*, session: Session, changes: Sequence[TallyChange]) -> None:
    """Add votes to (or take them from) the tallies, one statement; the rows in one order in
    every transaction, so that two saves never wait for each other in a circle."""
    merged: dict[tuple[str, str, str, bool, bool], list[Any]] = {}
    for change in changes:
        key = (change.phrase, change.layer, change.label, bool(change.kept), bool(change.name))
        votes, latest = merged.get(key, [0, change.latest])
        merged[key] = [votes + change.votes, max(latest, change.latest, key=_comparable)]
    rows = [
        {
            "phrase": phrase,
            "layer": layer,
            "label": label,
            "kept": kept,
            "name": name,
            "votes": votes,
            "latest": latest,
        }
        for (phrase, layer, label, kept, name), (votes, latest) in sorted(merged.items())
        if votes
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # Rows as parameters, not values: the statement is compiled once and cached.
    statement = insert(LexiconTally)
    table = LexiconTally.__table__.c  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["phrase", "layer", "label", "kept", "name"],
        set_={
            "votes": table.votes + statement.excluded.votes,
            # A vote taken away leaves the latest time as it was.
            "latest": sa.case(
                (
                    sa.and_(statement.excluded.votes > 0, statement.excluded.latest > table.latest),
                    statement.excluded.latest,
                ),
                else_=table.latest,
            ),
        },
    )
    session.execute(statement, rows)


def _comparable(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def stand_annotation_votes(*, session: Session, annotation_id: int, version: int | None) -> None:
    """Let the votes of an annotation's ``version`` stand, and no others (None: none)."""
    standing = sa.false() if version is None else col(LexiconVote.version) == version
    session.execute(
        sa.update(LexiconVote)
        .where(col(LexiconVote.annotation_id) == annotation_id)
        .values(standing=standing)
        .execution_options(synchronize_session=False)
    )


def sentences_with_votes(*, session: Session, sentence_ids: Collection[int]) -> set[int]:
    """Those of these sentences that a decision voted on (standing or not)."""
    if not sentence_ids:
        return set()
    query = (
        select(LexiconVote.sentence_id)
        .where(col(LexiconVote.sentence_id).in_(sorted(set(sentence_ids))))
        .distinct()
    )
    return set(session.exec(query))


def delete_annotation_votes(*, session: Session, annotation_id: int, from_version: int) -> None:
    """Forget the votes of an annotation's versions from ``from_version`` on (a save makes that
    version again after an undo)."""
    session.execute(
        sa.delete(LexiconVote).where(
            col(LexiconVote.annotation_id) == annotation_id,
            col(LexiconVote.version) >= from_version,
        )
    )


def delete_adjudicated_votes(*, session: Session, sentence_id: int, from_version: int) -> None:
    """Forget the votes of a sentence's adjudicated gold from ``from_version`` on."""
    session.execute(
        sa.delete(LexiconVote).where(
            col(LexiconVote.sentence_id) == sentence_id,
            col(LexiconVote.adjudicated).is_(True),
            col(LexiconVote.version) >= from_version,
        )
    )


def insert_lexicon_votes(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert lexicon votes."""
    if rows:
        session.execute(sa.insert(LexiconVote), list(rows))
