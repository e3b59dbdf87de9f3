"""Event arguments: validated like spans, stored with a decision and its history, part of gold."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import read_records
from annotator.models import AnnotationVersion, Gold, Sentence
from annotator.spans import Argument, Draft, Span, SpanError, check_draft
from annotator.workflow import GoldPolicy
from annotator.workflow import agreement as team_agreement

TEXT = "On 3 May, junta troops shot two villagers in Kanbalu township."
TROOPS = Span(10, 22, "ARMED_GROUP")
DATE = Span(3, 8, "DATE")
TWO = Span(28, 31, "CARDINAL")
KANBALU = Span(45, 61, "GPE")
SHOT = Span(23, 27, "ATTACK_ON_CIVILIANS")


def draft(*arguments: Argument) -> Draft:
    return Draft(
        entities=(DATE, TROOPS, TWO, KANBALU),
        events=(SHOT,),
        categories=("VIOLENCE_AGAINST_CIVILIANS",),
        arguments=tuple(arguments),
    )


def test_the_spans_of_the_example_are_what_they_say():
    assert [s.text_in(TEXT) for s in (DATE, TROOPS, TWO, KANBALU, SHOT)] == [
        "3 May",
        "junta troops",
        "two",
        "Kanbalu township",
        "shot",
    ]


def test_a_draft_with_arguments_of_its_own_spans_passes(scheme):
    check_draft(
        draft(
            Argument(SHOT, "ACTOR", TROOPS),
            Argument(SHOT, "LOCATION", KANBALU),
            Argument(SHOT, "TIME", DATE),
            Argument(SHOT, "COUNT", TWO),
        ),
        text=TEXT,
        scheme=scheme,
    )


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ((Argument(Span(0, 2, "ARMED_CLASH"), "ACTOR", TROOPS),), "no such event trigger"),
        ((Argument(SHOT, "ACTOR", Span(0, 2, "ARMED_GROUP")),), "no ARMED_GROUP span 0-2"),
        ((Argument(SHOT, "WEAPON", TROOPS),), "unknown role 'WEAPON'"),
        ((Argument(SHOT, "LOCATION", TROOPS),), "a ARMED_GROUP cannot be LOCATION"),
        ((Argument(SHOT, "TIME", DATE), Argument(SHOT, "TIME", KANBALU)), "cannot be TIME"),
        ((Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "TARGET", TROOPS)), "already its"),
    ],
)
def test_an_argument_that_does_not_fit_is_refused_saying_why(scheme, arguments, reason):
    with pytest.raises(SpanError, match=reason):
        check_draft(draft(*arguments), text=TEXT, scheme=scheme)


def test_a_role_that_does_not_repeat_is_given_once(scheme, tmp_path):
    later = Span(TEXT.index("May"), TEXT.index("May") + 3, "DATE")
    with pytest.raises(SpanError, match="an event has one TIME"):
        check_draft(
            Draft(
                entities=(Span(3, 4, "DATE"), later, TROOPS),
                events=(SHOT,),
                arguments=(
                    Argument(SHOT, "TIME", Span(3, 4, "DATE")),
                    Argument(SHOT, "TIME", later),
                ),
            ),
            text=TEXT,
            scheme=scheme,
        )


def test_removing_a_span_takes_its_arguments_with_it():
    full = draft(Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "COUNT", TWO))
    without_two = Draft(
        entities=(DATE, TROOPS, KANBALU), events=full.events, arguments=full.arguments
    )
    assert without_two.without_dangling().arguments == (Argument(SHOT, "ACTOR", TROOPS),)
    assert (
        Draft(entities=full.entities, arguments=full.arguments).without_dangling().arguments == ()
    )


def test_arguments_round_trip_through_the_stored_rows():
    full = draft(Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "COUNT", TWO))
    rows = full.rows()
    assert rows["arguments"][0] == {
        "event": {"start": 23, "end": 27, "label": "ATTACK_ON_CIVILIANS"},
        "role": "ACTOR",
        "start": 10,
        "end": 22,
        "label": "ARMED_GROUP",
    }
    assert Draft.from_rows(**rows) == full


def test_a_decision_keeps_its_arguments_in_its_history_and_its_gold(
    engine, scheme, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    path = tmp_path / "note.txt"
    path.write_text(TEXT, encoding="utf-8")
    policy = GoldPolicy.of(Settings.from_env())
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=policy,
        )
    with session_scope(engine) as session:
        sentence_id = session.exec(select(Sentence.id)).one()
        reviewer_id = repository.ensure_reviewer(session=session, name="ana").id
    first = draft(Argument(SHOT, "ACTOR", TROOPS))
    second = draft(Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "LOCATION", KANBALU))
    for decided in (first, second):
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=decided,
                scheme=scheme,
                policy=policy,
            )
    with session_scope(engine) as session:
        history = session.exec(select(AnnotationVersion).order_by(AnnotationVersion.id)).all()
        assert [Draft.of(version).arguments for version in history] == [
            first.arguments,
            second.arguments,
        ]
        assert Draft.of(session.exec(select(Gold)).one()).arguments == second.arguments
    with session_scope(engine) as session:
        workflow.undo_last(session=session, reviewer_id=reviewer_id, policy=policy)
    with session_scope(engine) as session:
        assert Draft.of(session.exec(select(Gold)).one()).arguments == first.arguments


def test_agreement_compares_two_reviewers_arguments_per_role(engine, scheme, tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_text(TEXT, encoding="utf-8")
    policy = GoldPolicy.of(Settings.from_env())
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=policy,
        )
    decisions = {
        "ana": draft(Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "LOCATION", KANBALU)),
        "ben": draft(Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "TIME", DATE)),
    }
    with session_scope(engine) as session:
        sentence_id = session.exec(select(Sentence.id)).one()
        for name, decided in decisions.items():
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=repository.ensure_reviewer(session=session, name=name).id,
                status="accept",
                draft=decided,
                scheme=scheme,
                policy=policy,
            )
    with session_scope(engine) as session:
        report = team_agreement.agreement_report(session=session, scheme=scheme)
    arguments = report["arguments"]
    assert arguments["pairwise_f1"]["value"] == pytest.approx(2 * 1 / 4)
    assert arguments["per_label"]["ACTOR"]["pairwise_f1"]["value"] == 1.0
    assert arguments["per_label"]["LOCATION"]["pairwise_f1"]["value"] == 0.0
    assert (arguments["n_items"], arguments["n_annotators"]) == (1, 2)
