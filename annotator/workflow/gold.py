"""Gold: the one writer of a sentence's gold row, and the policy by which reviewers make it.

Every creation, change and removal of gold goes through this module: an import of labelled
records, agreeing reviewers (auto-gold), an adjudicator's decision, and an undo taking back the
decision a gold rested on. Each write is conditional on the gold being as it was read (an
``UPDATE ... WHERE version = :seen``, an ``INSERT`` turned away by the unique ``sentence_id``,
a ``DELETE ... WHERE version = :seen AND source = :source``), so two writers racing on one
sentence never overwrite each other unseen.

The gold policy after a reviewer's save (``settle_gold``), with ``GoldPolicy.overlap``:

* overlap 1: an accepted annotation is its sentence's gold (the single-reviewer policy);
* overlap 2 or more: once at least ``overlap`` reviewers decided and all accepted the same
  version, that version is gold (source "accepted", from their annotations) when
  ``GoldPolicy.auto_gold`` is on; while they disagree (or a reviewer rejected) there is none
  until an adjudicator decides;
* gold that was adjudicated or imported is never changed by a reviewer's save.

An adjudicator's gold has a status: "accept" (the gold), or "reject" (the sentence is unfit to
label: junk, a broken split), which export and training leave out.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session

from annotator import repository
from annotator.comparison import Version, compare
from annotator.config import Settings
from annotator.errors import AnnotatorError
from annotator.models import Gold, utc_now
from annotator.spans import Draft

log = logging.getLogger(__name__)

# An adjudicator's verdict on a sentence: its gold, or unfit to label ("reject").
GoldStatus = Literal["accept", "reject"]


@dataclass(frozen=True)
class GoldPolicy:
    """How reviewers' decisions become gold: how many independent annotations a sentence
    needs, and whether agreeing reviewers make gold without an adjudicator."""

    overlap: int
    auto_gold: bool

    @classmethod
    def of(cls, settings: Settings) -> GoldPolicy:
        """The policy the settings configure."""
        return cls(overlap=settings.overlap, auto_gold=settings.auto_gold)


class StaleGold(AnnotatorError, ValueError):
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


def _write_gold(
    *,
    session: Session,
    sentence_id: int,
    seen_version: int | None,
    values: dict[str, Any],
    now: datetime,
    source: str | None = None,
) -> bool:
    """Write a sentence's gold only if it is still as read: inserted when there was none
    (``seen_version`` None), else updated from ``seen_version`` (and, given ``source``, only
    while it is of that source). False when someone else's write came first."""
    if seen_version is None:
        return repository.insert_gold_if_absent(
            session=session,
            values={**values, "sentence_id": sentence_id, "version": 1, "created_at": now},
        )
    return repository.update_gold_if_version(
        session=session,
        sentence_id=sentence_id,
        version=seen_version,
        values=values,
        source=source,
    )


def versions_of(*, session: Session, sentence_id: int) -> list[Version]:
    """Every reviewer's decided version of a sentence, as stored now, by reviewer name."""
    rows = repository.decided_annotations(session=session, sentence_ids=[sentence_id])
    return [Version.of(annotation, reviewer=name) for annotation, name in rows]


# --- imported gold ----------------------------------------------------------------------------


class GoldConflict(AnnotatorError, ValueError):
    """Imported gold would replace the gold an adjudicator decided; nothing was written."""


def _is_gold(gold: Gold, draft: Draft) -> bool:
    stored = Draft.of(gold)
    return gold.status == "accept" and stored.rows() == draft.rows()


def import_conflict(*, session: Session, gold: Gold, draft: Draft) -> str | None:
    """Why importing ``draft`` as the gold of a sentence whose gold is ``gold`` would overwrite
    an adjudicator's decision, or None: only adjudicated gold that says otherwise is kept."""
    if gold.source != "adjudicated" or _is_gold(gold, draft):
        return None
    who = None
    if gold.decided_by is not None:
        adjudicator = repository.get_reviewer(session=session, reviewer_id=gold.decided_by)
        who = adjudicator.name if adjudicator is not None else None
    return (
        f"the text already has adjudicated gold that differs (by {who or 'an adjudicator'} at "
        f"{_utc_text(gold.updated_at)}); leave the record out, or import with --force to "
        "replace that gold"
    )


def import_gold(*, session: Session, sentence_id: int, draft: Draft, force: bool = False) -> bool:
    """Make an imported (labelled and checked elsewhere) decision the sentence's gold, and
    close the sentence to routing: no reviewer is asked to label it again. Return whether gold
    was written: gold that is already the same is left as it is.

    Adjudicated gold that differs is replaced only with ``force`` (``GoldConflict`` otherwise).
    A stored gold gets a new version, so an adjudicator who read the replaced one cannot save
    over this one.
    """
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    if gold is not None and _is_gold(gold, draft):
        repository.close_sentence(session=session, sentence_id=sentence_id)
        return False
    if gold is not None and not force:
        conflict = import_conflict(session=session, gold=gold, draft=draft)
        if conflict is not None:
            raise GoldConflict(conflict)
    now = utc_now()
    values: dict[str, Any] = {
        "source": "imported",
        # Imported records are accepted ones: a rejected gold they replace becomes an accept.
        "status": "accept",
        "annotation_id": None,
        "decided_by": None,
        "from_annotations": [],
        "updated_at": now,
        **draft.rows(),
    }
    stored = _write_gold(
        session=session,
        sentence_id=sentence_id,
        seen_version=None if gold is None else gold.version,
        values=values,
        now=now,
    )
    if not stored:
        raise _stale(
            session=session,
            sentence_id=sentence_id,
            expected_version=None if gold is None else gold.version,
        )
    repository.close_sentence(session=session, sentence_id=sentence_id)
    return True


def import_gold_rows(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert imported gold for sentences that have none (``sentence_id`` and the draft's
    JSON columns per row), closing those sentences to routing: for building large databases."""
    if not rows:
        return
    now = utc_now()
    repository.insert_gold_rows(
        session=session,
        rows=[
            {
                **row,
                "source": "imported",
                "annotation_id": None,
                "decided_by": None,
                "from_annotations": [],
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ],
    )
    repository.close_sentences(session=session, sentence_ids=[row["sentence_id"] for row in rows])


# --- gold of deleted reports -------------------------------------------------------------------


def discard_gold_of_reports(*, session: Session, report_ids: Collection[int]) -> int:
    """Delete the gold of every sentence of these reports, which are being deleted (the caller
    decided that their gold may go); return how many rows."""
    removed = repository.delete_gold_of_reports(session=session, report_ids=report_ids)
    if removed:
        log.info("deleted the gold of %d sentence(s) with reports %s", removed, sorted(report_ids))
    return removed


# --- adjudicated gold -------------------------------------------------------------------------


def adjudicate_gold(
    *,
    session: Session,
    sentence_id: int,
    adjudicator_id: int,
    draft: Draft,
    from_annotations: Iterable[int],
    expected_version: int | None,
    status: GoldStatus = "accept",
) -> Gold:
    """Store an adjudicator's decision as the sentence's gold (source "adjudicated"), only if
    the gold is still at ``expected_version`` (None: there was none); ``StaleGold`` otherwise,
    with nothing written.

    ``status`` "reject" decides that the sentence is unfit to label (junk, a broken split):
    export and training leave it out, and no reviewer is asked to label it any more.
    """
    now = utc_now()
    values: dict[str, Any] = {
        "source": "adjudicated",
        "status": status,
        "decided_by": adjudicator_id,
        # No single annotation to follow: undoing or changing one must not touch this gold.
        "annotation_id": None,
        "from_annotations": sorted(set(from_annotations)),
        "updated_at": now,
        **draft.rows(),
    }
    stored = _write_gold(
        session=session,
        sentence_id=sentence_id,
        seen_version=expected_version,
        values=values,
        now=now,
    )
    if not stored:
        raise _stale(session=session, sentence_id=sentence_id, expected_version=expected_version)
    if status == "reject":
        repository.close_sentence(session=session, sentence_id=sentence_id)
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    assert gold is not None
    return gold


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


# --- gold after reviewers' saves --------------------------------------------------------------


def remove_gold_of(*, session: Session, sentence_id: int, annotation_id: int) -> None:
    """Remove the accepted gold that rests on one annotation alone (its decision was undone);
    gold that was adjudicated, imported or changed meanwhile stays."""
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    if gold is None or gold.source != "accepted" or gold.annotation_id != annotation_id:
        return
    repository.delete_gold_if_version(
        session=session, sentence_id=sentence_id, version=gold.version, source="accepted"
    )


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
            draft=Draft.of(gold),
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
    policy: GoldPolicy,
) -> PutGold | RemoveGold | None:
    """What a reviewer's save (of annotation ``saved_id``) does to its sentence's gold, given
    every decided version of the sentence; None: nothing changes."""
    if gold is not None and gold.source != "accepted":
        return None
    saved = next((v for v in versions if v.annotation_id == saved_id), None)
    wanted: PutGold | None
    if policy.overlap <= 1:
        if saved is None or saved.status != "accept":
            # Someone else's accepted gold stands; only its own reviewer's change removes it.
            drop = gold is not None and gold.annotation_id == saved_id
            return RemoveGold() if drop else None
        wanted = PutGold(saved.draft, saved.annotation_id, saved.reviewer_id, (saved_id,))
    else:
        accepted = [v for v in versions if v.status == "accept"]
        if (
            policy.auto_gold
            and len(accepted) >= policy.overlap
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


def settle_gold(*, session: Session, sentence_id: int, saved_id: int, policy: GoldPolicy) -> None:
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
        policy=policy,
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
            "status": "accept",
            "annotation_id": change.annotation_id,
            "decided_by": change.decided_by,
            "from_annotations": list(change.from_annotations),
            "updated_at": now,
            **change.draft.rows(),
        }
        done = _write_gold(
            session=session,
            sentence_id=sentence_id,
            seen_version=None if gold is None else gold.version,
            values=values,
            now=now,
            source="accepted",
        )
    if not done:
        log.info("gold of sentence %s changed meanwhile; it stands as it is", sentence_id)
