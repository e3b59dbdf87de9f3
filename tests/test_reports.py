"""Reports as a use case, on SQLite and PostgreSQL: progress per report, display names, and
deleting reports with everything on them in one transaction (gold only when asked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import (
    Annotation,
    AnnotationVersion,
    Claim,
    Gold,
    Report,
    Sentence,
    Suggestion,
)
from annotator.spans import Draft
from annotator.workflow import GoldPolicy, reports
from annotator.workflow.reports import ReportError

TROOPS = "Troops shelled Moebye. Residents fled.\nThe army blamed the rebels.\n"
POLICE = "Police arrested Ko Aung in Yangon."


def seed(engine: Engine, scheme: LabelScheme, folder: Path) -> tuple[int, int]:
    """Two reports: TROOPS (three sentences, one decided by ana, one claimed by ben, one with
    a suggestion) and POLICE (gold); their ids."""
    troops = folder / "troops.txt"
    troops.write_text(TROOPS, encoding="utf-8")
    gold = folder / "gold.jsonl"
    record = {"text": POLICE, "spans": [{"start": 16, "end": 23, "label": "PERSON"}]}
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    policy = GoldPolicy.of(Settings.from_env())
    for path, is_gold in ((troops, False), (gold, True)):
        with session_scope(engine) as session:
            workflow.import_records(
                session=session,
                records=read_records([path], scheme=scheme, gold=is_gold),
                scheme=scheme,
                policy=policy,
                gold=is_gold,
            )
    with session_scope(engine) as session:
        troops_id, police_id = session.exec(select(Report.id).order_by(Report.id)).all()
        first, second, third = repository.sentence_ids_of_report(
            session=session, report_id=troops_id
        )
        ana = repository.ensure_reviewer(session=session, name="ana")
        ben = repository.ensure_reviewer(session=session, name="ben")
        repository.insert_suggestions(
            session=session,
            rows=[
                {"sentence_id": third, "model_name": "m", "model_version": "1", **Draft().rows()}
            ],
        )
    for status in ("accept", "reject"):  # two versions in the history
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=first,
                reviewer_id=ana.id,
                status=status,
                draft=Draft(),
                scheme=scheme,
                policy=policy,
            )
    with session_scope(engine) as session:
        workflow.hold_sentence(session=session, sentence_id=second, reviewer_id=ben.id)
    return troops_id, police_id


def rows(engine: Engine) -> dict[str, int]:
    tables = {
        "reports": Report,
        "sentences": Sentence,
        "suggestions": Suggestion,
        "annotations": Annotation,
        "versions": AnnotationVersion,
        "claims": Claim,
        "gold": Gold,
    }
    with session_scope(engine) as session:
        return {
            name: session.exec(select(func.count()).select_from(table)).one()
            for name, table in tables.items()
        }


def test_reports_are_listed_newest_first_with_their_progress(engine, scheme, tmp_path):
    troops_id, police_id = seed(engine, scheme, tmp_path)

    with session_scope(engine) as session:
        listed = reports.list_reports(session=session)

    assert [(r.id, r.sentences, r.annotated, r.gold) for r in listed] == [
        (police_id, 1, 0, 1),
        (troops_id, 3, 1, 0),
    ]


def test_deleting_a_report_takes_its_sentences_and_everything_on_them(engine, scheme, tmp_path):
    troops_id, _ = seed(engine, scheme, tmp_path)

    with session_scope(engine) as session:
        deleted = reports.delete_reports(session=session, report_ids=[troops_id])

    assert (deleted.reports, deleted.sentences, deleted.gold) == (1, 3, 0)
    assert rows(engine) == {
        "reports": 1,
        "sentences": 1,
        "suggestions": 0,
        "annotations": 0,
        "versions": 0,
        "claims": 0,
        "gold": 1,
    }


def test_a_report_with_gold_is_deleted_only_with_force(engine, scheme, tmp_path):
    troops_id, police_id = seed(engine, scheme, tmp_path)
    before = rows(engine)

    with pytest.raises(ReportError, match="gold") as refused:
        with session_scope(engine) as session:
            reports.delete_reports(session=session, report_ids=[troops_id, police_id])

    assert "--force" in str(refused.value) and rows(engine) == before
    with session_scope(engine) as session:
        deleted = reports.delete_reports(
            session=session, report_ids=[troops_id, police_id], force=True
        )
    assert (deleted.reports, deleted.sentences, deleted.gold) == (2, 4, 1)
    assert set(rows(engine).values()) == {0}


def test_an_unknown_report_id_deletes_nothing(engine, scheme, tmp_path):
    troops_id, _ = seed(engine, scheme, tmp_path)
    before = rows(engine)

    with pytest.raises(ReportError, match="no report with id 999"):
        with session_scope(engine) as session:
            reports.delete_reports(session=session, report_ids=[troops_id, 999])

    assert rows(engine) == before


def test_a_renamed_report_is_shown_by_its_name_and_keeps_its_source(engine, scheme, tmp_path):
    troops_id, _ = seed(engine, scheme, tmp_path)

    with session_scope(engine) as session:
        reports.rename_report(session=session, report_id=troops_id, name="  Moebye   shelling ")
    with session_scope(engine) as session:
        (troops,) = [r for r in reports.list_reports(session=session) if r.id == troops_id]
    assert reports.display_name(troops) == "Moebye shelling"
    assert troops.source.endswith("troops.txt")

    with session_scope(engine) as session:
        reports.rename_report(session=session, report_id=troops_id, name="")
        with pytest.raises(ReportError, match="200 characters"):
            reports.rename_report(session=session, report_id=troops_id, name="x" * 201)
    with session_scope(engine) as session:
        (troops,) = [r for r in reports.list_reports(session=session) if r.id == troops_id]
    assert reports.display_name(troops) == troops.source
