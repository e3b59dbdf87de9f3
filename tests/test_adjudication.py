"""Adjudication: comparing reviewers' versions, the queue, adjudicated gold with optimistic
concurrency, and the gold policy, on SQLite and PostgreSQL, with racing threads."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import config, repository, workflow
from annotator.comparison import Version, compare
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import Annotation, AnnotationVersion, Gold, Sentence, utc_now
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy, adjudicating, exporting, training
from annotator.workflow.gold import (
    PutGold,
    RemoveGold,
    StaleGold,
    StoredGold,
    gold_change,
)

GROUP = Span(4, 28, "ARMED_GROUP")  # "Kachin Independence Army" in every sentence below
ORG = Span(4, 28, "ORG")
AS_GROUP = Draft(entities=(GROUP,), categories=("BATTLES",))
AS_ORG = Draft(entities=(ORG,), categories=("BATTLES",))
CATEGORIES = (
    "BATTLES",
    "EXPLOSIONS_REMOTE_VIOLENCE",
    "VIOLENCE_AGAINST_CIVILIANS",
    "STRATEGIC_DEVELOPMENTS",
)


def draft_for(index: int) -> Draft:
    """A draft that differs from every other index's: an adjudicator's own decision."""
    label = GROUP if index % 2 == 0 else ORG
    return Draft(entities=(label,), categories=(CATEGORIES[index % len(CATEGORIES)],))


@pytest.fixture
def overlap_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two reviewers per sentence, agreeing ones make gold (set explicitly, not by default)."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    monkeypatch.setenv("ANNOTATOR_AUTO_GOLD", "1")


def import_sentences(engine: Engine, scheme: LabelScheme, folder: Path, n: int) -> list[int]:
    lines = [f"The Kachin Independence Army said {k} soldiers were killed." for k in range(n)]
    path = folder / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]


def person(engine: Engine, name: str, role: str = "annotator") -> int:
    with session_scope(engine) as session:
        return repository.ensure_reviewer(session=session, name=name, role=role).id


def save(
    engine: Engine,
    scheme: LabelScheme,
    sentence_id: int,
    reviewer_id: int,
    draft: Draft = AS_GROUP,
    status: str = "accept",
) -> int:
    with session_scope(engine) as session:
        annotation = workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status=status,
            draft=draft,
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        return annotation.id


def gold(engine: Engine, sentence_id: int) -> Gold | None:
    with session_scope(engine) as session:
        return repository.gold_of(session=session, sentence_id=sentence_id)


def repository_annotation(engine: Engine, sentence_id: int, reviewer_id: int) -> int:
    """The id of a reviewer's annotation of a sentence."""
    with session_scope(engine) as session:
        annotation = repository.annotation_of(
            session=session, sentence_id=sentence_id, reviewer_id=reviewer_id
        )
        return annotation.id


def adjudicate(
    engine: Engine,
    scheme: LabelScheme,
    sentence_id: int,
    adjudicator_id: int,
    draft: Draft,
    expected_version: int | None,
    from_annotations: tuple[int, ...] = (),
) -> Gold:
    with session_scope(engine) as session:
        return adjudicating.adjudicate(
            session=session,
            sentence_id=sentence_id,
            adjudicator_id=adjudicator_id,
            draft=draft,
            from_annotations=from_annotations,
            expected_version=expected_version,
            scheme=scheme,
        )


def version(annotation_id: int, draft: Draft, status: str = "accept") -> Version:
    return Version(annotation_id, annotation_id, f"r{annotation_id}", status, draft)


# --- compare and the policy (pure) -----------------------------------------------------------


def test_compare_shows_who_marked_each_span_and_category():
    ana = version(1, Draft(entities=(GROUP,), events=(Span(50, 56, "CASUALTIES"),)))
    ben = version(2, Draft(entities=(ORG,), categories=("BATTLES",)))
    cat = version(3, Draft(entities=(GROUP,), categories=("BATTLES",)))
    comparison = compare([ana, ben, cat])
    assert [(v.layer, v.span, set(v.annotation_ids), v.unanimous) for v in comparison.spans] == [
        ("entities", GROUP, {1, 3}, False),
        ("entities", ORG, {2}, False),
        ("events", Span(50, 56, "CASUALTIES"), {1}, False),
    ]
    assert [(v.category, set(v.annotation_ids)) for v in comparison.categories] == [
        ("BATTLES", {2, 3})
    ]
    assert comparison.categories_of(1) == () and comparison.categories_of(3) == ("BATTLES",)
    assert [v.span for v in comparison.spans_of(3, "entities")] == [GROUP]
    assert not comparison.agreed and 0 < comparison.score < 1
    assert comparison.majority_draft() == Draft(entities=(GROUP,), categories=("BATTLES",))


def test_agreeing_versions_score_zero_and_a_reject_against_an_accept_scores_one():
    same = compare([version(1, AS_GROUP), version(2, AS_GROUP)])
    assert same.agreed and same.score == 0.0
    assert all(vote.unanimous for vote in same.spans + same.categories)
    split = compare([version(1, AS_GROUP), version(2, Draft(), status="reject")])
    assert not split.agreed and split.score == 1.0
    # An empty accept and a reject say different things.
    assert not compare([version(1, Draft()), version(2, Draft(), status="reject")]).agreed


def test_gold_policy_by_overlap_and_auto_gold():
    base = GoldPolicy(overlap=2, auto_gold=True)
    ana, ben = version(1, AS_GROUP), version(2, AS_GROUP)
    put = gold_change([ana, ben], saved_id=2, gold=None, policy=base)
    assert put == PutGold(AS_GROUP, 2, 2, (1, 2))
    assert gold_change([ana], saved_id=1, gold=None, policy=base) is None
    stored = StoredGold("accepted", 2, (1, 2), AS_GROUP)
    assert gold_change([ana, ben], saved_id=1, gold=stored, policy=base) == PutGold(
        AS_GROUP, 1, 1, (1, 2)
    )
    assert gold_change([ana, version(2, AS_ORG)], saved_id=2, gold=stored, policy=base) == (
        RemoveGold()
    )
    off = replace(base, auto_gold=False)
    assert gold_change([ana, ben], saved_id=2, gold=None, policy=off) is None
    adjudicated = StoredGold("adjudicated", None, (1, 2), AS_ORG)
    assert gold_change([ana, ben], saved_id=2, gold=adjudicated, policy=base) is None
    single = replace(base, overlap=1)
    assert gold_change([ana], saved_id=1, gold=None, policy=single) == PutGold(AS_GROUP, 1, 1, (1,))
    rejected = version(1, Draft(), status="reject")
    mine = StoredGold("accepted", 1, (1,), AS_GROUP)
    assert gold_change([rejected], saved_id=1, gold=mine, policy=single) == RemoveGold()
    theirs = StoredGold("accepted", 2, (2,), AS_GROUP)
    assert gold_change([rejected, ben], saved_id=1, gold=theirs, policy=single) is None


# --- the gold policy on a database -------------------------------------------------------------


@pytest.mark.usefixtures("overlap_two")
def test_agreeing_reviewers_make_gold_and_disagreeing_ones_take_it_away(engine, scheme, tmp_path):
    first, second = import_sentences(engine, scheme, tmp_path, 2)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    a = save(engine, scheme, first, ana)
    assert gold(engine, first) is None  # one reviewer of two is not yet gold
    b = save(engine, scheme, first, ben)
    made = gold(engine, first)
    assert made.source == "accepted" and made.from_annotations == [a, b]
    assert made.entities == [GROUP.to_dict()] and made.version == 1
    save(engine, scheme, first, ben, AS_ORG)
    assert gold(engine, first) is None
    save(engine, scheme, first, ben, AS_GROUP)
    assert gold(engine, first).from_annotations == [a, b]
    # A reject among the reviewers is a disagreement, too.
    save(engine, scheme, second, ana)
    save(engine, scheme, second, ben, Draft(), status="reject")
    assert gold(engine, second) is None


def test_with_auto_gold_off_only_an_adjudicator_makes_gold(engine, scheme, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    monkeypatch.setenv("ANNOTATOR_AUTO_GOLD", "false")
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    save(engine, scheme, first, person(engine, "ana"))
    save(engine, scheme, first, person(engine, "ben"))
    assert gold(engine, first) is None


@pytest.mark.usefixtures("overlap_two")
def test_adjudicated_gold_is_never_replaced_by_reviewers(engine, scheme, tmp_path):
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    judge = person(engine, "judge", "adjudicator")
    a = save(engine, scheme, first, ana, AS_GROUP)
    save(engine, scheme, first, ben, AS_ORG)
    with session_scope(engine) as session:
        adjudicating.take_version(
            session=session, annotation_id=a, adjudicator_id=judge, expected_version=None,
            scheme=scheme,
        )  # fmt: skip
    save(engine, scheme, first, ben, AS_GROUP)  # now they agree
    save(engine, scheme, first, ana, AS_ORG)  # and now they do not
    save(engine, scheme, first, ana, Draft(), status="reject")
    with session_scope(engine) as session:
        workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
        workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
        workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )  # ana's first decision, gone
    kept = gold(engine, first)
    assert (kept.source, kept.version, kept.decided_by) == ("adjudicated", 1, judge)
    assert kept.entities == [GROUP.to_dict()]


# --- the queue ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("overlap_two")
def test_queue_lists_disagreements_in_order_and_pages(engine, scheme, tmp_path):
    ids = import_sentences(engine, scheme, tmp_path, 7)
    agree, split, single, split_again, rejected, decided, skipped = ids
    ana, ben = person(engine, "ana"), person(engine, "ben")
    judge = person(engine, "judge", "adjudicator")
    for sentence_id in ids:
        save(engine, scheme, sentence_id, ana)
    for sentence_id in (agree,):
        save(engine, scheme, sentence_id, ben)
    for sentence_id in (split, split_again, decided):
        save(engine, scheme, sentence_id, ben, AS_ORG)
    save(engine, scheme, rejected, ben, Draft(), status="reject")
    save(engine, scheme, skipped, ben, Draft(), status="skip")
    adjudicate(engine, scheme, decided, judge, AS_GROUP, None)

    def queue(**options: object) -> list[int]:
        with session_scope(engine) as session:
            return [
                item.sentence_id
                for item in adjudicating.disagreement_queue(session=session, **options)
            ]

    assert queue() == [split, split_again, rejected]
    assert queue(limit=2) == [split, split_again]
    assert queue(limit=2, after_id=split_again) == [rejected]
    assert queue(after_id=rejected) == []
    assert queue(only_disagreements=False) == [split, split_again, rejected]  # agree has gold
    assert queue(only_disagreements=False, include_gold=True) == [
        agree, split, split_again, rejected, decided,
    ]  # fmt: skip
    with session_scope(engine) as session:
        items = adjudicating.disagreement_queue(
            session=session, only_disagreements=False, include_gold=True, limit=100
        )
    by_id = {item.sentence_id: item for item in items}
    assert by_id[agree].score == 0.0 and by_id[agree].has_gold
    assert by_id[split].n_reviewers == 2 and not by_id[split].has_gold
    assert 0 < by_id[split].score < 1 and by_id[rejected].score == 1.0
    assert by_id[split].text.startswith("The Kachin Independence Army")


@pytest.mark.usefixtures("overlap_two")
def test_queue_pages_past_long_runs_of_agreement(engine, scheme, tmp_path):
    ids = import_sentences(engine, scheme, tmp_path, 120)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    judge = person(engine, "judge", "adjudicator")
    for sentence_id in ids:
        save(engine, scheme, sentence_id, ana)
        disagree = sentence_id in (ids[3], ids[110], ids[119])
        save(engine, scheme, sentence_id, ben, AS_ORG if disagree else AS_GROUP)
        if sentence_id == ids[110]:
            adjudicate(engine, scheme, sentence_id, judge, AS_GROUP, None)
    with session_scope(engine) as session:
        first = adjudicating.disagreement_queue(session=session, limit=1, only_disagreements=True)
        rest = adjudicating.disagreement_queue(
            session=session, limit=5, after_id=first[-1].sentence_id, include_gold=True
        )
    assert [item.sentence_id for item in first] == [ids[3]]
    assert [item.sentence_id for item in rest] == [ids[110], ids[119]]


# --- adjudicating -------------------------------------------------------------------------------


@pytest.mark.usefixtures("overlap_two")
def test_adjudication_stores_who_decided_and_from_which_annotations(engine, scheme, tmp_path):
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    a = save(engine, scheme, first, person(engine, "ana"), AS_GROUP)
    b = save(engine, scheme, first, person(engine, "ben"), AS_ORG)
    judge = person(engine, "judge", "adjudicator")
    decided = Draft(entities=(GROUP,), categories=("VIOLENCE_AGAINST_CIVILIANS",))
    returned = adjudicate(engine, scheme, first, judge, decided, None, (b, a, a))
    stored = gold(engine, first)
    assert returned.id == stored.id and stored.version == 1
    assert (stored.source, stored.decided_by, stored.from_annotations) == (
        "adjudicated",
        judge,
        [a, b],
    )
    assert stored.entities == [GROUP.to_dict()]
    assert stored.categories == ["VIOLENCE_AGAINST_CIVILIANS"]
    with session_scope(engine) as session:
        versions = adjudicating.versions_of(session=session, sentence_id=first)
    assert [(v.reviewer, v.draft) for v in versions] == [("ana", AS_GROUP), ("ben", AS_ORG)]


@pytest.mark.usefixtures("overlap_two")
def test_taking_a_version_copies_it_and_a_reject_cannot_be_taken(engine, scheme, tmp_path):
    first, second = import_sentences(engine, scheme, tmp_path, 2)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    judge = person(engine, "judge", "admin")
    a = save(engine, scheme, first, ana, AS_GROUP)
    b = save(engine, scheme, first, ben, AS_ORG)
    with session_scope(engine) as session:
        taken = adjudicating.take_version(
            session=session, annotation_id=b, adjudicator_id=judge, expected_version=None,
            scheme=scheme, from_annotations=[a],
        )  # fmt: skip
    assert taken.entities == [ORG.to_dict()] and taken.from_annotations == [a, b]
    refused = save(engine, scheme, second, ana, Draft(), status="reject")
    with pytest.raises(adjudicating.AdjudicationError, match="not an accepted version"):
        with session_scope(engine) as session:
            adjudicating.take_version(
                session=session, annotation_id=refused, adjudicator_id=judge,
                expected_version=None, scheme=scheme,
            )  # fmt: skip


@pytest.mark.usefixtures("overlap_two")
def test_adjudication_checks_the_draft_the_adjudicator_and_the_sources(engine, scheme, tmp_path):
    first, second = import_sentences(engine, scheme, tmp_path, 2)
    ana = person(engine, "ana")
    judge = person(engine, "judge", "adjudicator")
    other = save(engine, scheme, second, ana)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: adjudicate(engine, scheme, first, ana, AS_GROUP, None), "may not adjudicate"),
        (
            lambda: adjudicate(engine, scheme, first, judge, AS_GROUP, None, (other,)),
            "not an annotation of sentence",
        ),
        (
            lambda: adjudicate(
                engine, scheme, first, judge, Draft(entities=(Span(1, 8, "GPE"),)), None
            ),
            "not on token boundaries",
        ),  # fmt: skip
    ]
    for attempt, message in cases:
        with pytest.raises(workflow.AnnotationError, match=message):
            attempt()
    assert gold(engine, first) is None


@pytest.mark.usefixtures("overlap_two")
def test_a_stale_save_is_refused_naming_who_saved_and_when(engine, scheme, tmp_path):
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    save(engine, scheme, first, person(engine, "ana"), AS_GROUP)
    save(engine, scheme, first, person(engine, "ben"), AS_ORG)
    maria = person(engine, "maria", "adjudicator")
    tom = person(engine, "tom", "adjudicator")
    adjudicate(engine, scheme, first, maria, AS_GROUP, None)
    with pytest.raises(StaleGold) as refused:
        adjudicate(engine, scheme, first, tom, AS_ORG, None)  # tom saw no gold
    message = str(refused.value)
    assert "maria" in message and "adjudication" in message and "version 1" in message
    assert "UTC" in message and "not saved" in message
    assert refused.value.current_version == 1 and refused.value.saved_by == "maria"
    assert gold(engine, first).decided_by == maria
    # Having seen version 1, tom may change it; maria, still at version 1, may not.
    assert adjudicate(engine, scheme, first, tom, AS_ORG, 1).version == 2
    with pytest.raises(StaleGold, match="tom"):
        adjudicate(engine, scheme, first, maria, Draft(), 1)
    stored = gold(engine, first)
    assert (stored.version, stored.decided_by, stored.entities) == (2, tom, [ORG.to_dict()])


@pytest.mark.usefixtures("overlap_two")
def test_an_adjudicator_who_saw_agreement_gold_is_refused_once_it_is_gone(engine, scheme, tmp_path):
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    ben = person(engine, "ben")
    save(engine, scheme, first, person(engine, "ana"))
    save(engine, scheme, first, ben)
    seen = gold(engine, first)
    assert seen.source == "accepted"
    save(engine, scheme, first, ben, AS_ORG)  # the agreement, and its gold, are gone
    judge = person(engine, "judge", "adjudicator")
    with pytest.raises(StaleGold, match="removed"):
        adjudicate(engine, scheme, first, judge, AS_GROUP, seen.version)


# --- rejecting a sentence ----------------------------------------------------------------------


def reject(
    engine: Engine,
    sentence_id: int,
    adjudicator_id: int,
    expected_version: int | None,
    from_annotations: tuple[int, ...] = (),
) -> Gold:
    with session_scope(engine) as session:
        return adjudicating.reject_sentence(
            session=session,
            sentence_id=sentence_id,
            adjudicator_id=adjudicator_id,
            from_annotations=from_annotations,
            expected_version=expected_version,
        )


@pytest.mark.usefixtures("overlap_two")
def test_a_rejected_sentence_is_decided_and_left_out_of_export_and_training(
    engine, scheme, tmp_path
):
    kept, junk = import_sentences(engine, scheme, tmp_path, 2)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    judge = person(engine, "judge", "adjudicator")
    for sentence_id in (kept, junk):
        save(engine, scheme, sentence_id, ana, AS_GROUP)
        save(engine, scheme, sentence_id, ben, AS_ORG)
    adjudicate(engine, scheme, kept, judge, AS_GROUP, None)
    a = repository_annotation(engine, junk, ana)
    rejected = reject(engine, junk, judge, None, (a,))
    stored = gold(engine, junk)
    assert (stored.status, stored.source, stored.decided_by) == ("reject", "adjudicated", judge)
    assert rejected.version == stored.version == 1 and stored.from_annotations == [a]
    assert (stored.entities, stored.events, stored.categories) == ([], [], [])
    with session_scope(engine) as session:
        # The queue shows it as decided: it leaves the work left, and is marked with gold.
        assert adjudicating.disagreement_queue(session=session) == []
        listed = adjudicating.disagreement_queue(session=session, include_gold=True)
        assert [(i.sentence_id, i.has_gold, i.rejected) for i in listed] == [
            (kept, True, False),
            (junk, True, True),
        ]
        records = list(workflow.export_records(session=session))
        assert [r.text for r in records] == [repository.get_sentence(
            session=session, sentence_id=kept
        ).text]  # fmt: skip
        assert len(workflow.export_report_keys(session=session)) == 1
        counts = exporting.export_counts(session=session)
        assert (counts.gold, counts.rejected) == (1, 1)
        stats = repository.count_rows(session=session)
        assert (stats["gold"], stats["rejected"]) == (1, 1)
        assert [g["text"] for g in exporting.gold_records(session=session)] == [records[0].text]
        assert training.models_overview(session=session).gold == 1
        summary = exporting.write_export(
            exporting.ExportChoice(format="jsonl"),
            session=session,
            scheme=scheme,
            output=tmp_path / "gold.jsonl",
        )
    assert summary == "1 gold record(s); 1 rejected sentence(s) left out"
    assert len((tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.usefixtures("overlap_two")
def test_a_rejected_sentence_is_served_to_nobody_and_reviewers_cannot_undo_it(
    engine, scheme, tmp_path
):
    (junk,) = import_sentences(engine, scheme, tmp_path, 1)
    ana, cy = person(engine, "ana"), person(engine, "cy")
    judge = person(engine, "judge", "adjudicator")
    save(engine, scheme, junk, ana, AS_GROUP)  # one reviewer of two: it still needs another
    reject(engine, junk, judge, None)
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=cy, overlap=2) is None
    save(engine, scheme, junk, ana, AS_ORG)
    undo(engine, ana)
    undo(engine, ana)
    stored = gold(engine, junk)
    assert (stored.status, stored.version, stored.decided_by) == ("reject", 1, judge)


@pytest.mark.usefixtures("overlap_two")
def test_a_reject_is_checked_like_an_adjudication_and_may_be_changed_by_one(
    engine, scheme, tmp_path
):
    (junk,) = import_sentences(engine, scheme, tmp_path, 1)
    ana = person(engine, "ana")
    maria, tom = person(engine, "maria", "adjudicator"), person(engine, "tom", "admin")
    save(engine, scheme, junk, ana, AS_GROUP)
    with pytest.raises(adjudicating.AdjudicationError, match="may not adjudicate"):
        reject(engine, junk, ana, None)
    with pytest.raises(workflow.AnnotationError, match="does not exist"):
        reject(engine, 999, maria, None)
    assert gold(engine, junk) is None
    reject(engine, junk, maria, None)
    with pytest.raises(StaleGold, match="maria"):
        reject(engine, junk, tom, None)  # tom saw no gold: refused, nothing written
    # Having seen the reject, tom decides the sentence is fit after all: gold again.
    changed = adjudicate(engine, scheme, junk, tom, AS_GROUP, 1)
    assert (changed.status, changed.version, changed.decided_by) == ("accept", 2, tom)
    with session_scope(engine) as session:
        assert [r.text for r in workflow.export_records(session=session)] != []


# --- adjudicators' claims ------------------------------------------------------------------------


def queue_of(engine: Engine, adjudicator_id: int, **options: object) -> list[int]:
    with session_scope(engine) as session:
        return [
            item.sentence_id
            for item in adjudicating.disagreement_queue(
                session=session, adjudicator_id=adjudicator_id, **options
            )
        ]


def open_sentence(
    engine: Engine, sentence_id: int, adjudicator_id: int, **options: object
) -> list[str]:
    with session_scope(engine) as session:
        return adjudicating.open_for_adjudication(
            session=session, sentence_id=sentence_id, adjudicator_id=adjudicator_id, **options
        )


@pytest.mark.usefixtures("overlap_two")
def test_a_sentence_an_adjudicator_opened_is_not_in_anothers_queue(engine, scheme, tmp_path):
    first, second = import_sentences(engine, scheme, tmp_path, 2)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    maria, tom = person(engine, "maria", "adjudicator"), person(engine, "tom", "adjudicator")
    for sentence_id in (first, second):
        save(engine, scheme, sentence_id, ana, AS_GROUP)
        save(engine, scheme, sentence_id, ben, AS_ORG)
    start = utc_now()
    assert open_sentence(engine, first, maria, now=start) == []
    assert queue_of(engine, tom, now=start) == [second]  # maria is on the first
    assert queue_of(engine, maria, now=start) == [first, second]  # her own claim does not hide it
    # Opening it anyway (a link) claims it too, and names who else has it open.
    assert open_sentence(engine, first, tom, now=start) == ["maria"]
    # Opening another sentence lets the first go; so does a decision, and so does time.
    open_sentence(engine, second, tom, now=start)
    assert queue_of(engine, maria, now=start) == [first]
    adjudicate(engine, scheme, second, tom, AS_GROUP, None)
    assert queue_of(engine, maria, now=start, include_gold=True) == [first, second]
    later = start + timedelta(minutes=config.DEFAULT_CLAIM_MINUTES + 1)
    assert queue_of(engine, tom, now=later) == [first]


@pytest.mark.usefixtures("overlap_two")
def test_opening_a_sentence_still_being_annotated_leaves_it_to_the_annotators(
    engine, scheme, tmp_path
):
    (first,) = import_sentences(engine, scheme, tmp_path, 1)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    maria = person(engine, "maria", "adjudicator")
    save(engine, scheme, first, ana, AS_GROUP)  # one of the two annotations it needs
    open_sentence(engine, first, maria)  # a link opens it on the adjudicate page
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=ben, overlap=2) == first


# --- concurrency -------------------------------------------------------------------------------


def run_threads(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run every worker in its own thread, all released at once; the errors they raised."""
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # noqa: B036 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def race_adjudicators(
    engine: Engine,
    scheme: LabelScheme,
    sentences: list[int],
    judges: list[int],
    expected: int | None,
) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Every judge adjudicates every sentence at once, having seen gold ``expected``:
    (sentence, judge index, gold version) of the saves that won, and the sentences refused."""
    wins: list[tuple[int, int, int]] = []
    stale: list[int] = []

    def work(index: int, judge: int) -> Callable[[], None]:
        def attempt() -> None:
            for sentence_id in sentences:
                try:
                    saved = adjudicate(
                        engine, scheme, sentence_id, judge, draft_for(index), expected
                    )
                except StaleGold:
                    stale.append(sentence_id)
                else:
                    wins.append((sentence_id, index, saved.version))

        return attempt

    errors = run_threads([work(index, judge) for index, judge in enumerate(judges)])
    assert errors == []
    return wins, stale


@pytest.mark.usefixtures("overlap_two")
def test_racing_adjudicators_win_once_per_sentence_and_version(engine, scheme, tmp_path):
    sentences = import_sentences(engine, scheme, tmp_path, 6)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    for sentence_id in sentences:
        save(engine, scheme, sentence_id, ana, AS_GROUP)
        save(engine, scheme, sentence_id, ben, AS_ORG)
    judges = [person(engine, f"judge{i}", "adjudicator") for i in range(6)]
    for round_, expected in enumerate([None, 1, 2]):
        wins, stale = race_adjudicators(engine, scheme, sentences, judges, expected)
        assert Counter(sentence_id for sentence_id, _, _ in wins) == dict.fromkeys(sentences, 1)
        assert Counter(stale) == dict.fromkeys(sentences, len(judges) - 1)
        for sentence_id, index, saved_version in wins:
            stored = gold(engine, sentence_id)
            assert saved_version == stored.version == round_ + 1
            assert stored.decided_by == judges[index] and stored.source == "adjudicated"
            assert Draft.from_rows(stored.entities, stored.events, stored.categories) == (
                draft_for(index)
            )


@pytest.mark.usefixtures("overlap_two")
def test_submissions_racing_adjudications_lose_nothing(engine, scheme, tmp_path):
    sentences = import_sentences(engine, scheme, tmp_path, 8)
    reviewers = [person(engine, name) for name in ("ana", "ben", "cat", "dan")]
    judges = [person(engine, f"judge{i}", "adjudicator") for i in range(3)]
    agreeing = set(sentences[::2])

    def final_draft(sentence_id: int, index: int) -> Draft:
        return AS_GROUP if sentence_id in agreeing or index % 2 == 0 else AS_ORG

    def review(index: int, reviewer_id: int) -> Callable[[], None]:
        def submit() -> None:
            for sentence_id in sentences:
                save(engine, scheme, sentence_id, reviewer_id, draft_for(index + 1))
                save(engine, scheme, sentence_id, reviewer_id, final_draft(sentence_id, index))

        return submit

    wins: list[tuple[int, int, int]] = []  # (sentence, judge index, gold version saved)
    stale: list[int] = []

    def adjudicate_all(index: int, judge: int) -> Callable[[], None]:
        def attempt() -> None:
            for _ in range(2):
                for sentence_id in sentences:
                    seen = gold(engine, sentence_id)
                    try:
                        saved = adjudicate(
                            engine, scheme, sentence_id, judge, draft_for(index),
                            None if seen is None else seen.version,
                        )  # fmt: skip
                    except StaleGold:
                        stale.append(sentence_id)
                    else:
                        wins.append((sentence_id, index, saved.version))

        return attempt

    errors = run_threads(
        [review(i, r) for i, r in enumerate(reviewers)]
        + [adjudicate_all(i, j) for i, j in enumerate(judges)]
    )
    assert errors == []
    with session_scope(engine) as session:
        annotations = list(session.exec(select(Annotation)))
        history = list(session.exec(select(AnnotationVersion)))
        counts = {s.id: s.n_annotations for s in session.exec(select(Sentence))}
        stored = {g.sentence_id: g for g in session.exec(select(Gold))}
    # Every submission stored exactly once.
    pairs = Counter((a.sentence_id, a.reviewer_id) for a in annotations)
    assert set(pairs) == {(s, r) for s in sentences for r in reviewers}
    assert set(pairs.values()) == {1} and {a.version for a in annotations} == {2}
    assert len(history) == 2 * len(sentences) * len(reviewers)
    assert counts == dict.fromkeys(sentences, len(reviewers))
    # No gold overwritten: each version of a sentence's gold was won once, and the last
    # adjudication stands whatever reviewers saved after it.
    for sentence_id in sentences:
        won = sorted((v, i) for s, i, v in wins if s == sentence_id)
        assert len({v for v, _ in won}) == len(won)
        gold_now = stored.get(sentence_id)
        if won:
            last_version, index = won[-1]
            assert gold_now.source == "adjudicated" and gold_now.version == last_version
            assert gold_now.decided_by == judges[index]
            assert Draft.from_rows(gold_now.entities, gold_now.events, gold_now.categories) == (
                draft_for(index)
            )
        elif sentence_id in agreeing:
            assert gold_now.source == "accepted" and len(gold_now.from_annotations) == 4
        else:
            assert gold_now is None
    assert wins and len(wins) + len(stale) == 2 * len(judges) * len(sentences)


def test_undoing_an_agreeing_first_decision_takes_the_agreement_gold_away(
    engine, scheme, tmp_path, monkeypatch
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    path = tmp_path / "r.txt"
    path.write_text("Troops fled to Bago.", encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        (sentence_id,) = [s.id for s in session.exec(select(Sentence))]
        ana = repository.ensure_reviewer(session=session, name="ana").id
        ben = repository.ensure_reviewer(session=session, name="ben").id
    draft = workflow.Draft(entities=(Span(15, 19, "GPE"),))
    for reviewer_id in (ana, ben):
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=draft,
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    with session_scope(engine) as session:
        assert repository.gold_of(session=session, sentence_id=sentence_id) is not None
        workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
    with session_scope(engine) as session:
        assert repository.gold_of(session=session, sentence_id=sentence_id) is None


# --- saves racing undos (PostgreSQL takes row locks; SQLite has one writer) -------------------


def undo(engine: Engine, reviewer_id: int) -> None:
    with session_scope(engine) as session:
        workflow.undo_last(
            session=session, reviewer_id=reviewer_id, policy=GoldPolicy.of(Settings.from_env())
        )


@pytest.fixture
def postgres_engine(migrated_postgres_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty PostgreSQL database (row locks, deadlock detection)."""
    engine = make_engine(migrated_postgres_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_a_save_racing_an_undo_on_one_sentence_never_deadlocks(
    postgres_engine, scheme, tmp_path, monkeypatch
):
    """ana's first save (count, then gold) and ben's undo of his first decision (his gold, then
    the count) on one sentence, many times over: both lock the sentence first, so neither
    waits for the other in a circle (PostgreSQL would abort one with DeadlockDetected)."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")  # each accept is the gold: both touch it
    engine = postgres_engine
    (sentence_id,) = import_sentences(engine, scheme, tmp_path, 1)
    ana, ben = person(engine, "ana"), person(engine, "ben")
    for round_ in range(40):
        save(engine, scheme, sentence_id, ben)
        errors = run_threads(
            [
                partial(save, engine, scheme, sentence_id, ana, draft_for(round_)),
                partial(undo, engine, ben),
            ]
        )
        assert errors == [], f"round {round_}: {errors}"
        with session_scope(engine) as session:
            annotations = session.exec(select(Annotation)).all()
            stored = repository.gold_of(session=session, sentence_id=sentence_id)
            count = repository.get_sentence(session=session, sentence_id=sentence_id).n_annotations
        assert [a.reviewer_id for a in annotations] == [ana] and count == 1
        assert stored is not None and stored.annotation_id == annotations[0].id
        undo(engine, ana)


@pytest.mark.postgres
def test_a_save_racing_an_undo_of_the_same_reviewer_never_deadlocks(
    postgres_engine, scheme, tmp_path, monkeypatch
):
    """ana in two tabs: a save of her accepted annotation (the annotation, then the gold) and
    an undo of that accept back to her skip (the count, then the annotation), many times over."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    engine = postgres_engine
    (sentence_id,) = import_sentences(engine, scheme, tmp_path, 1)
    ana = person(engine, "ana")
    for round_ in range(40):
        save(engine, scheme, sentence_id, ana, Draft(), status="skip")
        save(engine, scheme, sentence_id, ana, AS_GROUP)
        errors = run_threads(
            [
                partial(save, engine, scheme, sentence_id, ana, draft_for(round_)),
                partial(undo, engine, ana),
            ]
        )
        assert errors == [], f"round {round_}: {errors}"
        with session_scope(engine) as session:
            (annotation,) = session.exec(select(Annotation)).all()
            count = repository.get_sentence(session=session, sentence_id=sentence_id).n_annotations
            stored = repository.gold_of(session=session, sentence_id=sentence_id)
        assert count == int(annotation.status == "accept")
        assert (stored is not None) == (annotation.status == "accept")
        while True:  # back to no annotation for the next round
            with session_scope(engine) as session:
                policy = GoldPolicy.of(Settings.from_env())
                if workflow.undo_last(session=session, reviewer_id=ana, policy=policy) is None:
                    break


@pytest.mark.postgres
def test_an_adjudication_landing_during_an_undo_survives_it(
    postgres_engine, scheme, tmp_path, monkeypatch
):
    """ana's accept is the gold; she undoes it, and between the undo's read of that gold and
    its delete an adjudicator decides the sentence: the undo removes only the gold it read
    (of her annotation, source "accepted"), so the adjudication stands."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    engine = postgres_engine
    (sentence_id,) = import_sentences(engine, scheme, tmp_path, 1)
    ana, judge = person(engine, "ana"), person(engine, "judge", "adjudicator")
    save(engine, scheme, sentence_id, ana, AS_GROUP)
    seen = gold(engine, sentence_id)
    assert seen is not None and seen.source == "accepted"
    delete = repository.delete_gold_if_version
    landed: list[Gold] = []

    def adjudication_first(**kwargs: object) -> bool:
        if not landed:  # another connection, committed before the undo deletes
            errors = run_threads(
                [lambda: landed.append(adjudicate(engine, scheme, sentence_id, judge, AS_ORG, 1))]
            )
            assert errors == []
        return delete(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repository, "delete_gold_if_version", adjudication_first)
    undo(engine, ana)
    assert landed, "the undo never tried to delete the gold"
    kept = gold(engine, sentence_id)
    assert kept is not None and (kept.source, kept.decided_by) == ("adjudicated", judge)
    assert kept.entities == [ORG.to_dict()] and kept.version == 2
    with session_scope(engine) as session:
        assert session.exec(select(Annotation)).all() == []  # the undo itself went through
