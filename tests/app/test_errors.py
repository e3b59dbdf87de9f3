"""The one error boundary: whatever a page or a callback did not expect reaches the reviewer as a
short plain message and the server's log with its traceback, never the screen as a traceback."""

from __future__ import annotations

import logging
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from streamlit.config import ShowErrorDetailsConfigOptions

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.models import Sentence
from annotator.spans import Draft, Span, SpanError
from annotator.ui import errors
from annotator.workflow import GoldPolicy, adjudicating, annotating

ROOT = Path(__file__).resolve().parents[2]


def test_a_page_that_fails_shows_a_short_message_and_logs_the_traceback(
    app_database, monkeypatch, run_page, caplog
):
    app_database.add_accounts({"ana": "annotator"}, password="correct horse battery")

    def broken(**_: Any) -> None:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(annotating, "annotate_screen", broken)
    with caplog.at_level(logging.ERROR):
        at = run_page("app.py", "ana")  # through app.py: its default page is the annotate page
    assert not at.exception
    assert [e.value for e in at.error] == [errors.BROKEN]
    kinds = ("markdown", "caption", "error")
    shown = " ".join(str(e.value) for kind in kinds for e in at.get(kind))
    assert "secret detail" not in shown
    assert any("secret detail" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OperationalError("UPDATE", {}, sqlite3.OperationalError("locked")), errors.BUSY),
        (SpanError("span 3-9 is not on token boundaries"), "span 3-9 is not on token boundaries"),
        (KeyError("entities"), errors.BROKEN),
    ],
)
def test_the_reviewer_reads_a_domain_error_as_written_and_anything_else_short(error, message):
    assert errors.message_for(error) == message


def test_should_an_error_pass_the_boundary_the_browser_gets_no_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE.value


def test_a_busy_database_while_saving_gold_is_a_short_message(
    app_database, monkeypatch, run_page, scheme, tmp_path
):
    """The adjudicate page's callbacks are guarded too: its save fails short, the draft stays."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    app_database.add_accounts({"mia": "adjudicator"}, password="correct horse battery")
    path = tmp_path / "report.txt"
    path.write_text("Junta troops clashed with the Arakan Army near Sittwe.", encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    with session_scope(app_database.engine) as session:
        (sentence_id,) = [s.id for s in session.exec(select(Sentence))]
        for name, label in (("ana", "ARMED_GROUP"), ("ben", "ORG")):
            reviewer = repository.ensure_reviewer(session=session, name=name)
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer.id,
                status="accept",
                draft=Draft(entities=(Span(30, 41, label),)),
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    at = run_page("pages/adjudicate.py", "mia", query={"sentence": sentence_id})
    assert not at.exception

    def busy(**_: Any) -> None:
        raise OperationalError("INSERT INTO gold", {}, sqlite3.OperationalError("locked"))

    monkeypatch.setattr(adjudicating, "adjudicate", busy)
    at.button(key=f"adjudicate_save_{sentence_id}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [errors.BUSY]
    with session_scope(app_database.engine) as session:
        assert repository.gold_of(session=session, sentence_id=sentence_id) is None
