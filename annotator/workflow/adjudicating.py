"""Adjudicating: the sentences reviewers disagree on, their versions side by side, and the
adjudicator's decision stored as gold.

Gold is saved optimistically (``annotator.workflow.gold``): an adjudicator names the gold
version they saw (None for none), and the database refuses the write when the gold changed
meanwhile, so of two adjudicators saving the same sentence at once exactly one wins; the other
gets ``StaleGold``. An adjudicator may also reject a sentence (junk, a broken split): a gold
decision of status "reject" that export and training leave out.

Opening a sentence claims it, as serving one claims it for an annotator: another adjudicator's
queue leaves it out until the claim is released (by a decision, or by opening another
sentence) or lapses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from annotator import config, repository
from annotator.comparison import Comparison, Version, compare
from annotator.labels import LabelScheme
from annotator.models import Gold, Reviewer, utc_now
from annotator.spans import Draft
from annotator.workflow.annotating import AnnotationError, Passage, check_decision, passage_of
from annotator.workflow.gold import GoldStatus, StaleGold, adjudicate_gold, versions_of
from annotator.workflow.lexicon import learn_adjudication

log = logging.getLogger(__name__)

ADJUDICATOR_ROLES = frozenset({"adjudicator", "admin"})

__all__ = [
    "ADJUDICATOR_ROLES",
    "AdjudicationError",
    "AdjudicationScene",
    "Comparison",
    "QueueItem",
    "StaleGold",
    "Version",
    "adjudicate",
    "adjudication_scene",
    "compare",
    "disagreement_queue",
    "open_for_adjudication",
    "reject_sentence",
    "take_version",
    "versions_of",
]


class AdjudicationError(AnnotationError):
    """An adjudication that cannot be stored (not an adjudicator, a rejected version...)."""


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A sentence in the adjudication queue."""

    sentence_id: int
    text: str
    n_reviewers: int
    score: float
    has_gold: bool
    # Decided as unfit to label: its gold is a reject.
    rejected: bool = False


def disagreement_queue(
    *,
    session: Session,
    only_disagreements: bool = True,
    include_gold: bool = False,
    limit: int = 50,
    after_id: int = 0,
    adjudicator_id: int | None = None,
    now: datetime | None = None,
) -> list[QueueItem]:
    """Up to ``limit`` sentences after ``after_id`` (pass the last item's ``sentence_id`` for
    the next page) that two or more reviewers decided, in report order.

    By default only those whose reviewers disagree and that have no gold yet (the work left);
    ``only_disagreements=False`` lists every multiply-decided one, ``include_gold=True`` those
    with gold (accepted or rejected) too. The queue of ``adjudicator_id`` leaves out the
    sentences someone else has open (a live claim at ``now``). Candidates come from an indexed
    query; their few versions are compared here.
    """
    items: list[QueueItem] = []
    batch = max(4 * limit, 100)
    cursor = after_id
    now = now or utc_now()
    while len(items) < limit:
        candidates = repository.adjudication_candidates(
            session=session,
            after_id=cursor,
            limit=batch,
            include_gold=include_gold,
            adjudicator_id=adjudicator_id,
            now=now,
        )
        if not candidates:
            break
        versions: dict[int, list[Version]] = {}
        for annotation, name in repository.decided_annotations(
            session=session, sentence_ids=[sentence_id for sentence_id, _, _ in candidates]
        ):
            versions.setdefault(annotation.sentence_id, []).append(
                Version.of(annotation, reviewer=name)
            )
        for sentence_id, text, gold_status in candidates:
            found = versions.get(sentence_id, [])
            if len(found) < 2:
                continue
            comparison = compare(found)
            if only_disagreements and comparison.agreed:
                continue
            items.append(
                QueueItem(
                    sentence_id,
                    text,
                    len(found),
                    comparison.score,
                    has_gold=gold_status is not None,
                    rejected=gold_status == "reject",
                )
            )
            if len(items) == limit:
                break
        if len(candidates) < batch:
            break
        cursor = candidates[-1][0]
    return items


# --- one sentence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjudicationScene:
    """What the adjudication page shows of one sentence: the sentence in its report, its
    reviewers' versions compared, and its current gold with the name of who decided it."""

    passage: Passage
    comparison: Comparison
    gold: Gold | None
    gold_by: str | None

    @property
    def sentence_id(self) -> int:
        """The sentence's id."""
        assert self.passage.sentence.id is not None
        return self.passage.sentence.id

    @property
    def annotation_ids(self) -> tuple[int, ...]:
        """The annotations on screen: those a decision is made from."""
        return tuple(version.annotation_id for version in self.comparison.versions)

    def reviewer_names(self) -> dict[int, str]:
        """Reviewer name by annotation id."""
        return {version.annotation_id: version.reviewer for version in self.comparison.versions}


def open_for_adjudication(
    *,
    session: Session,
    sentence_id: int,
    adjudicator_id: int,
    claim_minutes: float = config.DEFAULT_CLAIM_MINUTES,
    now: datetime | None = None,
) -> list[str]:
    """Claim the sentence an adjudicator opened (their other claims are released: one sentence
    at a time), so that other adjudicators' queues leave it out; return the names of the
    others who have it open too (a link opens a sentence whatever its claims).

    Only a sentence two or more reviewers decided (one the queue lists) is claimed: a claim
    counts toward a sentence's overlap, and one still being annotated is the annotators'.
    """
    now = now or utc_now()
    repository.release_claims(session=session, reviewer_id=adjudicator_id)
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is not None and sentence.n_annotations >= 2:
        repository.claim_sentence(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=adjudicator_id,
            now=now,
            expires_at=now + timedelta(minutes=claim_minutes),
        )
    return repository.claimants(
        session=session, sentence_id=sentence_id, reviewer_id=adjudicator_id, now=now
    )


def adjudication_scene(*, session: Session, sentence_id: int) -> AdjudicationScene | None:
    """The sentence, its neighbours, its reviewers' versions and its gold; None if missing."""
    passage = passage_of(session=session, sentence_id=sentence_id)
    if passage is None:
        return None
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    decider = (
        repository.get_reviewer(session=session, reviewer_id=gold.decided_by)
        if gold is not None and gold.decided_by is not None
        else None
    )
    return AdjudicationScene(
        passage=passage,
        comparison=compare(versions_of(session=session, sentence_id=sentence_id)),
        gold=gold,
        gold_by=decider.name if decider is not None else None,
    )


# --- deciding ---------------------------------------------------------------------------------


def adjudicate(
    *,
    session: Session,
    sentence_id: int,
    adjudicator_id: int,
    draft: Draft,
    from_annotations: Iterable[int],
    expected_version: int | None,
    scheme: LabelScheme,
) -> Gold:
    """Store an adjudicator's decision as the sentence's gold (source "adjudicated").

    ``expected_version`` is the gold version the adjudicator saw (None: they saw no gold);
    when the stored gold is at another version the save is refused with ``StaleGold`` and
    nothing is written. The caller's session decides when it is committed.
    """
    check_decision(session=session, sentence_id=sentence_id, draft=draft, scheme=scheme)
    return _decide(
        session=session,
        sentence_id=sentence_id,
        adjudicator_id=adjudicator_id,
        draft=draft,
        from_annotations=from_annotations,
        expected_version=expected_version,
        status="accept",
    )


def reject_sentence(
    *,
    session: Session,
    sentence_id: int,
    adjudicator_id: int,
    from_annotations: Iterable[int],
    expected_version: int | None,
) -> Gold:
    """Decide that a sentence is unfit to label (junk, a broken split): a gold decision of
    status "reject", with no spans, that export and training leave out and that closes the
    sentence to routing. Saved like any adjudication: ``StaleGold`` when the gold is no longer
    at ``expected_version``, nothing written."""
    if repository.get_sentence(session=session, sentence_id=sentence_id) is None:
        raise AnnotationError(f"sentence {sentence_id} does not exist")
    return _decide(
        session=session,
        sentence_id=sentence_id,
        adjudicator_id=adjudicator_id,
        draft=Draft(),
        from_annotations=from_annotations,
        expected_version=expected_version,
        status="reject",
    )


def _decide(
    *,
    session: Session,
    sentence_id: int,
    adjudicator_id: int,
    draft: Draft,
    from_annotations: Iterable[int],
    expected_version: int | None,
    status: GoldStatus,
) -> Gold:
    """Check the adjudicator and the annotations decided from, store the gold, and release
    the adjudicator's claim on the sentence."""
    adjudicator = _adjudicator(session=session, adjudicator_id=adjudicator_id)
    sources = sorted(set(from_annotations))
    unknown = set(sources) - repository.annotation_ids_of(session=session, sentence_id=sentence_id)
    if unknown:
        raise AdjudicationError(
            f"annotation {min(unknown)} is not an annotation of sentence {sentence_id}"
        )
    gold = adjudicate_gold(
        session=session,
        sentence_id=sentence_id,
        adjudicator_id=adjudicator_id,
        draft=draft,
        from_annotations=sources,
        expected_version=expected_version,
        status=status,
    )
    learn_adjudication(session=session, gold=gold, from_annotations=sources)
    repository.release_claims(session=session, reviewer_id=adjudicator_id, sentence_id=sentence_id)
    log.info(
        "sentence %s %s by %s (gold version %s)",
        sentence_id,
        "rejected" if status == "reject" else "adjudicated",
        adjudicator.name,
        gold.version,
    )
    return gold


def _adjudicator(*, session: Session, adjudicator_id: int) -> Reviewer:
    adjudicator = repository.get_reviewer(session=session, reviewer_id=adjudicator_id)
    if adjudicator is None or adjudicator.role not in ADJUDICATOR_ROLES or not adjudicator.active:
        raise AdjudicationError(
            f"reviewer {adjudicator_id} may not adjudicate (an active adjudicator or admin may)"
        )
    return adjudicator


def take_version(
    *,
    session: Session,
    annotation_id: int,
    adjudicator_id: int,
    expected_version: int | None,
    scheme: LabelScheme,
    from_annotations: Iterable[int] = (),
) -> Gold:
    """Adjudicate a sentence by taking one reviewer's accepted version as it is.

    The gold records that annotation and any others the adjudicator compared it with.
    """
    annotation = repository.get_annotation(session=session, annotation_id=annotation_id)
    if annotation is None:
        raise AdjudicationError(f"annotation {annotation_id} does not exist")
    if annotation.status != "accept":
        raise AdjudicationError(
            f"annotation {annotation_id} is a {annotation.status}, not an accepted version; "
            "there are no spans to take from it"
        )
    return adjudicate(
        session=session,
        sentence_id=annotation.sentence_id,
        adjudicator_id=adjudicator_id,
        draft=Draft.of(annotation),
        from_annotations=[annotation_id, *from_annotations],
        expected_version=expected_version,
        scheme=scheme,
    )
