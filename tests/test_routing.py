"""Routing: each sentence gets ``overlap`` independent annotations; claims keep concurrent
reviewers apart and expire; the next sentence is an indexed query; nothing is lost when many
reviewers submit at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats.records import Record, RecordAnnotation
from annotator.labels import LabelScheme
from annotator.models import (
    Annotation,
    AnnotationVersion,
    Claim,
    Report,
    Sentence,
    Suggestion,
    utc_now,
)
from annotator.workflow import GoldPolicy


def add_sentences(engine: Engine, count: int) -> list[int]:
    """One report of ``count`` one-word sentences, inserted in bulk."""
    text = " ".join("Clash." for _ in range(count))
    with session_scope(engine) as session:
        report_id = repository.insert_report(
            session=session, content_hash=f"r{count}", source="bulk", text=text, meta={}
        )
        repository.insert_sentences(
            session=session,
            rows=[
                {
                    "report_id": report_id,
                    "position": i,
                    "start_char": 7 * i,
                    "end_char": 7 * i + 6,
                    "text": "Clash.",
                    "content_hash": f"h{i}",
                }
                for i in range(count)
            ],
        )
        query = select(Sentence.id).where(Sentence.report_id == report_id).order_by(Sentence.id)
        return [int(i) for i in session.exec(query)]


def reviewers(engine: Engine, *names: str) -> list[int]:
    with session_scope(engine) as session:
        return [int(repository.ensure_reviewer(session=session, name=n).id) for n in names]


def serve(engine: Engine, reviewer_id: int, after_id: int = 0, **kwargs) -> int | None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return workflow.next_sentence_id(
            session=session, reviewer_id=reviewer_id, after_id=after_id, **kwargs
        )


def decide(
    engine: Engine, scheme: LabelScheme, sentence_id: int, reviewer_id: int, status: str = "reject"
) -> None:
    with session_scope(engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status=status,
            draft=workflow.Draft(),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def undo(engine: Engine, reviewer_id: int) -> None:
    with session_scope(engine) as session:
        workflow.undo_last(
            session=session, reviewer_id=reviewer_id, policy=GoldPolicy.of(Settings.from_env())
        )


def counts(engine: Engine) -> list[int]:
    """Each sentence's stored count of deciding reviewers, in order."""
    with session_scope(engine) as session:
        return [int(n) for n in session.exec(select(Sentence.n_annotations).order_by(Sentence.id))]


def test_a_claimed_sentence_is_not_served_beyond_the_overlap(engine):
    first, second, _ = add_sentences(engine, 3)
    ana, ben, cy = reviewers(engine, "ana", "ben", "cy")
    assert serve(engine, ana, overlap=2) == first
    assert serve(engine, ben, overlap=2) == first  # two may work on it at once
    assert serve(engine, cy, overlap=2) == second  # a third would go beyond the overlap
    with session_scope(engine) as session:
        claims = session.exec(select(func.count()).select_from(Claim)).one()
    assert claims == 3  # one live claim per reviewer


def test_deciding_releases_the_claim_and_finished_sentences_are_not_served(engine, scheme):
    first, second = add_sentences(engine, 2)
    ana, ben, cy = reviewers(engine, "ana", "ben", "cy")
    assert serve(engine, ana, overlap=2) == first
    decide(engine, scheme, first, ana)
    assert serve(engine, ben, overlap=2) == first
    decide(engine, scheme, first, ben)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Claim)).one() == 0
    assert serve(engine, cy, overlap=2) == second
    assert serve(engine, ana, after_id=first, overlap=2) == second


def test_an_idle_reviewers_claim_expires(engine):
    (only,) = add_sentences(engine, 1)
    ana, ben, cy = reviewers(engine, "ana", "ben", "cy")
    start = utc_now()
    assert serve(engine, ana, overlap=1, claim_minutes=5, now=start) == only
    assert serve(engine, ben, overlap=1, now=start + timedelta(minutes=4)) is None
    assert serve(engine, cy, overlap=1, now=start + timedelta(minutes=6)) == only


def test_undo_brings_a_finished_sentence_back_to_its_reviewer(engine, scheme):
    (only,) = add_sentences(engine, 1)
    ana, ben = reviewers(engine, "ana", "ben")
    decide(engine, scheme, only, ana)
    decide(engine, scheme, only, ben)
    with session_scope(engine) as session:
        undone = workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
        workflow.hold_sentence(session=session, sentence_id=undone.sentence_id, reviewer_id=ana)
    assert undone.sentence_id == only
    assert serve(engine, ana, overlap=2) == only


def test_a_skip_is_served_to_another_reviewer_and_never_again_to_the_skipper(engine, scheme):
    first, second = add_sentences(engine, 2)
    ana, ben, cy = reviewers(engine, "ana", "ben", "cy")
    assert serve(engine, ana, overlap=1) == first
    decide(engine, scheme, first, ana, "skip")
    # A skip asks someone else: the sentence still needs its one annotation.
    assert counts(engine) == [0, 0]
    assert serve(engine, ben, overlap=1) == first
    assert serve(engine, ana, overlap=1) == second  # never the skipped one again
    decide(engine, scheme, first, ben, "accept")
    assert counts(engine) == [1, 0]
    assert serve(engine, cy, overlap=1) is None  # ana holds the second


def test_only_accepts_and_rejects_count_toward_the_overlap(engine, scheme):
    (only,) = add_sentences(engine, 1)
    ana, ben = reviewers(engine, "ana", "ben")
    decide(engine, scheme, only, ana, "skip")
    assert counts(engine) == [0]
    decide(engine, scheme, only, ana, "accept")  # skip -> accept adds one
    assert counts(engine) == [1]
    decide(engine, scheme, only, ana, "reject")  # a change of mind, not another reviewer
    assert counts(engine) == [1]
    decide(engine, scheme, only, ana, "skip")  # accept -> skip takes it back
    assert counts(engine) == [0]
    decide(engine, scheme, only, ben, "accept")
    assert counts(engine) == [1]
    undo(engine, ana)  # back to ana's reject: counts again
    assert counts(engine) == [2]
    undo(engine, ana)  # back to her accept
    undo(engine, ana)  # back to her first skip
    assert counts(engine) == [1]
    undo(engine, ana)  # ana's skip, gone: it counted for nothing
    assert counts(engine) == [1]
    with session_scope(engine) as session:
        assert repository.count_annotations_of(session=session, sentence_id=only) == 1


def test_progress_counts_decisions_not_skips(engine, scheme):
    first, second, third = add_sentences(engine, 3)
    (ana,) = reviewers(engine, "ana")
    decide(engine, scheme, first, ana, "skip")
    decide(engine, scheme, second, ana, "accept")
    decide(engine, scheme, third, ana, "reject")
    with session_scope(engine) as session:
        assert workflow.progress_of(session=session, reviewer_id=ana) == (2, 3)


def test_sentences_with_imported_gold_are_served_to_nobody(engine, scheme):
    def record(text: str, *, gold: bool) -> Record:
        annotation = RecordAnnotation((), (), (), None, "accept") if gold else None
        return Record(text, "import.jsonl", 1, {}, split=False, annotation=annotation)

    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=[record("Troops clashed in Lashio.", gold=True)],
            scheme=scheme,
            gold=True,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        workflow.import_records(
            session=session,
            records=[record("Police arrested two men.", gold=False)],
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        texts = dict(session.exec(select(Sentence.text, Sentence.id)).all())
    (ana,) = reviewers(engine, "ana")
    # Labelled and checked elsewhere: only the plain sentence is asked for, by either policy.
    assert serve(engine, ana, overlap=1) == texts["Police arrested two men."]
    assert serve(engine, ana, overlap=2) == texts["Police arrested two men."]
    decide(engine, scheme, texts["Police arrested two men."], ana)
    assert serve(engine, ana, overlap=2) is None


def test_the_next_sentence_query_walks_the_routing_index(engine):
    add_sentences(engine, 50)
    (ana,) = reviewers(engine, "ana")
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            repository.routing_plan(session=session, reviewer_id=ana, overlap=2, now=utc_now())
        )
    assert "sentence_routing" in plan, plan
    assert "SCAN sentence\n" not in plan + "\n" and "Seq Scan on sentence" not in plan, plan


@pytest.mark.slow
def test_many_reviewers_submitting_at_once_lose_nothing(engine, scheme):
    """8 reviewers x 50 sentences, overlap 2, all at once: every submission is stored exactly
    once, no sentence gets more than the overlap, and each count matches its rows."""
    sentences = add_sentences(engine, 50)
    team = reviewers(engine, *(f"r{i}" for i in range(8)))
    submitted: dict[int, list[int]] = {r: [] for r in team}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(team))

    def work(reviewer_id: int) -> None:
        try:
            barrier.wait()
            after = 0
            while True:
                found = serve(engine, reviewer_id, after_id=after, overlap=2)
                if found is None:
                    return
                decide(engine, scheme, found, reviewer_id)
                submitted[reviewer_id].append(found)
                after = found
        except BaseException as error:  # reported below, with the thread's reviewer
            errors.append(error)

    threads = [threading.Thread(target=work, args=(r,)) for r in team]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    with session_scope(engine) as session:
        rows = session.exec(select(Annotation.sentence_id, Annotation.reviewer_id)).all()
        versions = session.exec(select(func.count()).select_from(AnnotationVersion)).one()
        counts = dict(session.exec(select(Sentence.id, Sentence.n_annotations)).all())
        per_sentence = dict(
            session.exec(
                select(Annotation.sentence_id, func.count()).group_by(Annotation.sentence_id)
            ).all()
        )
        assert session.exec(select(func.count()).select_from(Report)).one() == 1
    expected = sorted((s, r) for r, done in submitted.items() for s in done)
    assert sorted(rows) == expected  # every submission stored, exactly once
    assert versions == len(expected)
    assert len(expected) == 2 * len(sentences)  # and the work was all done
    assert all(per_sentence[s] == 2 for s in sentences)  # never beyond the overlap
    assert counts == {s: per_sentence[s] for s in sentences}


def score(engine: Engine, figures: dict[int, float]) -> None:
    with session_scope(engine) as session:
        repository.set_uncertainties(session=session, figures=list(figures.items()))


def test_uncertain_routing_serves_the_least_sure_first_and_report_order_among_equals(
    engine, scheme
):
    ids = add_sentences(engine, 6)
    ana, ben = reviewers(engine, "ana", "ben")
    score(engine, {ids[1]: 0.2, ids[2]: 0.9, ids[3]: 0.2, ids[4]: 0.5})
    served = []
    after = 0
    for _ in ids:
        found = serve(engine, ana, after, routing="uncertain", overlap=1)
        assert found is not None
        served.append(found)
        decide(engine, scheme, found, ana)
        after = found
    assert served == [ids[2], ids[4], ids[1], ids[3], ids[0], ids[5]]
    assert serve(engine, ben, routing="uncertain", overlap=1) is None
    # The default stays report order.
    assert serve(engine, ben, overlap=2) == ids[0]


def test_uncertain_routing_respects_claims_overlap_and_the_cursor(engine, scheme):
    ids = add_sentences(engine, 4)
    ana, ben, cy = reviewers(engine, "ana", "ben", "cy")
    score(engine, {ids[3]: 0.8, ids[1]: 0.8})
    # Ana holds the least sure; with an overlap of 1 Ben gets the next one.
    assert serve(engine, ana, routing="uncertain", overlap=1) == ids[1]
    assert serve(engine, ben, routing="uncertain", overlap=1) == ids[3]
    # Passed over (after the cursor) and offered again once the end is reached.
    assert serve(engine, cy, ids[3], routing="uncertain", overlap=1) == ids[0]
    decide(engine, scheme, ids[1], ana)
    assert serve(engine, ana, ids[1], routing="uncertain", overlap=1) == ids[2]


def test_an_unknown_routing_is_refused(engine):
    add_sentences(engine, 1)
    (ana,) = reviewers(engine, "ana")
    with pytest.raises(workflow.AnnotationError, match="unknown routing"):
        serve(engine, ana, routing="random")


def test_the_uncertain_routing_query_walks_its_index(engine):
    ids = add_sentences(engine, 50)
    score(engine, {sentence_id: (i % 7) / 7 for i, sentence_id in enumerate(ids)})
    (ana,) = reviewers(engine, "ana")
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            repository.uncertain_routing_plan(
                session=session, reviewer_id=ana, overlap=2, now=utc_now()
            )
        )
    assert "sentence_uncertain_routing" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.split("\n")[0], plan
    assert "SCAN sentence\n" not in plan + "\n" and "Seq Scan on sentence" not in plan, plan


def test_suggesting_with_uncertainty_stores_a_figure_per_suggestion_and_sentence(engine, suggester):
    with session_scope(engine) as session:
        report_id = repository.insert_report(
            session=session,
            content_hash="u1",
            source="r.txt",
            text="On 3 May 2023, troops shot two civilians in Myaing.",
            meta={},
        )
        repository.insert_sentences(
            session=session,
            rows=[
                {
                    "report_id": report_id,
                    "position": 0,
                    "start_char": 0,
                    "end_char": 51,
                    "text": "On 3 May 2023, troops shot two civilians in Myaing.",
                    "content_hash": "u1",
                }
            ],
        )
    assert workflow.suggest_pending(engine=engine, suggester=suggester, uncertainty=True) == 1
    with session_scope(engine) as session:
        suggested = session.exec(select(Suggestion.uncertainty)).one()
        sentence = session.exec(select(Sentence.uncertainty)).one()
    assert suggested is not None and 0.0 <= suggested <= 1.0
    assert sentence == pytest.approx(suggested)
