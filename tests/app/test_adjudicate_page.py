"""The adjudicate page, driven by Streamlit's AppTest against a real SQLite database: two
reviewers disagree, an adjudicator settles it by taking a version or span by span."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import Gold, Sentence
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy, accounts, adjudicating

REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe on Monday.\n"
    "Police arrested 12 protesters in Yangon.\n"
    "Residents fled to Thailand.\n"
    "Soldiers burned houses in Kani."
)
PASSWORD = "correct horse battery"
TROOPS = Span(0, 12, "ARMED_GROUP")
CLASH = Span(13, 20, "ARMED_CLASH")
AA_GROUP = Span(30, 41, "ARMED_GROUP")  # "Arakan Army" as ana sees it
AA_ORG = Span(30, 41, "ORG")  # ... and as ben does
SITTWE = Span(47, 53, "GPE")
# The first sentence: ana and ben agree on all but what the Arakan Army is.
ANA_FIRST = Draft(entities=(TROOPS, AA_GROUP, SITTWE), events=(CLASH,), categories=("BATTLES",))
BEN_FIRST = Draft(entities=(TROOPS, AA_ORG, SITTWE), events=(CLASH,), categories=("BATTLES",))
# The second: they agree (gold by themselves).
AGREED = Draft(entities=(Span(33, 39, "GPE"),), events=(Span(7, 15, "ARREST"),))
# The third: only ana saw the displacement.
ANA_THIRD = Draft(events=(Span(10, 14, "DISPLACEMENT"),), categories=("STRATEGIC_DEVELOPMENTS",))
BEN_THIRD = Draft()


@pytest.fixture
def database(app_database, monkeypatch, scheme, tmp_path):
    """Four sentences: one disagreement, one agreement, one more disagreement, one single
    annotation; reviewers ana and ben (annotators), mia (adjudicator) and zoe (admin)."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    monkeypatch.setenv("ANNOTATOR_AUTO_GOLD", "1")
    app_database.add_accounts(
        {"ana": "annotator", "ben": "annotator", "mia": "adjudicator", "zoe": "admin"},
        password=PASSWORD,
    )
    path = tmp_path / "myanmar.txt"
    path.write_text(REPORT, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    engine = app_database.engine
    ids = sentence_ids(engine)
    assert len(ids) == 4
    first, second, third, fourth = ids
    for sentence_id, name, draft in (
        (first, "ana", ANA_FIRST),
        (first, "ben", BEN_FIRST),
        (second, "ana", AGREED),
        (second, "ben", AGREED),
        (third, "ana", ANA_THIRD),
        (third, "ben", BEN_THIRD),
        (fourth, "ana", Draft()),
    ):
        save(engine, scheme, sentence_id, name, draft)
    return engine


@pytest.fixture
def open_page(run_page):
    """The adjudicate page, logged in; ``sentence`` is the query parameter a link carries."""

    def open_adjudicate(reviewer: str = "mia", *, sentence: int | str | None = None) -> AppTest:
        query = {} if sentence is None else {"sentence": sentence}
        return run_page("pages/adjudicate.py", reviewer, query=query)

    return open_adjudicate


def save(engine, scheme, sentence_id: int, name: str, draft: Draft) -> None:
    with session_scope(engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id(name, engine),
            status="accept",
            draft=draft,
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def reviewer_id(name: str, engine=None) -> int:
    owned = engine is None
    engine = engine or make_engine(os.environ["ANNOTATOR_DATABASE_URL"])
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
    if owned:
        engine.dispose()
    return int(reviewer.id)


def sentence_ids(engine) -> list[int]:
    with session_scope(engine) as session:
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]


def annotation_id(engine, sentence_id: int, name: str) -> int:
    with session_scope(engine) as session:
        annotation = repository.annotation_of(
            session=session, sentence_id=sentence_id, reviewer_id=reviewer_id(name, engine)
        )
        return int(annotation.id)


def gold_of(engine, sentence_id: int) -> Gold | None:
    with session_scope(engine) as session:
        return repository.gold_of(session=session, sentence_id=sentence_id)


def queue_ids(at: AppTest) -> list[int]:
    """The sentence ids the queue lists on its page."""
    return [
        int(re.match(r"#(\d+) ", option).group(1))
        for option in at.selectbox(key="adjudicate_pick").options
    ]


def shown(elements: Any) -> list[str]:
    """What st.error / st.success elements show (their Markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", element.value) for element in elements]


def html_bodies(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html")]


def version_cards(at: AppTest) -> dict[str, str]:
    """Each reviewer's version card by reviewer name."""
    cards = {}
    for body in html_bodies(at):
        found = re.search(r'<span class="adj-name">([^<]+)</span>', body)
        if found and "data-annotation" in body:
            cards[found.group(1)] = body
    return cards


def keep_box(at: AppTest, sentence_id: int, layer: str, span: Span) -> Any:
    """The checkbox that keeps a span in the decision (its key carries a revision)."""
    pattern = re.compile(
        rf"adjudicate_keep_{sentence_id}_\d+_{layer}_{span.start_char}_{span.end_char}_{span.label}$"
    )
    (box,) = [c for c in at.checkbox if c.key and pattern.match(c.key)]
    return box


def category_box(at: AppTest, sentence_id: int, category: str) -> Any:
    pattern = re.compile(rf"adjudicate_category_{sentence_id}_\d+_{category}$")
    (box,) = [c for c in at.checkbox if c.key and pattern.match(c.key)]
    return box


def send_edit(at: AppTest, **edit: Any) -> AppTest:
    """Do what the browser does when the span editor sends an edit: set its trigger, rerun."""
    (element,) = [e for e in at.get("bidi_component") if e.key == "adjudicate_editor"]
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events"
    trigger.json_trigger_value = json.dumps([{"event": "edit", "value": edit}])
    return at._run(states)


def spans_of(rows: list[dict[str, Any]]) -> list[Span]:
    return [Span(r["start"], r["end"], r["label"]) for r in rows]


# --- tests ------------------------------------------------------------------------------------


def test_queue_shows_disagreements_and_both_versions_side_by_side(database, open_page, scheme):
    first, second, third, _ = sentence_ids(database)
    at = open_page()
    assert not at.exception and not at.error
    assert queue_ids(at) == [first, third]
    # The first disagreement opens by itself, and the address names it.
    assert at.query_params["sentence"] == str(first)
    assert at.selectbox(key="adjudicate_pick").value == first
    cards = version_cards(at)
    assert set(cards) == {"ana", "ben"}
    # What they disagree on is marked in each card; what they share is not.
    group, org = scheme.get("ARMED_GROUP").colour, scheme.get("ORG").colour
    assert f'adj-ent adj-diff" style="--c:{group}">Arakan Army' in cards["ana"]
    assert f'adj-ent adj-diff" style="--c:{org}">Arakan Army' in cards["ben"]
    assert f'adj-ent" style="--c:{group}">Junta troops' in cards["ana"]
    assert "Not shared by every reviewer: ARMED_GROUP “Arakan Army”." in cards["ana"]
    assert "Not shared by every reviewer: ORG “Arakan Army”." in cards["ben"]
    assert not any("Current gold" in body for body in html_bodies(at))
    assert at.button(key=f"adjudicate_take_{first}_{annotation_id(database, first, 'ana')}")
    at.button(key="adjudicate_next_sentence").click().run()
    assert at.query_params["sentence"] == str(third)
    assert "DISPLACEMENT “fled”" in version_cards(at)["ana"]


def test_agreed_sentences_appear_only_with_the_filters(database, open_page):
    first, second, third, fourth = sentence_ids(database)
    # Auto gold: the agreeing reviewers already made the second sentence gold.
    assert gold_of(database, second).source == "accepted"
    at = open_page()
    at.toggle(key="adjudicate_show_all").set_value(True).run()
    assert queue_ids(at) == [first, third]  # the agreed one has gold: still left out
    at.toggle(key="adjudicate_with_gold").set_value(True).run()
    assert queue_ids(at) == [first, second, third]  # never the singly annotated fourth
    assert any("has gold" in option for option in at.selectbox(key="adjudicate_pick").options)
    at.toggle(key="adjudicate_show_all").set_value(False).run()
    assert queue_ids(at) == [first, third]


def test_taking_a_version_stores_adjudicated_gold_and_opens_the_next(database, open_page):
    first, _, third, _ = sentence_ids(database)
    ana, ben = annotation_id(database, first, "ana"), annotation_id(database, first, "ben")
    at = open_page()
    at.button(key=f"adjudicate_take_{first}_{ben}").click().run()
    assert not at.exception and not at.error
    gold = gold_of(database, first)
    assert gold.source == "adjudicated"
    assert gold.decided_by == reviewer_id("mia")
    assert sorted(gold.from_annotations) == sorted([ana, ben])
    assert spans_of(gold.entities) == list(BEN_FIRST.entities)
    assert spans_of(gold.events) == [CLASH] and gold.categories == ["BATTLES"]
    assert gold.version == 1
    assert any(f"Saved sentence {first} as gold, version 1" in s for s in shown(at.success))
    # The decided sentence leaves the queue and the next disagreement is on screen.
    assert queue_ids(at) == [third]
    assert at.query_params["sentence"] == str(third)


def test_deciding_span_by_span_stores_exactly_the_chosen_spans(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    # It starts from what both gave; "Arakan Army" is undecided.
    assert keep_box(at, first, "entities", TROOPS).value
    assert not keep_box(at, first, "entities", AA_GROUP).value
    assert not keep_box(at, first, "entities", AA_ORG).value
    keep_box(at, first, "entities", AA_GROUP).check().run()
    keep_box(at, first, "entities", SITTWE).uncheck().run()
    category_box(at, first, "STRATEGIC_DEVELOPMENTS").check().run()
    # Keeping the ORG reading replaces the overlapping ARMED_GROUP, and unticks it.
    keep_box(at, first, "entities", AA_ORG).check().run()
    assert not keep_box(at, first, "entities", AA_GROUP).value
    keep_box(at, first, "entities", AA_GROUP).check().run()
    assert not keep_box(at, first, "entities", AA_ORG).value
    at.button(key=f"adjudicate_save_{first}").click().run()
    assert not at.exception and not at.error
    gold = gold_of(database, first)
    assert gold.source == "adjudicated" and gold.decided_by == reviewer_id("mia")
    assert spans_of(gold.entities) == [TROOPS, AA_GROUP]
    assert spans_of(gold.events) == [CLASH]
    assert gold.categories == ["BATTLES", "STRATEGIC_DEVELOPMENTS"]
    assert sorted(gold.from_annotations) == sorted(
        [annotation_id(database, first, "ana"), annotation_id(database, first, "ben")]
    )


def test_the_span_editor_edits_the_decision(database, open_page):
    first = sentence_ids(database)[0]
    at = open_page()
    send_edit(at, action="add", sentence_id=first, start=57, end=63, label="DATE")
    # An edit the checks refuse changes nothing and says why.
    send_edit(at, action="add", sentence_id=first, start=1, end=5, label="DATE")
    assert not at.exception
    (element,) = [e for e in at.get("bidi_component") if e.key == "adjudicate_editor"]
    data = json.loads(element.proto.json)
    assert "Not changed" in (data["message"] or "")
    assert [(s["start"], s["label"]) for s in data["entities"]] == [
        (0, "ARMED_GROUP"),
        (47, "GPE"),
        (57, "DATE"),
    ]
    # The added span is listed with the reviewers' ones, ticked.
    assert keep_box(at, first, "entities", Span(57, 63, "DATE")).value
    at.button(key=f"adjudicate_save_{first}").click().run()
    assert spans_of(gold_of(database, first).entities) == [TROOPS, SITTWE, Span(57, 63, "DATE")]


def test_rejecting_a_sentence_stores_a_rejected_decision_and_opens_the_next(database, open_page):
    first, _, third, _ = sentence_ids(database)
    at = open_page()
    reject_button = at.button(key=f"adjudicate_reject_{first}")
    assert reject_button.proto.shortcut  # beside "Save decision as gold", with its own key
    reject_button.click().run()
    assert not at.exception and not at.error
    gold = gold_of(database, first)
    assert (gold.status, gold.source, gold.decided_by) == (
        "reject",
        "adjudicated",
        reviewer_id("mia"),
    )
    assert (gold.entities, gold.events, gold.categories) == ([], [], [])
    assert any(f"Rejected sentence {first}" in s for s in shown(at.success))
    assert queue_ids(at) == [third] and at.query_params["sentence"] == str(third)
    # Listed with the decided ones, marked as rejected; opened, it says what a reject means.
    at.toggle(key="adjudicate_with_gold").set_value(True).run()
    (label,) = [
        o for o in at.selectbox(key="adjudicate_pick").options if o.startswith(f"#{first} ")
    ]
    assert "rejected" in label
    at.selectbox(key="adjudicate_pick").set_value(first).run()
    assert any("left out of export and training" in i.value for i in at.info)


def test_a_sentence_another_adjudicator_has_open_is_left_out_of_the_queue(database, open_page):
    first, _, third, _ = sentence_ids(database)
    zoe = open_page("zoe")  # zoe opens the first disagreement: it is hers for a while
    assert zoe.query_params["sentence"] == str(first)
    at = open_page()
    assert not at.exception and not at.error
    assert queue_ids(at) == [third] and at.query_params["sentence"] == str(third)
    # A link opens it anyway, saying who else has it open.
    at = open_page(sentence=first)
    assert any("zoe" in w.value and "open" in w.value for w in at.warning)


def test_a_save_after_another_adjudicators_is_refused_and_overwrites_nothing(
    database, scheme, open_page
):
    first = sentence_ids(database)[0]
    ana = annotation_id(database, first, "ana")
    at = open_page()  # mia opens the sentence: no gold yet
    with session_scope(database) as session:  # meanwhile zoe decides it
        adjudicating.take_version(
            session=session,
            annotation_id=ana,
            adjudicator_id=reviewer_id("zoe"),
            expected_version=None,
            scheme=scheme,
        )
    at.button(key=f"adjudicate_save_{first}").click().run()
    assert not at.exception
    (error,) = shown(at.error)
    assert "was saved meanwhile by zoe (an adjudication)" in error
    assert "your decision was not saved" in error
    gold = gold_of(database, first)
    assert gold.decided_by == reviewer_id("zoe") and gold.version == 1
    assert spans_of(gold.entities) == list(ANA_FIRST.entities)
    # Saving again from the same stale view is refused again; the page says why beforehand.
    assert any("you saw no gold, it is now version 1" in w.value for w in at.warning)
    at.button(key=f"adjudicate_take_{first}_{annotation_id(database, first, 'ben')}").click().run()
    assert at.error and gold_of(database, first).decided_by == reviewer_id("zoe")
    # Reloading shows zoe's gold; a decision made on it is stored as the next version.
    at.button(key=f"adjudicate_reload_{first}").click().run()
    assert not at.warning
    assert any("Current gold, version 1" in body and "by zoe" in body for body in html_bodies(at))
    at.button(key=f"adjudicate_take_{first}_{annotation_id(database, first, 'ben')}").click().run()
    assert not at.error
    gold = gold_of(database, first)
    assert gold.version == 2 and gold.decided_by == reviewer_id("mia")
    assert spans_of(gold.entities) == list(BEN_FIRST.entities)


def test_a_link_opens_a_sentence_with_its_gold(database, open_page):
    first, second, _, _ = sentence_ids(database)
    at = open_page(sentence=second)
    assert not at.exception and not at.error
    assert at.query_params["sentence"] == str(second)
    assert at.selectbox(key="adjudicate_pick").value is None  # agreed: not in the queue
    assert set(version_cards(at)) == {"ana", "ben"}
    (gold_card,) = [body for body in html_bodies(at) if "Current gold" in body]
    assert "version 1" in gold_card and "accepted by" in gold_card and "from ana, ben" in gold_card
    assert "Yangon" in gold_card
    # Picking from the queue changes the address.
    at.selectbox(key="adjudicate_pick").set_value(first).run()
    assert at.query_params["sentence"] == str(first)
    assert at.selectbox(key="adjudicate_pick").value == first


def test_a_bad_link_says_so(database, open_page):
    at = open_page(sentence="<b>x</b>")
    assert not at.exception
    assert any("must be a sentence id" in e.value for e in at.error)
    assert "<b>" not in " ".join(e.value for e in at.error)
    at = open_page(sentence=999)
    assert any("Sentence 999 does not exist" in e.value for e in at.error)


def test_report_text_and_names_are_escaped(database, scheme, tmp_path, open_page):
    hostile = "<img src=x onerror=alert(1)> fled <b>Kani</b>."
    path = tmp_path / "hostile.txt"
    path.write_text(hostile, encoding="utf-8")
    with session_scope(database) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        accounts.create_reviewer(
            session=session, name="<i>eve</i>", password=PASSWORD, role="annotator"
        )
    sentence_id = sentence_ids(database)[-1]
    fled = hostile.index("fled")
    save(
        database, scheme, sentence_id, "ana", Draft(events=(Span(fled, fled + 4, "DISPLACEMENT"),))
    )
    save(database, scheme, sentence_id, "<i>eve</i>", Draft())
    at = open_page(sentence=sentence_id)
    assert not at.exception
    bodies = " ".join(html_bodies(at))
    assert "&lt;img src=x onerror=alert(1)&gt;" in bodies and "<img" not in bodies
    assert "&lt;i&gt;eve&lt;/i&gt;" in bodies and "<i>eve" not in bodies


def test_the_queue_pages(database, monkeypatch, open_page):
    first, _, third, _ = sentence_ids(database)
    monkeypatch.setattr("annotator.ui.adjudicate.PAGE_SIZE", 1)
    at = open_page()
    assert queue_ids(at) == [first]
    at.button(key="adjudicate_page_next").click().run()
    assert queue_ids(at) == [third]
    at.button(key="adjudicate_page_back").click().run()
    assert queue_ids(at) == [first]


def test_an_annotator_is_refused(database, open_page):
    at = open_page("ana")
    assert not at.exception
    assert [e.value for e in at.error] == ["This page is not open to the annotator role."]
    assert not at.selectbox and not at.button and not at.get("html")
