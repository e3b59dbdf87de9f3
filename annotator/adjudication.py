"""Adjudication: the sentences reviewers disagree on, their versions side by side, and the
adjudicator's decision stored as gold; and the policy by which reviewers' saves make gold.

A reviewer's *version* of a sentence is their accepted or rejected annotation (a skip decides
nothing). Versions agree when they have the same status, the same spans (strict match: start,
end and label) and the same categories.

Gold is saved optimistically: an adjudicator names the gold version they saw (None for none),
and the database refuses the write when the gold changed meanwhile (an ``UPDATE ... WHERE
version = :seen``, or an ``INSERT`` turned away by the unique ``sentence_id``), so of two
adjudicators saving the same sentence at once exactly one wins; the other gets ``StaleGold``.

Gold policy after a reviewer's save (``settle_gold``), with ``Settings.overlap``:

* overlap 1: an accepted annotation is its sentence's gold (the single-reviewer policy);
* overlap 2 or more: once at least ``overlap`` reviewers decided and all accepted the same
  version, that version is gold (source "accepted", from their annotations) when
  ``Settings.auto_gold`` is on; while they disagree (or a reviewer rejected) there is none
  until an adjudicator decides;
* gold that was adjudicated or imported is never changed by a reviewer's save.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session

from annotator import repository
from annotator.config import Settings
from annotator.labels import LabelScheme
from annotator.models import Annotation, Gold, utc_now
from annotator.spans import Span
from annotator.workflow import AnnotationError, Draft, check_draft

log = logging.getLogger(__name__)

Layer = Literal["entities", "events"]
LAYERS: tuple[Layer, ...] = ("entities", "events")
ADJUDICATOR_ROLES = frozenset({"adjudicator", "admin"})
DECIDED = ("accept", "reject")


class AdjudicationError(AnnotationError):
    """An adjudication that cannot be stored (not an adjudicator, a rejected version...)."""


class StaleGold(AdjudicationError):
    """The gold changed after the adjudicator read it; their save was refused, not stored."""

    def __init__(
        self,
        *,
        sentence_id: int,
        expected_version: int | None,
        current_version: int | None,
        saved_by: str | None,
        saved_at: datetime | None,
        source: str | None,
    ) -> None:
        self.sentence_id = sentence_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        if self.current_version is None:
            return (
                f"The gold of sentence {self.sentence_id} was removed after you opened it; "
                "your decision was not saved. Reload the sentence and decide again."
            )
        who = self.saved_by or "someone"
        how = {
            "accepted": "agreeing reviewers",
            "imported": "an import",
            "adjudicated": "an adjudication",
        }.get(self.source or "", self.source or "a save")
        when = _utc_text(self.saved_at)
        return (
            f"Sentence {self.sentence_id} was saved meanwhile by {who} ({how}) at {when}, "
            f"gold version {self.current_version}; your decision was not saved. "
            "Reload the sentence to see theirs."
        )


def _utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# --- versions and their comparison (pure) ---------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One reviewer's decided (accepted or rejected) annotation of a sentence."""

    annotation_id: int
    reviewer_id: int
    reviewer: str
    status: str
    draft: Draft

    @classmethod
    def of(cls, annotation: Annotation, *, reviewer: str) -> Version:
        """The version a stored annotation holds."""
        assert annotation.id is not None
        return cls(
            annotation_id=annotation.id,
            reviewer_id=annotation.reviewer_id,
            reviewer=reviewer,
            status=annotation.status,
            draft=Draft.from_rows(annotation.entities, annotation.events, annotation.categories),
        )

    def decisions(self) -> frozenset[Hashable]:
        """Everything this version decided, as comparable items: its status, spans, categories."""
        items: set[Hashable] = {("status", self.status)}
        items.update(("entities", span) for span in self.draft.entities)
        items.update(("events", span) for span in self.draft.events)
        items.update(("categories", category) for category in self.draft.categories)
        return frozenset(items)


@dataclass(frozen=True)
class SpanVote:
    """A span some reviewers marked, and which of them (by annotation id)."""

    layer: Layer
    span: Span
    annotation_ids: frozenset[int]
    unanimous: bool


@dataclass(frozen=True)
class CategoryVote:
    """A category some reviewers gave the sentence, and which of them (by annotation id)."""

    category: str
    annotation_ids: frozenset[int]
    unanimous: bool


@dataclass(frozen=True)
class Comparison:
    """Reviewers' versions of one sentence side by side: every span and category any of them
    gave, with who gave it; ``unanimous`` is False where a side-by-side view highlights."""

    versions: tuple[Version, ...]
    spans: tuple[SpanVote, ...]
    categories: tuple[CategoryVote, ...]

    @property
    def agreed(self) -> bool:
        """True when every version has the same status, spans and categories."""
        return len({version.decisions() for version in self.versions}) <= 1

    @property
    def score(self) -> float:
        """How much the versions disagree: 0.0 when they agree, 1.0 when they share nothing.

        One minus the Jaccard similarity of what they decided (status, spans, categories):
        the share of all decisions made that not every reviewer made.
        """
        if not self.versions:
            return 0.0
        sets = [version.decisions() for version in self.versions]
        union = frozenset().union(*sets)
        shared = frozenset.intersection(*sets)
        return 0.0 if not union else 1.0 - len(shared) / len(union)

    def spans_of(self, annotation_id: int, layer: Layer) -> list[SpanVote]:
        """The span votes one reviewer's version takes part in, in one layer."""
        return [
            vote
            for vote in self.spans
            if vote.layer == layer and annotation_id in vote.annotation_ids
        ]

    def categories_of(self, annotation_id: int) -> tuple[str, ...]:
        """The categories one reviewer's version gave."""
        return tuple(
            vote.category for vote in self.categories if annotation_id in vote.annotation_ids
        )

    def majority_draft(self) -> Draft:
        """The spans and categories more than half of the versions hold: a starting point for
        deciding span by span (a majority of entity spans never overlap one another)."""
        half = len(self.versions) / 2
        return Draft(
            entities=tuple(
                vote.span
                for vote in self.spans
                if vote.layer == "entities" and len(vote.annotation_ids) > half
            ),
            events=tuple(
                vote.span
                for vote in self.spans
                if vote.layer == "events" and len(vote.annotation_ids) > half
            ),
            categories=tuple(
                vote.category for vote in self.categories if len(vote.annotation_ids) > half
            ),
        )


def compare(versions: Sequence[Version]) -> Comparison:
    """Every span (strict match, per layer) and category of these versions with who has it."""
    everyone = frozenset(version.annotation_id for version in versions)
    holders: dict[tuple[Layer, Span], set[int]] = {}
    chosen: dict[str, set[int]] = {}
    for version in versions:
        for layer in LAYERS:
            for span in getattr(version.draft, layer):
                holders.setdefault((layer, span), set()).add(version.annotation_id)
        for category in version.draft.categories:
            chosen.setdefault(category, set()).add(version.annotation_id)
    spans = tuple(
        SpanVote(layer, span, frozenset(ids), frozenset(ids) == everyone)
        for (layer, span), ids in sorted(
            holders.items(), key=lambda item: (LAYERS.index(item[0][0]), item[0][1])
        )
    )
    categories = tuple(
        CategoryVote(category, frozenset(ids), frozenset(ids) == everyone)
        for category, ids in sorted(chosen.items())
    )
    return Comparison(versions=tuple(versions), spans=spans, categories=categories)


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A sentence in the adjudication queue."""

    sentence_id: int
    text: str
    n_reviewers: int
    score: float
    has_gold: bool


def versions_of(*, session: Session, sentence_id: int) -> list[Version]:
    """Every reviewer's decided version of a sentence, as stored now, by reviewer name."""
    rows = repository.decided_annotations(session=session, sentence_ids=[sentence_id])
    return [Version.of(annotation, reviewer=name) for annotation, name in rows]


def disagreement_queue(
    *,
    session: Session,
    only_disagreements: bool = True,
    include_gold: bool = False,
    limit: int = 50,
    after_id: int = 0,
) -> list[QueueItem]:
    """Up to ``limit`` sentences after ``after_id`` (pass the last item's ``sentence_id`` for
    the next page) that two or more reviewers decided, in report order.

    By default only those whose reviewers disagree and that have no gold yet (the work left);
    ``only_disagreements=False`` lists every multiply-decided one, ``include_gold=True`` those
    with gold too. Candidates come from an indexed query; their few versions are compared here.
    """
    items: list[QueueItem] = []
    batch = max(4 * limit, 100)
    cursor = after_id
    while len(items) < limit:
        candidates = repository.adjudication_candidates(
            session=session, after_id=cursor, limit=batch, include_gold=include_gold
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
        for sentence_id, text, has_gold in candidates:
            found = versions.get(sentence_id, [])
            if len(found) < 2:
                continue
            comparison = compare(found)
            if only_disagreements and comparison.agreed:
                continue
            items.append(QueueItem(sentence_id, text, len(found), comparison.score, has_gold))
            if len(items) == limit:
                break
        if len(candidates) < batch:
            break
        cursor = candidates[-1][0]
    return items


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
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        raise AnnotationError(f"sentence {sentence_id} does not exist")
    check_draft(draft, text=sentence.text, scheme=scheme)
    adjudicator = repository.get_reviewer(session=session, reviewer_id=adjudicator_id)
    if adjudicator is None or adjudicator.role not in ADJUDICATOR_ROLES or not adjudicator.active:
        raise AdjudicationError(
            f"reviewer {adjudicator_id} may not adjudicate (an active adjudicator or admin may)"
        )
    sources = sorted(set(from_annotations))
    unknown = set(sources) - repository.annotation_ids_of(session=session, sentence_id=sentence_id)
    if unknown:
        raise AdjudicationError(
            f"annotation {min(unknown)} is not an annotation of sentence {sentence_id}"
        )
    now = utc_now()
    values: dict[str, Any] = {
        "source": "adjudicated",
        "decided_by": adjudicator_id,
        # No single annotation to follow: undoing or changing one must not touch this gold.
        "annotation_id": None,
        "from_annotations": sources,
        "updated_at": now,
        **draft.rows(),
    }
    if expected_version is None:
        stored = repository.insert_gold_if_absent(
            session=session,
            values={**values, "sentence_id": sentence_id, "version": 1, "created_at": now},
        )
    else:
        stored = repository.update_gold_if_version(
            session=session, sentence_id=sentence_id, version=expected_version, values=values
        )
    if not stored:
        raise _stale(session=session, sentence_id=sentence_id, expected_version=expected_version)
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    assert gold is not None
    log.info(
        "sentence %s adjudicated by %s (gold version %s)",
        sentence_id,
        adjudicator.name,
        gold.version,
    )
    return gold


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
        draft=Draft.from_rows(annotation.entities, annotation.events, annotation.categories),
        from_annotations=[annotation_id, *from_annotations],
        expected_version=expected_version,
        scheme=scheme,
    )


def _stale(*, session: Session, sentence_id: int, expected_version: int | None) -> StaleGold:
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    saved_by = None
    if gold is not None and gold.decided_by is not None:
        who = repository.get_reviewer(session=session, reviewer_id=gold.decided_by)
        saved_by = who.name if who is not None else None
    log.info("stale gold save on sentence %s refused", sentence_id)
    return StaleGold(
        sentence_id=sentence_id,
        expected_version=expected_version,
        current_version=None if gold is None else gold.version,
        saved_by=saved_by,
        saved_at=None if gold is None else gold.updated_at,
        source=None if gold is None else gold.source,
    )


# --- the gold policy after reviewers' saves ---------------------------------------------------


@dataclass(frozen=True)
class StoredGold:
    """What the policy needs to know of a sentence's current gold."""

    source: str
    annotation_id: int | None
    from_annotations: tuple[int, ...]
    draft: Draft

    @classmethod
    def of(cls, gold: Gold) -> StoredGold:
        """The policy's view of a stored gold row."""
        return cls(
            source=gold.source,
            annotation_id=gold.annotation_id,
            from_annotations=tuple(gold.from_annotations),
            draft=Draft.from_rows(gold.entities, gold.events, gold.categories),
        )


@dataclass(frozen=True)
class PutGold:
    """The policy's answer: this is the sentence's gold (source "accepted")."""

    draft: Draft
    annotation_id: int
    decided_by: int
    from_annotations: tuple[int, ...]


@dataclass(frozen=True)
class RemoveGold:
    """The policy's answer: the sentence's accepted gold no longer stands."""


def gold_change(
    versions: Sequence[Version],
    *,
    saved_id: int,
    gold: StoredGold | None,
    settings: Settings,
) -> PutGold | RemoveGold | None:
    """What a reviewer's save (of annotation ``saved_id``) does to its sentence's gold, given
    every decided version of the sentence; None: nothing changes."""
    if gold is not None and gold.source != "accepted":
        return None
    saved = next((v for v in versions if v.annotation_id == saved_id), None)
    wanted: PutGold | None
    if settings.overlap <= 1:
        if saved is None or saved.status != "accept":
            # Someone else's accepted gold stands; only its own reviewer's change removes it.
            drop = gold is not None and gold.annotation_id == saved_id
            return RemoveGold() if drop else None
        wanted = PutGold(saved.draft, saved.annotation_id, saved.reviewer_id, (saved_id,))
    else:
        accepted = [v for v in versions if v.status == "accept"]
        if (
            settings.auto_gold
            and len(accepted) >= settings.overlap
            and len(accepted) == len(versions)
            and compare(accepted).agreed
        ):
            last = saved if saved in accepted else accepted[-1]
            assert last is not None
            wanted = PutGold(
                last.draft,
                last.annotation_id,
                last.reviewer_id,
                tuple(sorted(v.annotation_id for v in accepted)),
            )
        else:
            return RemoveGold() if gold is not None else None
    if (
        gold is not None
        and gold.draft.rows() == wanted.draft.rows()
        and gold.from_annotations == wanted.from_annotations
        and gold.annotation_id == wanted.annotation_id
    ):
        return None
    return wanted


def settle_gold(*, session: Session, sentence_id: int, saved_id: int, settings: Settings) -> None:
    """Apply the gold policy after a reviewer saved (or undid) annotation ``saved_id``.

    Decisions on one sentence take turns (its row is locked), and every write is conditional
    on the gold being as read: an adjudication that lands meanwhile is never overwritten.
    """
    repository.lock_sentence(session=session, sentence_id=sentence_id)
    versions = versions_of(session=session, sentence_id=sentence_id)
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    change = gold_change(
        versions,
        saved_id=saved_id,
        gold=None if gold is None else StoredGold.of(gold),
        settings=settings,
    )
    if change is None:
        return
    if isinstance(change, RemoveGold):
        assert gold is not None
        done = repository.delete_gold_if_version(
            session=session, sentence_id=sentence_id, version=gold.version, source="accepted"
        )
    else:
        now = utc_now()
        values: dict[str, Any] = {
            "source": "accepted",
            "annotation_id": change.annotation_id,
            "decided_by": change.decided_by,
            "from_annotations": list(change.from_annotations),
            "updated_at": now,
            **change.draft.rows(),
        }
        if gold is None:
            done = repository.insert_gold_if_absent(
                session=session,
                values={**values, "sentence_id": sentence_id, "version": 1, "created_at": now},
            )
        else:
            done = repository.update_gold_if_version(
                session=session,
                sentence_id=sentence_id,
                version=gold.version,
                values=values,
                source="accepted",
            )
    if not done:
        log.info("gold of sentence %s changed meanwhile; it stands as it is", sentence_id)
