"""The annotate page, driven by Streamlit's AppTest against a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.db import make_engine, migrate, session_scope
from annotator.formats.records import read_records
from annotator.models import Sentence, Suggestion

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe on Monday. "
    "<script>alert(1)</script> Police arrested 12 protesters in Yangon.\n"
    "Residents fled to Thailand."
)
# What a suggester said about the first sentence: "Arakan Army" is wrongly an ORG.
SUGGESTED_ENTITIES = [
    {"start": 0, "end": 12, "label": "ARMED_GROUP"},
    {"start": 30, "end": 41, "label": "ORG"},
    {"start": 47, "end": 53, "label": "GPE"},
]
SUGGESTED_EVENTS = [{"start": 13, "end": 20, "label": "ARMED_CLASH"}]


@pytest.fixture
def database(tmp_path, monkeypatch, scheme):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("ANNOTATOR_DATABASE_URL", url)
    monkeypatch.setenv("ANNOTATOR_REVIEWER", "ana")
    st.cache_resource.clear()
    engine = make_engine(url)
    migrate(engine)
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session, records=read_records([path], scheme=scheme), scheme=scheme
        )
        first = session.exec(select(Sentence).order_by(Sentence.id)).first()
        session.add(
            Suggestion(
                sentence_id=first.id,
                model_name="test_model",
                model_version="1.0",
                entities=SUGGESTED_ENTITIES,
                events=SUGGESTED_EVENTS,
                categories=["BATTLES"],
            )
        )
    yield engine
    engine.dispose()
    st.cache_resource.clear()


def sentence_ids(engine) -> list[int]:
    with session_scope(engine) as session:
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]


def open_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "annotate.py"), default_timeout=60)
    return at.run()


def sentence_html(at: AppTest) -> str:
    (html,) = [h.value for h in at.get("html") if 'class="ca-sentence"' in h.value]
    return html


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_review_a_sentence_and_undo(database):
    first, second, _ = sentence_ids(database)
    at = open_page()
    assert not at.exception
    assert progress_text(at) == "0 / 3 sentences done"
    html = sentence_html(at)
    assert "Arakan Army" in html and "ORG?" in html and "ca-suggested" in html
    assert "Suggested by test_model 1.0" in [c.value for c in at.caption]

    # Relabel the wrong suggestion, add a date, toggle a category.
    at.selectbox(key=f"annotate_relabel_{first}_entities_1_30_41").select("ARMED_GROUP").run()
    at.button_group(key=f"annotate_words_{first}_0").set_value([10]).run()
    at.button(key="annotate_add_entities_DATE").click().run()
    at.toggle(key=f"annotate_category_{first}_STRATEGIC_DEVELOPMENTS").set_value(True).run()
    html = sentence_html(at)
    assert "ORG" not in html and "DATE" in html

    at.button(key="annotate_accept").click().run()
    assert not at.exception
    assert progress_text(at) == "1 / 3 sentences done"
    assert "Police arrested" in sentence_html(at)
    expected_entities = [
        {"start": 0, "end": 12, "label": "ARMED_GROUP"},
        {"start": 30, "end": 41, "label": "ARMED_GROUP"},
        {"start": 47, "end": 53, "label": "GPE"},
        {"start": 57, "end": 63, "label": "DATE"},
    ]
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        annotation = repository.annotation_of(
            session=session, sentence_id=first, reviewer_id=ana.id
        )
        gold = repository.gold_of(session=session, sentence_id=first)
    assert annotation.status == "accept"
    assert annotation.entities == expected_entities
    assert annotation.events == SUGGESTED_EVENTS
    assert annotation.categories == ["BATTLES", "STRATEGIC_DEVELOPMENTS"]
    assert annotation.seconds >= 0
    assert gold.entities == expected_entities and gold.annotation_id == annotation.id

    # Undo brings the sentence back as it was decided, and takes its gold away.
    at.button(key="annotate_undo").click().run()
    assert progress_text(at) == "0 / 3 sentences done"
    html = sentence_html(at)
    assert "Junta troops" in html and "DATE" in html and "ca-suggested" not in html
    with session_scope(database) as session:
        assert (
            repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id) is None
        )
        assert repository.gold_of(session=session, sentence_id=first) is None

    # Reject: kept as the reviewer's annotation, not gold.
    at.button(key="annotate_reject").click().run()
    with session_scope(database) as session:
        rejected = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
        assert rejected.status == "reject"
        assert repository.gold_of(session=session, sentence_id=first) is None
    assert "Police arrested" in sentence_html(at)
    del second


def test_remove_a_span_and_confirm_suggestions(database):
    first = sentence_ids(database)[0]
    at = open_page()
    at.button(key=f"annotate_remove_{first}_entities_2_47_53").click().run()
    assert "Sittwe" in sentence_html(at) and "GPE" not in sentence_html(at)
    at.button(key="annotate_confirm").click().run()
    assert "ca-suggested" not in sentence_html(at)
    at.button(key="annotate_skip").click().run()
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        skipped = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
    assert skipped.status == "skip"
    assert [e["label"] for e in skipped.entities] == ["ARMED_GROUP", "ORG"]


def test_adding_a_span_needs_picked_words(database):
    at = open_page()
    at.button(key="annotate_add_entities_PERSON").click().run()
    assert any("Select the words" in e.value for e in at.error)


def test_report_html_is_shown_as_text(database):
    at = open_page()
    bodies = [h.value for h in at.get("html")]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in body for body in bodies)
    assert not any("<script>alert" in body for body in bodies)
    at.button(key="annotate_accept").click().run()
    html = sentence_html(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_decision_buttons_show_their_shortcuts(database):
    at = open_page()
    labels = {b.label for b in at.button}
    assert {"Accept (a)", "Reject (x)", "Skip (space)", "Undo (u)"} <= labels
    shortcuts = {b.key: b.proto.shortcut for b in at.button}
    assert shortcuts["annotate_accept"] == "a" and shortcuts["annotate_skip"] == "space"
    assert shortcuts["annotate_add_entities_PERSON"] == "p"


def test_everything_done_says_so(database):
    at = open_page()
    for _ in range(3):
        at.button(key="annotate_accept").click().run()
    assert progress_text(at) == "3 / 3 sentences done"
    assert any("Nothing left" in s.value for s in at.success)
