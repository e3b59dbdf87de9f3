"""The annotate page, driven by Streamlit's AppTest against a real SQLite database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.labels import RESERVED_KEYS
from annotator.models import Sentence, Suggestion
from annotator.ui import errors, render
from annotator.workflow import GoldPolicy

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
PASSWORD = "correct horse battery"


@pytest.fixture
def database(app_database, monkeypatch, scheme, tmp_path):
    """One report of three sentences, the first with a suggestion; ana (annotator) reviews."""
    # One reviewer per sentence: an accepted annotation is the gold at once.
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    app_database.add_accounts({"ana": "annotator"}, password=PASSWORD)
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    with session_scope(app_database.engine) as session:
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
    return app_database.engine


@pytest.fixture
def open_page(run_page):
    """The annotate page, logged in; ``fallback`` opens the span list and word picker."""

    def open_annotate(*, fallback: bool = False, reviewer: str = "ana") -> AppTest:
        state = {"annotate_fallback": True} if fallback else {}
        return run_page("pages/annotate.py", reviewer, state=state)

    return open_annotate


def sentence_ids(engine) -> list[int]:
    with session_scope(engine) as session:
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]


def editor(at: AppTest) -> Any:
    (element,) = [e for e in at.get("bidi_component") if e.key == "annotate_editor"]
    return element


def editor_data(at: AppTest) -> dict[str, Any]:
    """What the span editor was given to draw in the browser."""
    return json.loads(editor(at).proto.json)


def spans_shown(at: AppTest, layer: str) -> list[tuple[str, str, bool]]:
    data = editor_data(at)
    return [(data["text"][s["start"] : s["end"]], s["label"], s["suggested"]) for s in data[layer]]


def press(at: AppTest, event: str, **value: Any) -> AppTest:
    """Do what the browser does when the editor sends an event: set its trigger, rerun."""
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{editor(at).proto.id}__events"
    trigger.json_trigger_value = json.dumps([{"event": event, "value": value}])
    return at._run(states)


def send_edit(at: AppTest, **edit: Any) -> AppTest:
    """The editor sends a span edit."""
    return press(at, "edit", **edit)


def decide(at: AppTest, action: str, *, sentence_id: int | None = None) -> AppTest:
    """A decision (accept, reject, skip, undo, confirm) pressed in the editor, for the sentence
    it shows unless ``sentence_id`` says otherwise."""
    shown = editor_data(at)["sentence_id"] if sentence_id is None else sentence_id
    return press(at, "decide", action=action, sentence_id=shown)


def html_bodies(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html")]


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_review_a_sentence_and_undo(database, monkeypatch, open_page):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")  # one reviewer's accept is the gold
    first, second, _ = sentence_ids(database)
    at = open_page(fallback=True)
    assert not at.exception
    assert progress_text(at) == "0 / 3 sentences done"
    assert spans_shown(at, "entities")[1] == ("Arakan Army", "ORG", True)
    # Shown as written: the caption's Markdown escapes the model's name.
    assert render.markdown_literal("Suggested by test_model 1.0") in [c.value for c in at.caption]

    # Relabel the wrong suggestion, add a date, toggle a category (the widgets without the editor).
    at.selectbox(key=f"annotate_relabel_{first}_entities_1_30_41").select("ARMED_GROUP").run()
    at.button_group(key=f"annotate_words_{first}_0").set_value([10]).run()
    at.button(key="annotate_add_entities_DATE").click().run()
    at.toggle(key=f"annotate_category_{first}_STRATEGIC_DEVELOPMENTS").set_value(True).run()
    labels = [label for _, label, _ in spans_shown(at, "entities")]
    assert "ORG" not in labels and ("Monday", "DATE", False) in spans_shown(at, "entities")

    decide(at, "accept")
    assert not at.exception
    assert progress_text(at) == "1 / 3 sentences done"
    assert editor_data(at)["text"].startswith("<script>alert(1)</script> Police arrested")
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
    decide(at, "undo")
    assert progress_text(at) == "0 / 3 sentences done"
    data = editor_data(at)
    assert data["text"].startswith("Junta troops") and data["sentence_id"] == first
    assert ("Monday", "DATE", False) in spans_shown(at, "entities")
    assert not any(s["suggested"] for layer in ("entities", "events") for s in data[layer])
    with session_scope(database) as session:
        undone = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
        assert undone is None
        assert repository.gold_of(session=session, sentence_id=first) is None

    # Reject: kept as the reviewer's annotation, not gold.
    decide(at, "reject")
    with session_scope(database) as session:
        rejected = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
        assert rejected.status == "reject"
        assert repository.gold_of(session=session, sentence_id=first) is None
    assert editor_data(at)["sentence_id"] == second


def test_editor_edits_are_validated_and_stored(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    # Relabel the wrong ORG with the editor, add an event over an entity, remove the GPE.
    send_edit(
        at,
        action="relabel",
        sentence_id=first,
        layer="entities",
        index=1,
        start=30,
        end=41,
        label="ARMED_GROUP",
    )
    send_edit(at, action="add", sentence_id=first, start=30, end=41, label="ARMED_CLASH")
    send_edit(at, action="add", sentence_id=first, start=57, end=63, label="DATE")
    send_edit(at, action="remove", sentence_id=first, layer="entities", index=2, start=47, end=53)
    assert not at.exception and not at.error
    assert spans_shown(at, "entities") == [
        ("Junta troops", "ARMED_GROUP", True),
        ("Arakan Army", "ARMED_GROUP", False),
        ("Monday", "DATE", False),
    ]
    assert [(text, label) for text, label, _ in spans_shown(at, "events")] == [
        ("clashed", "ARMED_CLASH"),
        ("Arakan Army", "ARMED_CLASH"),
    ]
    decide(at, "accept")
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        annotation = repository.annotation_of(
            session=session, sentence_id=first, reviewer_id=ana.id
        )
    assert annotation.entities == [
        {"start": 0, "end": 12, "label": "ARMED_GROUP"},
        {"start": 30, "end": 41, "label": "ARMED_GROUP"},
        {"start": 57, "end": 63, "label": "DATE"},
    ]
    assert annotation.events == [
        {"start": 13, "end": 20, "label": "ARMED_CLASH"},
        {"start": 30, "end": 41, "label": "ARMED_CLASH"},
    ]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"action": "add", "start": 31, "end": 41, "label": "ARMED_GROUP"}, "token boundaries"),
        ({"action": "add", "start": 60, "end": 90, "label": "DATE"}, "out of range"),
        ({"action": "add", "start": 57, "end": 63, "label": "WEAPON"}, "unknown span label"),
        ({"action": "add", "start": 57, "end": 63, "label": "BATTLES"}, "unknown span label"),
        ({"action": "add", "start": 26, "end": 41, "label": "PERSON"}, "overlaps the ORG entity"),
        ({"action": "add", "start": "57", "end": 63, "label": "DATE"}, "must be an integer"),
        ({"action": "drop", "start": 57, "end": 63, "label": "DATE"}, "unknown action"),
        (
            {"action": "remove", "layer": "entities", "index": 1, "start": 0, "end": 12},
            "no longer in the draft",
        ),
        (
            {
                "action": "relabel",
                "layer": "entities",
                "index": 1,
                "start": 30,
                "end": 41,
                "label": "ARREST",
            },
            None,
        ),  # an entity becomes an event: allowed
    ],
)
def test_editor_rejects_what_cannot_be_stored(database, edit, reason, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    before = editor_data(at)
    send_edit(at, sentence_id=first, **edit)
    after = editor_data(at)
    assert not at.exception
    if reason is None:
        assert not at.error and ("Arakan Army", "ARREST", False) in spans_shown(at, "events")
        return
    assert [e.value for e in at.error] and reason in at.error[0].value
    assert reason in after["message"]
    assert (after["entities"], after["events"]) == (before["entities"], before["events"])
    decide(at, "skip")
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        stored = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
    assert stored.entities == SUGGESTED_ENTITIES and stored.events == SUGGESTED_EVENTS


def test_an_edit_for_another_sentence_changes_nothing(database, open_page):
    first, second, _ = sentence_ids(database)
    at = open_page()
    send_edit(at, action="add", sentence_id=second, start=57, end=63, label="DATE")
    assert "another sentence" in at.error[0].value
    assert ("Monday", "DATE", False) not in spans_shown(at, "entities")
    del first


def test_remove_a_span_and_confirm_suggestions(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page(fallback=True)
    at.button(key=f"annotate_remove_{first}_entities_2_47_53").click().run()
    assert "GPE" not in [label for _, label, _ in spans_shown(at, "entities")]
    decide(at, "confirm")
    assert not any(suggested for _, _, suggested in spans_shown(at, "entities"))
    decide(at, "skip")
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        skipped = repository.annotation_of(session=session, sentence_id=first, reviewer_id=ana.id)
    assert skipped.status == "skip"
    assert [e["label"] for e in skipped.entities] == ["ARMED_GROUP", "ORG"]


def test_adding_a_span_needs_picked_words(database, open_page):
    at = open_page(fallback=True)
    at.button(key="annotate_add_entities_PERSON").click().run()
    assert any("Select the words" in e.value for e in at.error)


def test_report_html_is_shown_as_text(database, open_page):
    at = open_page()
    # The next sentence (with a script tag) is context: escaped HTML.
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in body for body in html_bodies(at))
    assert not any("<script>alert" in body for body in html_bodies(at))
    decide(at, "accept")
    # On screen it reaches the editor as a JSON string, never as markup (see tests/e2e).
    assert editor_data(at)["text"].startswith("<script>alert(1)</script>")
    assert not any("<script>alert" in body for body in html_bodies(at))


def test_every_decision_label_and_category_has_its_own_key_shown_in_the_editor(
    database, scheme, open_page
):
    at = open_page(fallback=True)
    data = editor_data(at)
    decisions = {d["action"]: d["key"] for d in data["decisions"]}
    assert decisions == {"accept": "a", "reject": "x", "skip": " ", "undo": "u", "confirm": None}
    labels = {label["name"]: label["key"] for label in data["labels"]}
    assert labels["PERSON"] == "p" and labels["ARREST"] == "5"
    assert set(labels) == set(scheme.names("entities")) | set(scheme.names("events"))
    categories = {c["name"]: c["key"] for c in data["categories"]["labels"]}
    assert categories == {c.name: c.shortcut for c in scheme.categories}
    keys = [k for k in decisions.values() if k] + list(labels.values()) + list(categories.values())
    assert len(keys) == len(set(keys)), "two things share a key"
    # The decision keys are the ones no label may take; Streamlit keeps r and c for itself.
    assert {k for k in decisions.values() if k} | {"r", "c"} == RESERVED_KEYS
    # Without the editor the page's buttons have no keys: the editor owns them all.
    assert all(not b.proto.shortcut for b in at.button)


def test_everything_done_says_so(database, open_page):
    at = open_page()
    for _ in range(3):
        decide(at, "accept")
    assert progress_text(at) == "3 / 3 sentences done"
    assert any("Nothing left" in s.value for s in at.success)


def test_an_annotator_sees_the_suggestions_never_another_reviewers_annotation(
    database, scheme, monkeypatch, open_page
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    first = sentence_ids(database)[0]
    with session_scope(database) as session:
        ben = repository.ensure_reviewer(session=session, name="ben")
        workflow.save_decision(
            session=session,
            sentence_id=first,
            reviewer_id=ben.id,
            status="accept",
            draft=workflow.Draft.from_rows(
                [{"start": 30, "end": 41, "label": "PERSON"}],
                [{"start": 47, "end": 53, "label": "ARREST"}],
                ["PROTESTS"],
            ),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    at = open_page(fallback=True)
    assert not at.exception
    data = editor_data(at)
    assert data["sentence_id"] == first  # one annotation of two: still routed to ana
    assert [(s["start"], s["end"], s["label"]) for s in data["entities"]] == [
        (s["start"], s["end"], s["label"]) for s in SUGGESTED_ENTITIES
    ]
    assert all(s["suggested"] for layer in ("entities", "events") for s in data[layer])
    assert [(s["start"], s["label"]) for s in data["events"]] == [(13, "ARMED_CLASH")]
    assert editor_data(at)["categories"]["chosen"] == [
        "BATTLES"
    ]  # the suggestion's category, not ben's PROTESTS
    texts = [*at.markdown, *at.caption, *at.text, *at.get("html")]
    shown = json.dumps(data) + " ".join(str(e.value) for e in texts)
    assert "ben" not in shown and "PERSON" not in {s["label"] for s in data["entities"]}


def test_a_sentence_with_enough_annotations_is_not_served(database, scheme, open_page):
    first, second, _ = sentence_ids(database)
    with session_scope(database) as session:
        ben = repository.ensure_reviewer(session=session, name="ben")
        workflow.save_decision(
            session=session,
            sentence_id=first,
            reviewer_id=ben.id,
            status="reject",  # a decision (a skip would leave it to others)
            draft=workflow.Draft(),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    at = open_page()
    assert editor_data(at)["sentence_id"] == second


def test_the_page_stops_for_a_visitor_who_is_not_logged_in(database):
    at = AppTest.from_file(str(ROOT / "pages" / "annotate.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Please log in first."]
    assert not at.get("bidi_component") and not at.button


def screen_text(at: AppTest) -> str:
    """Everything the page wrote as text, of every kind of element."""
    kinds = ("markdown", "caption", "error", "text", "html", "toast", "exception", "success")
    return " ".join(str(getattr(e, "value", "")) for kind in kinds for e in at.get(kind))


def stored(engine, sentence_id: int, name: str = "ana"):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
        return repository.annotation_of(
            session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
        )


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("UPDATE sentence", {}, sqlite3.OperationalError("database is locked")),
        IntegrityError(
            "INSERT INTO annotation",
            {},
            sqlite3.IntegrityError(
                "UNIQUE constraint failed: annotation.sentence_id, annotation.reviewer_id"
            ),
        ),
    ],
)
def test_a_database_error_while_deciding_is_a_short_message_and_the_page_recovers(
    database, monkeypatch, open_page, caplog, failure
):
    first = sentence_ids(database)[0]
    at = open_page()

    def fail(**_: Any) -> None:
        raise failure

    with monkeypatch.context() as patched:
        patched.setattr(workflow, "save_decision", fail)
        decide(at, "accept")
    assert not at.exception
    assert [e.value for e in at.error] == [errors.BUSY]
    assert "constraint" not in screen_text(at)
    assert editor_data(at)["sentence_id"] == first and stored(database, first) is None
    assert any(r.exc_info and r.exc_info[1] is failure for r in caplog.records)
    decide(at, "accept")  # the next press saves: nothing is stuck
    assert not at.exception and not at.error
    assert stored(database, first).status == "accept"


def test_a_decision_for_a_sentence_that_is_not_shown_is_ignored(database, open_page):
    first, second, third = sentence_ids(database)
    at = open_page()
    decide(at, "accept", sentence_id=second)  # drawn for no one: the first is on screen
    assert not at.exception and stored(database, second) is None
    assert editor_data(at)["sentence_id"] == first
    decide(at, "accept")
    assert editor_data(at)["sentence_id"] == second
    decide(at, "reject", sentence_id=first)  # a late second press on the first sentence
    decide(at, "undo", sentence_id=first)  # and a late undo: the page has moved on
    assert not at.exception and not at.error
    assert stored(database, first).status == "accept" and stored(database, second) is None
    assert editor_data(at)["sentence_id"] == second
    assert progress_text(at) == "1 / 3 sentences done"
    del third


def test_each_serving_of_a_sentence_is_new_to_the_editor_and_every_answer_redraws_it(
    database, open_page
):
    first = sentence_ids(database)[0]
    at = open_page()
    served = editor_data(at)["serving"]
    decide(at, "confirm")
    after_confirm = editor_data(at)
    assert after_confirm["serving"] == served and after_confirm["revision"] == 1
    press(at, "category", label="RIOTS", sentence_id=first)
    assert editor_data(at)["categories"]["chosen"] == ["BATTLES", "RIOTS"]
    assert editor_data(at)["revision"] == 2
    decide(at, "accept")
    decide(at, "undo")  # the first sentence again: a serving of its own
    data = editor_data(at)
    assert data["sentence_id"] == first and data["serving"] > served


def test_undoing_a_skip_brings_the_suggestions_back_unconfirmed(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    decide(at, "skip")
    assert stored(database, first).status == "skip"
    decide(at, "undo")
    data = editor_data(at)
    assert data["sentence_id"] == first
    assert [(s["start"], s["end"], s["label"]) for s in data["entities"]] == [
        (s["start"], s["end"], s["label"]) for s in SUGGESTED_ENTITIES
    ]
    assert all(s["suggested"] for layer in ("entities", "events") for s in data[layer])
    assert "unconfirmed" in data["notice"]


def test_a_category_pressed_in_the_editor_is_validated(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    press(at, "category", label="ARREST", sentence_id=first)  # an event label, not a category
    press(at, "category", label=["RIOTS"], sentence_id=first)
    assert not at.exception
    assert any("malformed command" in e.value for e in at.error)
    assert editor_data(at)["categories"]["chosen"] == ["BATTLES"]
