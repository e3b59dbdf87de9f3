"""Annotating: serve a reviewer the next sentence, store their decision, undo it, and what
the annotate screen shows.

Functions here decide what is written; the caller's session decides when it is committed
(``annotator.db.session_scope``), so a decision is all-or-nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from annotator import config, repository
from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.models import (
    Annotation,
    AnnotationVersion,
    Report,
    Sentence,
    Suggestion,
    utc_now,
)
from annotator.spans import STATUSES, Draft, SpanError, check_draft
from annotator.workflow import gold, lexicon
from annotator.workflow.gold import GoldPolicy


class AnnotationError(AnnotatorError, ValueError):
    """A decision that cannot be stored (unknown sentence, bad span, unknown label...)."""


def next_sentence_id(
    *,
    session: Session,
    reviewer_id: int,
    after_id: int = 0,
    overlap: int = config.DEFAULT_OVERLAP,
    claim_minutes: float = config.DEFAULT_CLAIM_MINUTES,
    now: datetime | None = None,
    routing: str = config.DEFAULT_ROUTING,
    holding: int | None = None,
) -> int | None:
    """Serve and claim the next sentence in report order that this reviewer has not decided
    and that still needs annotations (fewer than ``overlap``, counting others' live claims).
    With ``routing="uncertain"`` the order is the suggester's uncertainty, least sure first
    (report order among equals and for sentences never scored).

    The reviewer's earlier claims are released: one sentence is worked on at a time, and one
    more claimed ahead of it (``holding``: the sentence on screen, whose claim stays and which
    is not served again). A claim lapses after ``claim_minutes``, so a sentence left by an idle
    reviewer is served again. Sentences passed over (before ``after_id``) are offered again once
    the end is reached.
    """
    now = now or utc_now()
    expires_at = now + timedelta(minutes=claim_minutes)
    # On SQLite this first write takes the database's write lock, so the search and the claim
    # below see no other reviewer's claim arrive in between.
    repository.release_claims(session=session, reviewer_id=reviewer_id, keep=holding)
    cursor, wrapped = after_id, after_id <= 0
    if routing not in config.ROUTINGS:
        choices = ", ".join(config.ROUTINGS)
        raise AnnotationError(f"unknown routing {routing!r}; use one of {choices}")
    route = repository.next_uncertain_id if routing == "uncertain" else repository.next_routed_id
    while True:
        found = route(
            session=session, reviewer_id=reviewer_id, overlap=overlap, now=now, after_id=cursor
        )
        if found is None:
            if wrapped:
                return None
            cursor, wrapped = 0, True
            continue
        if found == holding:
            cursor = found  # the reviewer has it on screen already
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


@dataclass(frozen=True)
class Serving:
    """What a reviewer is served: the sentence to decide now, the one claimed for them to
    follow it (both None when nothing is left), and whether the one claimed ahead before was
    still theirs to take (``kept``)."""

    current: int | None
    following: int | None
    kept: bool = False


def serve_reviewer(
    *,
    session: Session,
    reviewer_id: int,
    after_id: int = 0,
    ahead: int | None = None,
    overlap: int = config.DEFAULT_OVERLAP,
    claim_minutes: float = config.DEFAULT_CLAIM_MINUTES,
    now: datetime | None = None,
    routing: str = config.DEFAULT_ROUTING,
) -> Serving:
    """Serve the sentence after ``after_id`` and claim the one after it too, so that a screen
    can show it the moment the reviewer decides this one.

    ``ahead`` is the sentence claimed ahead at the last serving: it is served when it is still
    the reviewer's to take (as :func:`take_ahead` checks), else the routing serves another.
    """
    now = now or utc_now()
    kept = (
        ahead is not None
        and ahead != after_id
        and take_ahead(
            session=session,
            sentence_id=ahead,
            reviewer_id=reviewer_id,
            overlap=overlap,
            claim_minutes=claim_minutes,
            now=now,
        )
    )

    def routed(after: int, holding: int | None) -> int | None:
        return next_sentence_id(
            session=session,
            reviewer_id=reviewer_id,
            after_id=after,
            overlap=overlap,
            claim_minutes=claim_minutes,
            now=now,
            routing=routing,
            holding=holding,
        )

    current = ahead if kept else routed(after_id, None)
    if current is None:
        return Serving(current=None, following=None)
    following = routed(current, current)
    return Serving(current=current, following=following, kept=kept)


def take_ahead(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    overlap: int = config.DEFAULT_OVERLAP,
    claim_minutes: float = config.DEFAULT_CLAIM_MINUTES,
    now: datetime | None = None,
) -> bool:
    """Whether a sentence claimed ahead for the reviewer is still theirs to decide, its claim
    renewed when it is: it still needs annotations with their claim lapsed or not (others' live
    claims counted, as routing counts them), it is not closed, and they have not decided it."""
    now = now or utc_now()
    if not repository.claim_sentence(
        session=session,
        sentence_id=sentence_id,
        reviewer_id=reviewer_id,
        now=now,
        expires_at=now + timedelta(minutes=claim_minutes),
        overlap=overlap,
    ):
        return False
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None or sentence.closed:
        return False
    decided = repository.annotation_of(
        session=session, sentence_id=sentence_id, reviewer_id=reviewer_id
    )
    return decided is None


def hold_sentence(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    claim_minutes: float = config.DEFAULT_CLAIM_MINUTES,
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


def check_decision(
    *, session: Session, sentence_id: int, draft: Draft, scheme: LabelScheme
) -> None:
    """Raise AnnotationError unless the sentence exists and the draft fits its text and the
    scheme (the check of every save: a reviewer's, an adjudicator's)."""
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        raise AnnotationError(f"sentence {sentence_id} does not exist")
    try:
        check_draft(draft, text=sentence.text, scheme=scheme)
    except SpanError as error:
        raise AnnotationError(str(error)) from error


def save_decision(
    *,
    session: Session,
    sentence_id: int,
    reviewer_id: int,
    status: str,
    draft: Draft,
    scheme: LabelScheme,
    policy: GoldPolicy,
    seconds: float = 0.0,
    suggestion_id: int | None = None,
    shown: Draft | None = None,
) -> Annotation:
    """Store a reviewer's decision; the earlier state stays in the history; gold follows by
    ``policy``; the gold lexicon learns what was accepted, and what of the suggestions the
    reviewer was ``shown`` they removed or relabelled."""
    if status not in STATUSES:
        raise AnnotationError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    check_decision(session=session, sentence_id=sentence_id, draft=draft, scheme=scheme)
    seconds = max(0.0, float(seconds))
    rows = draft.rows()
    now = utc_now()
    # Claims first, then the sentence, as serving the next sentence takes them.
    repository.release_claims(session=session, reviewer_id=reviewer_id, sentence_id=sentence_id)
    # The sentence's row before its annotations and gold, in every writer (undo, settle_gold):
    # one order, so no two decisions on it ever wait for each other in a circle; and what is
    # read from here on is what the last decision before this one left.
    repository.lock_sentence(session=session, sentence_id=sentence_id)
    annotation = repository.annotation_of(
        session=session, sentence_id=sentence_id, reviewer_id=reviewer_id
    )
    _count(
        session=session,
        sentence_id=sentence_id,
        before=None if annotation is None else annotation.status,
        after=status,
    )
    if annotation is None:
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
        annotation.arguments = rows["arguments"]
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
    assert annotation.id is not None
    gold.settle_gold(
        session=session, sentence_id=sentence_id, saved_id=annotation.id, policy=policy
    )
    lexicon.learn_decision(session=session, annotation=annotation, shown=shown)
    return annotation


@dataclass(frozen=True)
class Undone:
    """What an undo took back: the sentence, and the decision it had."""

    sentence_id: int
    status: str
    draft: Draft


def undo_last(*, session: Session, reviewer_id: int, policy: GoldPolicy) -> Undone | None:
    """Take back the reviewer's most recent decision that still stands.

    The annotation returns to its state before that decision (or is removed when it was the
    first); the history keeps the undone decision, marked with the time it was undone; gold
    follows by ``policy``.
    """
    last = _last_live_save_locked(session=session, reviewer_id=reviewer_id)
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
        assert annotation.id is not None
        _count(
            session=session,
            sentence_id=last.sentence_id,
            before=annotation.status,
            after=None if previous is None else previous.status,
        )
        if previous is None:
            gold.remove_gold_of(
                session=session, sentence_id=last.sentence_id, annotation_id=annotation.id
            )
            lexicon.forget_annotation(session=session, annotation=annotation)
            session.delete(annotation)
            session.flush()
        else:
            _restore(annotation, previous)
            session.add(annotation)
            session.flush()
            lexicon.stand_votes_of(session=session, annotation=annotation)
        # With an overlap above 1 the gold may rest on the agreement this decision was part of.
        gold.settle_gold(
            session=session, sentence_id=last.sentence_id, saved_id=annotation.id, policy=policy
        )
    session.flush()
    return Undone(
        sentence_id=last.sentence_id,
        status=last.status,
        draft=Draft.of(last),
    )


# What counts toward a sentence's overlap: a skip asks someone else to decide.
COUNTED_STATUSES = frozenset({"accept", "reject"})


def _count(*, session: Session, sentence_id: int, before: str | None, after: str | None) -> None:
    """Keep the sentence's count of deciding reviewers as a reviewer's status goes from
    ``before`` to ``after`` (None: no annotation)."""
    change = int(after in COUNTED_STATUSES) - int(before in COUNTED_STATUSES)
    if change:
        repository.count_annotation(session=session, sentence_id=sentence_id, change=change)


def _last_live_save_locked(*, session: Session, reviewer_id: int) -> AnnotationVersion | None:
    """The reviewer's most recent standing save, with its sentence's row locked (the order
    ``save_decision`` takes too), read again under the lock: a save or undo of the same
    reviewer in another tab may have landed while this one waited."""
    locked: set[int] = set()
    while True:
        last = repository.last_live_save(session=session, reviewer_id=reviewer_id)
        if last is None or last.sentence_id in locked:
            return last
        repository.lock_sentence(session=session, sentence_id=last.sentence_id)
        locked.add(last.sentence_id)


def _restore(annotation: Annotation, version: AnnotationVersion) -> None:
    annotation.status = version.status
    annotation.entities = list(version.entities)
    annotation.events = list(version.events)
    annotation.categories = list(version.categories)
    annotation.arguments = list(version.arguments)
    annotation.seconds = version.seconds
    annotation.version = version.version
    annotation.updated_at = utc_now()


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


# --- what the annotate screen shows ---------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A sentence as a screen shows it: in its report, between its neighbours."""

    sentence: Sentence
    report: Report
    before: tuple[Sentence, ...]
    after: tuple[Sentence, ...]


def passage_of(*, session: Session, sentence_id: int) -> Passage | None:
    """The sentence with its report and one neighbour on each side; None if it does not exist."""
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        return None
    context = repository.context_of(session=session, sentence=sentence)
    report = repository.report_of(session=session, report_id=sentence.report_id)
    if report is None:  # a sentence keeps its report (a foreign key); never in a sound database
        return None
    return Passage(
        sentence=sentence,
        report=report,
        before=tuple(n for n in context if n.position < sentence.position),
        after=tuple(n for n in context if n.position > sentence.position),
    )


@dataclass(frozen=True)
class AnnotateScreen:
    """What the annotate page shows on one run: the reviewer's progress, the sentence on
    screen (None when there is none) and the one claimed to follow it (sent ahead)."""

    done: int
    total: int
    passage: Passage | None
    following: Sentence | None = None


def annotate_screen(
    *,
    session: Session,
    reviewer_id: int,
    sentence_id: int | None,
    following_id: int | None = None,
) -> AnnotateScreen:
    """The reviewer's progress, the sentence they were served and the one claimed to follow
    it, read for one page run."""
    done, total = progress_of(session=session, reviewer_id=reviewer_id)
    passage = passage_of(session=session, sentence_id=sentence_id) if sentence_id else None
    following = (
        repository.get_sentence(session=session, sentence_id=following_id)
        if passage is not None and following_id
        else None
    )
    return AnnotateScreen(done=done, total=total, passage=passage, following=following)


def latest_suggestion(*, session: Session, sentence_id: int) -> Suggestion | None:
    """The newest stored suggestion for the sentence by the suggester in use: what a reviewer
    is served first (``repository.suggestion_in_use``)."""
    return repository.suggestion_in_use(session=session, sentence_id=sentence_id)


def sentence_text(*, session: Session, sentence_id: int) -> str | None:
    """The sentence's text (what a span edit is checked against); None if it does not exist."""
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    return sentence.text if sentence is not None else None
