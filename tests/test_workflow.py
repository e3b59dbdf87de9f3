"""The annotation loop on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import ImportFailed, read_records
from annotator.labels import LabelScheme
from annotator.models import Annotation, AnnotationVersion, Gold, Sentence
from annotator.spans import Span
from annotator.workflow import GoldPolicy

REPORT = (
    "Fighting broke out in Hpakant on Monday. The Kachin Independence Army said "
    "seven soldiers were killed.\nResidents fled to Myitkyina."
)


@pytest.fixture
def single_reviewer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The single-reviewer policy (overlap 1): an accepted annotation is the gold."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")


def import_text(
    engine: Engine, scheme: LabelScheme, folder: Path, text: str = REPORT, name: str = "report.txt"
) -> workflow.ImportSummary:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    with session_scope(engine) as session:
        return workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def sentence_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]


def reviewer(engine: Engine, name: str = "ana") -> int:
    with session_scope(engine) as session:
        return repository.ensure_reviewer(session=session, name=name).id


def decide(
    engine: Engine,
    scheme: LabelScheme,
    sentence_id: int,
    reviewer_id: int,
    status: str,
    draft: workflow.Draft | None = None,
) -> None:
    with session_scope(engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status=status,
            draft=draft or workflow.Draft(),
            scheme=scheme,
            seconds=3.5,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def test_import_splits_report_into_sentences_with_offsets(engine, scheme, tmp_path):
    summary = import_text(engine, scheme, tmp_path)
    assert (summary.reports, summary.sentences) == (1, 3)
    with session_scope(engine) as session:
        sentences = list(session.exec(select(Sentence).order_by(Sentence.position)))
        report = repository.report_of(session=session, report_id=sentences[0].report_id)
    assert [s.text for s in sentences] == [
        "Fighting broke out in Hpakant on Monday.",
        "The Kachin Independence Army said seven soldiers were killed.",
        "Residents fled to Myitkyina.",
    ]
    for sentence in sentences:
        assert report.text[sentence.start_char : sentence.end_char] == sentence.text
    assert report.n_sentences == 3


def test_reimporting_the_same_report_adds_nothing(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    again = import_text(engine, scheme, tmp_path, name="copy.txt")
    assert (again.reports, again.sentences, again.duplicates) == (0, 0, 1)
    with session_scope(engine) as session:
        assert repository.count_rows(session=session)["sentences"] == 3


def test_a_bad_record_rolls_back_the_whole_import(engine, scheme, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(REPORT, encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": 5}\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        with session_scope(engine) as session:
            workflow.import_records(
                session=session,
                records=read_records([good, bad], scheme=scheme),
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    assert [error.line for error in failed.value.errors] == [2]
    with session_scope(engine) as session:
        assert repository.count_rows(session=session)["reports"] == 0


@pytest.mark.usefixtures("single_reviewer")
def test_accept_makes_gold_and_reject_keeps_annotation_but_not_gold(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    first, second, _ = sentence_ids(engine)
    ana = reviewer(engine)
    kia = workflow.Draft(entities=(Span(4, 28, "ARMED_GROUP"),), categories=("BATTLES",))
    decide(engine, scheme, second, ana, "accept", kia)
    decide(engine, scheme, first, ana, "reject")
    with session_scope(engine) as session:
        gold = repository.gold_of(session=session, sentence_id=second)
        assert gold is not None and gold.source == "accepted"
        assert gold.entities == [{"start": 4, "end": 28, "label": "ARMED_GROUP"}]
        assert gold.categories == ["BATTLES"]
        assert repository.gold_of(session=session, sentence_id=first) is None
        rejected = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana)
        assert rejected is not None and rejected.status == "reject"
        assert rejected.seconds == pytest.approx(3.5)


@pytest.mark.usefixtures("single_reviewer")
def test_changing_a_saved_annotation_keeps_the_earlier_version(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    _, second, _ = sentence_ids(engine)
    ana = reviewer(engine)
    decide(engine, scheme, second, ana, "accept", workflow.Draft(entities=(Span(4, 28, "ORG"),)))
    decide(
        engine,
        scheme,
        second,
        ana,
        "accept",
        workflow.Draft(entities=(Span(4, 28, "ARMED_GROUP"),)),
    )
    with session_scope(engine) as session:
        history = repository.history_of(session=session, sentence_id=second, reviewer_id=ana)
        current = repository.annotation_of(session=session, sentence_id=second, reviewer_id=ana)
        gold = repository.gold_of(session=session, sentence_id=second)
    assert [v.entities[0]["label"] for v in history] == ["ORG", "ARMED_GROUP"]
    assert [v.version for v in history] == [1, 2]
    assert current.version == 2 and current.entities[0]["label"] == "ARMED_GROUP"
    assert gold.entities[0]["label"] == "ARMED_GROUP"


@pytest.mark.usefixtures("single_reviewer")
def test_undo_restores_the_earlier_decision_and_its_gold(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    _, second, _ = sentence_ids(engine)
    ana = reviewer(engine)
    decide(engine, scheme, second, ana, "accept", workflow.Draft(entities=(Span(4, 28, "ORG"),)))
    decide(engine, scheme, second, ana, "reject")
    with session_scope(engine) as session:
        assert repository.gold_of(session=session, sentence_id=second) is None
        undone = workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
    assert undone.sentence_id == second and undone.status == "reject"
    with session_scope(engine) as session:
        current = repository.annotation_of(session=session, sentence_id=second, reviewer_id=ana)
        gold = repository.gold_of(session=session, sentence_id=second)
        history = repository.history_of(session=session, sentence_id=second, reviewer_id=ana)
    assert current.status == "accept" and current.entities[0]["label"] == "ORG"
    assert gold is not None and gold.entities[0]["label"] == "ORG"
    assert len(history) == 2 and history[1].undone_at is not None


def test_undo_of_a_first_decision_serves_the_sentence_again(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    first, second, _ = sentence_ids(engine)
    ana = reviewer(engine)
    decide(engine, scheme, first, ana, "accept", workflow.Draft(categories=("BATTLES",)))
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=ana) == second
        undone = workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
        assert undone.draft.categories == ("BATTLES",)
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=ana) == first
        assert session.exec(select(Annotation)).first() is None
        assert session.exec(select(Gold)).first() is None
        # The undone decision is still on record.
        assert len(session.exec(select(AnnotationVersion)).all()) == 1
    with session_scope(engine) as session:
        assert (
            workflow.undo_last(
                session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
            )
            is None
        )


def test_next_sentence_follows_report_order_per_reviewer(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    first, second, third = sentence_ids(engine)
    ana, ben = reviewer(engine, "ana"), reviewer(engine, "ben")
    decide(engine, scheme, first, ana, "skip")
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=ana) == second
        assert workflow.next_sentence_id(session=session, reviewer_id=ben) == first
        # A skip is not done: it leaves the sentence to others.
        assert workflow.progress_of(session=session, reviewer_id=ana) == (0, 3)
    for sentence_id in (second, third):
        decide(engine, scheme, sentence_id, ana, "accept")
    with session_scope(engine) as session:
        assert workflow.next_sentence_id(session=session, reviewer_id=ana) is None


def test_each_sentence_counts_the_reviewers_who_decided_it(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    first, second, _ = sentence_ids(engine)
    ana, ben = reviewer(engine, "ana"), reviewer(engine, "ben")
    decide(engine, scheme, first, ana, "accept")
    decide(engine, scheme, first, ana, "reject")  # a change, not another reviewer
    decide(engine, scheme, first, ben, "skip")
    decide(engine, scheme, second, ben, "accept")
    with session_scope(engine) as session:
        workflow.undo_last(
            session=session, reviewer_id=ben, policy=GoldPolicy.of(Settings.from_env())
        )

    def counts() -> list[int]:
        with session_scope(engine) as session:
            return [s.n_annotations for s in session.exec(select(Sentence).order_by(Sentence.id))]

    assert counts() == [1, 0, 0]  # ben's skip counts for nothing


@pytest.mark.parametrize(
    ("draft", "reason"),
    [
        (workflow.Draft(entities=(Span(0, 99, "GPE"),)), "out of range"),
        (workflow.Draft(entities=(Span(1, 8, "GPE"),)), "not on token boundaries"),
        (workflow.Draft(entities=(Span(0, 8, "WEAPON"),)), "unknown entity label"),
        (workflow.Draft(events=(Span(0, 8, "PERSON"),)), "unknown event label"),
        (workflow.Draft(entities=(Span(0, 8, "ORG"), Span(0, 14, "GPE"))), "overlap"),
        (workflow.Draft(categories=("WAR",)), "unknown category"),
    ],
)
def test_invalid_decisions_are_refused_and_nothing_is_written(
    engine, scheme, tmp_path, draft, reason
):
    import_text(engine, scheme, tmp_path)
    first = sentence_ids(engine)[0]
    ana = reviewer(engine)
    with pytest.raises(workflow.AnnotationError, match=reason):
        decide(engine, scheme, first, ana, "accept", draft)
    with session_scope(engine) as session:
        counts = repository.count_rows(session=session)
    assert (counts["annotations"], counts["gold"]) == (0, 0)


@pytest.mark.usefixtures("single_reviewer")
def test_events_may_overlap_entities(engine, scheme, tmp_path):
    import_text(engine, scheme, tmp_path)
    second = sentence_ids(engine)[1]
    draft = workflow.Draft(
        entities=(Span(4, 28, "ARMED_GROUP"), Span(34, 39, "CARDINAL")),
        events=(Span(54, 60, "CASUALTIES"), Span(34, 60, "CASUALTIES")),
    )
    decide(engine, scheme, second, reviewer(engine), "accept", draft)
    with session_scope(engine) as session:
        assert len(repository.gold_of(session=session, sentence_id=second).events) == 2


@pytest.mark.usefixtures("single_reviewer")
def test_imported_annotations_belong_to_their_annotator_and_accepted_ones_are_gold(
    engine, scheme, tmp_path
):
    path = tmp_path / "done.jsonl"
    text = "Troops arrested U Tin Oo."
    accepted = {
        "text": text,
        "spans": [{"start": 16, "end": 24, "label": "PERSON"}],
        "events": [{"start": 7, "end": 15, "label": "ARREST"}],
        "accept": ["STRATEGIC_DEVELOPMENTS"],
        "_annotator_id": "mya",
        "answer": "accept",
    }
    rejected = {"text": text, "_annotator_id": "zaw", "answer": "reject"}
    path.write_text(json.dumps(accepted) + "\n" + json.dumps(rejected) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        summary = workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    assert (summary.reports, summary.duplicates, summary.annotations, summary.gold) == (1, 1, 2, 1)
    with session_scope(engine) as session:
        (sentence,) = session.exec(select(Sentence)).all()
        mya = repository.reviewer_named(session=session, name="mya")
        annotation = repository.annotation_of(
            session=session, sentence_id=sentence.id, reviewer_id=mya.id
        )
        gold = repository.gold_of(session=session, sentence_id=sentence.id)
    assert annotation.events == [{"start": 7, "end": 15, "label": "ARREST"}]
    assert gold.entities == [{"start": 16, "end": 24, "label": "PERSON"}]


@pytest.mark.slow
def test_suggestions_are_stored_once_per_model_version(engine, scheme, tmp_path, suggester):
    import_text(engine, scheme, tmp_path)
    seen: list[tuple[int, int]] = []
    stored = workflow.suggest_pending(
        engine=engine, suggester=suggester, batch_size=2, progress=lambda d, t: seen.append((d, t))
    )
    assert stored == 3 and seen[-1] == (3, 3)
    assert workflow.suggest_pending(engine=engine, suggester=suggester) == 0
    with session_scope(engine) as session:
        second = sentence_ids(engine)[1]
        suggestion = repository.latest_suggestion(session=session, sentence_id=second)
    assert suggestion.model_name == suggester.model_name
    assert suggestion.model_version == suggester.model_version
    assert {"start": 4, "end": 28, "label": "ARMED_GROUP"} in suggestion.entities
