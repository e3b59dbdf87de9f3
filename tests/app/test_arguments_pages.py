"""Event arguments on the annotate and adjudicate pages, driven by AppTest against a real SQLite
database: suggested arguments shown to confirm, edits from the editor checked and stored with
the decision, a removed span's arguments gone; reviewers' arguments side by side with their
differences marked, taken with a version or ticked one by one into the gold."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.models import Sentence, Suggestion
from annotator.spans import Argument, Draft, Span
from annotator.workflow import GoldPolicy

PASSWORD = "correct horse battery"
NOTE = "On 3 May, junta troops shot two villagers in Kanbalu township."
DATE = Span(3, 8, "DATE")
TROOPS = Span(10, 22, "ARMED_GROUP")
TWO = Span(28, 31, "CARDINAL")
KANBALU = Span(45, 61, "GPE")
SHOT = Span(23, 27, "ATTACK_ON_CIVILIANS")
SPANS = Draft(entities=(DATE, TROOPS, TWO, KANBALU), events=(SHOT,))


def with_arguments(*arguments: Argument) -> Draft:
    return Draft(entities=SPANS.entities, events=SPANS.events, arguments=arguments)


def rows(span: Span) -> dict[str, Any]:
    return span.to_dict()


@pytest.fixture
def note(app_database, scheme, tmp_path) -> int:  # type: ignore[no-untyped-def]
    """One note of one sentence; ana and ben annotate, mia adjudicates."""
    app_database.add_accounts(
        {"ana": "annotator", "ben": "annotator", "mia": "adjudicator"}, password=PASSWORD
    )
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    with session_scope(app_database.engine) as session:
        return int(session.exec(select(Sentence.id)).one())


def suggest(engine, sentence_id: int, draft: Draft) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        session.add(
            Suggestion(
                sentence_id=sentence_id, model_name="seeded", model_version="1", **draft.rows()
            )
        )


def editor(at: AppTest, key: str) -> Any:
    (element,) = [e for e in at.get("bidi_component") if e.key == key]
    return element


def editor_data(at: AppTest, key: str = "annotate_editor") -> dict[str, Any]:
    return json.loads(editor(at, key).proto.json)


def send(at: AppTest, name: str, value: dict[str, Any], *, key: str = "annotate_editor") -> AppTest:
    """Do what the browser does when the editor under ``key`` sends its event ``name``: set its
    trigger, rerun."""
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{editor(at, key).proto.id}__events"
    trigger.json_trigger_value = json.dumps([{"event": name, "value": value}])
    return at._run(states)


def decide(at: AppTest, action: str, sentence_id: int) -> AppTest:
    return send(at, "decide", {"action": action, "sentence_id": sentence_id})


def argue(
    at: AppTest,
    sentence_id: int,
    role: str,
    entity: Span,
    *,
    action: str = "add_argument",
    key: str = "annotate_editor",
) -> AppTest:
    """The editor under ``key`` sends an argument edit of the trigger "shot"."""
    payload = {"action": action, "sentence_id": sentence_id, "event": rows(SHOT), "role": role}
    return send(at, "edit", {**payload, **rows(entity)}, key=key)


def shown_arguments(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    text = data["text"]
    return [(a["role"], text[a["start"] : a["end"]], a["suggested"]) for a in data["arguments"]]


def stored(engine, sentence_id: int, name: str) -> Draft:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
        annotation = repository.annotation_of(
            session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
        )
        return Draft.of(annotation)


def gold_draft(engine, sentence_id: int) -> Draft:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        gold = repository.gold_of(session=session, sentence_id=sentence_id)
        assert gold is not None
        return Draft.of(gold)


# --- the annotate page --------------------------------------------------------------------------


@pytest.fixture
def annotate(note, app_database, monkeypatch, run_page):  # type: ignore[no-untyped-def]
    """The annotate page as ana, over the note with a suggestion that has a LOCATION."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    suggest(app_database.engine, note, with_arguments(Argument(SHOT, "LOCATION", KANBALU)))
    return run_page("pages/annotate.py", "ana")


def test_the_editor_gets_the_roles_and_the_suggested_arguments_to_confirm(annotate, scheme):
    data = editor_data(annotate)
    assert shown_arguments(data) == [("LOCATION", "Kanbalu township", True)]
    assert data["arguments"][0]["event"] == {"start": 23, "end": 27, "label": SHOT.label}
    roles = {role["name"]: role for role in data["roles"]}
    assert list(roles) == ["ACTOR", "TARGET", "LOCATION", "TIME", "COUNT"]
    assert [roles[name]["key"] for name in roles] == ["y", "t", "w", "i", "k"]
    assert roles["LOCATION"]["accepts"] == ["GPE", "LOC", "FAC"]
    assert roles["TIME"]["repeat"] is False
    assert roles["ACTOR"]["colour"] == scheme.get("ACTOR").colour
    assert roles["ACTOR"]["ink"] == "#ffffff"


def test_arguments_added_in_the_editor_are_stored_with_the_decision(annotate, note, app_database):
    at = argue(annotate, note, "ACTOR", TROOPS)
    at = argue(at, note, "COUNT", TWO)
    at = argue(at, note, "LOCATION", KANBALU)  # confirms the suggestion
    assert not at.exception and not at.error
    assert shown_arguments(editor_data(at)) == [
        ("ACTOR", "junta troops", False),
        ("COUNT", "two", False),
        ("LOCATION", "Kanbalu township", False),
    ]
    assert editor_data(at)["notice"] == "Confirmed LOCATION “Kanbalu township” of “shot”."
    at = decide(at, "accept", note)
    assert not at.exception
    assert set(stored(app_database.engine, note, "ana").arguments) == {
        Argument(SHOT, "ACTOR", TROOPS),
        Argument(SHOT, "COUNT", TWO),
        Argument(SHOT, "LOCATION", KANBALU),
    }
    assert set(gold_draft(app_database.engine, note).arguments) == set(
        stored(app_database.engine, note, "ana").arguments
    )


def test_an_argument_the_scheme_refuses_is_explained_in_the_editor(annotate, note):
    at = argue(annotate, note, "ACTOR", KANBALU)
    data = editor_data(at)
    assert data["message"] == (
        "Not changed: “Kanbalu township” is a GPE and cannot be ACTOR of “shot”: ACTOR takes "
        "ARMED_GROUP, ORG or PERSON"
    )
    assert shown_arguments(data) == [("LOCATION", "Kanbalu township", True)]


def test_a_removed_entity_takes_its_argument_and_a_removed_argument_is_not_stored(
    annotate, note, app_database
):
    at = argue(annotate, note, "ACTOR", TROOPS)
    at = argue(at, note, "ACTOR", TROOPS, action="remove_argument")
    assert shown_arguments(editor_data(at)) == [("LOCATION", "Kanbalu township", True)]
    removal = {"action": "remove", "sentence_id": note, "layer": "entities", "index": 3}
    at = send(at, "edit", {**removal, **rows(KANBALU)})
    data = editor_data(at)
    assert data["arguments"] == []
    assert data["notice"] == (
        "Removed GPE “Kanbalu township”, with its argument LOCATION “Kanbalu township” of “shot”."
    )
    at = decide(at, "accept", note)
    assert stored(app_database.engine, note, "ana").arguments == ()


def test_confirm_all_confirms_the_suggested_arguments_and_accept_stores_them(
    annotate, note, app_database
):
    at = decide(annotate, "confirm", note)
    assert shown_arguments(editor_data(at)) == [("LOCATION", "Kanbalu township", False)]
    at = decide(at, "accept", note)
    assert stored(app_database.engine, note, "ana").arguments == (
        Argument(SHOT, "LOCATION", KANBALU),
    )


def test_undo_brings_the_arguments_back_as_they_were_decided(annotate, note):
    at = argue(annotate, note, "ACTOR", TROOPS)
    at = decide(at, "accept", note)
    at = at.button(key="annotate_undo").click().run()  # nothing left: the page's own Undo
    assert not at.exception
    assert shown_arguments(editor_data(at)) == [
        ("ACTOR", "junta troops", False),
        ("LOCATION", "Kanbalu township", False),
    ]


def test_the_span_list_without_the_editor_lists_the_arguments_and_removes_one(
    note, app_database, monkeypatch, run_page
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    suggest(app_database.engine, note, with_arguments(Argument(SHOT, "LOCATION", KANBALU)))
    at = run_page("pages/annotate.py", "ana", state={"annotate_fallback": True})
    assert "shot · LOCATION · Kanbalu township · suggested" in [t.value for t in at.text]
    (remove,) = [b for b in at.button if b.key and b.key.startswith("annotate_remove_argument_")]
    at = remove.click().run()
    assert not at.exception
    assert editor_data(at)["arguments"] == []
    # A span relabelled there takes its arguments with it too.
    at = argue(at, note, "ACTOR", TROOPS)
    at.selectbox(key=f"annotate_relabel_{note}_entities_1_10_22").select("ORG").run()
    assert editor_data(at)["arguments"] == []


# --- the adjudicate page ------------------------------------------------------------------------

# ana and ben agree on the spans, the actor and the place; not on the count or what the troops
# are (ben has them TARGET, as well as a TIME).
ANA = with_arguments(
    Argument(SHOT, "ACTOR", TROOPS),
    Argument(SHOT, "COUNT", TWO),
    Argument(SHOT, "LOCATION", KANBALU),
)
BEN = with_arguments(
    Argument(SHOT, "TARGET", TROOPS),
    Argument(SHOT, "LOCATION", KANBALU),
    Argument(SHOT, "TIME", DATE),
)


@pytest.fixture
def adjudicate(note, app_database, monkeypatch, scheme, run_page):  # type: ignore[no-untyped-def]
    """ana's and ben's decisions of the note (the same spans, other arguments), as mia sees
    them on the adjudicate page."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    for name, draft in (("ana", ANA), ("ben", BEN)):
        with session_scope(app_database.engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=note,
                reviewer_id=app_database.reviewer_id(name),
                status="accept",
                draft=draft,
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    return run_page("pages/adjudicate.py", "mia")


def cards(at: AppTest) -> dict[str, str]:
    found = {}
    for body in (h.value for h in at.get("html")):
        name = re.search(r'<span class="adj-name">([^<]+)</span>', body)
        if name and "data-annotation" in body:
            found[name.group(1)] = body
    return found


def argument_box(at: AppTest, sentence_id: int, argument: Argument) -> Any:
    entity = argument.entity
    pattern = re.compile(
        rf"adjudicate_argument_{sentence_id}_\d+_{SHOT.start_char}_{SHOT.end_char}_{SHOT.label}_"
        rf"{argument.role}_{entity.start_char}_{entity.end_char}_{entity.label}$"
    )
    (box,) = [c for c in at.checkbox if c.key and pattern.match(c.key)]
    return box


def test_arguments_alone_make_a_disagreement_shown_side_by_side(adjudicate, note):
    at = adjudicate
    assert not at.exception and not at.error
    assert at.query_params["sentence"] == str(note)  # in the queue: the arguments differ
    shown = cards(at)
    assert set(shown) == {"ana", "ben"}
    # The shared place is plain; what one reviewer alone gave is outlined and marked.
    assert re.search(
        r'<span class="adj-arg" [^>]*><span class="adj-role">LOCATION</span>'
        r'<span class="adj-quote">Kanbalu township</span>',
        shown["ana"],
    )
    assert re.search(
        r'<span class="adj-arg adj-diff" [^>]*><span class="adj-role"><span class="adj-mark">≠'
        r'</span>ACTOR</span><span class="adj-quote">junta troops</span>',
        shown["ana"],
    )
    assert 'adj-mark">≠</span>TARGET</span><span class="adj-quote">junta troops' in shown["ben"]
    assert (
        "Not shared by every reviewer: ACTOR “junta troops” of “shot”; COUNT “two” of “shot”."
        in shown["ana"]
    )
    assert "Missing 2 that others gave." in shown["ana"]


def test_taking_a_version_takes_its_arguments(adjudicate, note, app_database):
    with session_scope(app_database.engine) as session:
        ben_id = repository.annotation_of(
            session=session, sentence_id=note, reviewer_id=app_database.reviewer_id("ben")
        ).id
    at = adjudicate.button(key=f"adjudicate_take_{note}_{ben_id}").click().run()
    assert not at.exception and not at.error
    assert set(gold_draft(app_database.engine, note).arguments) == set(BEN.arguments)


def test_arguments_decided_one_by_one_are_the_gold(adjudicate, note, app_database):
    at = adjudicate
    # It starts from what both gave: the place only.
    assert argument_box(at, note, Argument(SHOT, "LOCATION", KANBALU)).value
    assert not argument_box(at, note, Argument(SHOT, "ACTOR", TROOPS)).value
    argument_box(at, note, Argument(SHOT, "ACTOR", TROOPS)).check().run()
    argument_box(at, note, Argument(SHOT, "TIME", DATE)).check().run()
    # The troops are ben's TARGET too: ticking it re-assigns them, and unticks the ACTOR.
    argument_box(at, note, Argument(SHOT, "TARGET", TROOPS)).check().run()
    assert not argument_box(at, note, Argument(SHOT, "ACTOR", TROOPS)).value
    argument_box(at, note, Argument(SHOT, "ACTOR", TROOPS)).check().run()
    assert not at.exception and not at.error
    at.button(key=f"adjudicate_save_{note}").click().run()
    assert not at.exception and not at.error
    assert set(gold_draft(app_database.engine, note).arguments) == {
        Argument(SHOT, "ACTOR", TROOPS),
        Argument(SHOT, "LOCATION", KANBALU),
        Argument(SHOT, "TIME", DATE),
    }


def test_the_adjudicators_editor_adds_arguments_and_unticking_a_span_drops_its_own(
    adjudicate, note, app_database
):
    at = argue(adjudicate, note, "COUNT", TWO, key="adjudicate_editor")
    assert not at.exception
    assert argument_box(at, note, Argument(SHOT, "COUNT", TWO)).value
    data = editor_data(at, "adjudicate_editor")
    assert [(a["role"], a["start"]) for a in data["arguments"]] == [
        ("COUNT", 28),
        ("LOCATION", 45),
    ]
    # Taking the place out of the decision takes its LOCATION with it.
    pattern = re.compile(rf"adjudicate_keep_{note}_\d+_entities_45_61_GPE$")
    (box,) = [c for c in at.checkbox if c.key and pattern.match(c.key)]
    box.uncheck().run()
    assert not argument_box(at, note, Argument(SHOT, "LOCATION", KANBALU)).value
    at.button(key=f"adjudicate_save_{note}").click().run()
    assert not at.exception and not at.error
    gold = gold_draft(app_database.engine, note)
    assert KANBALU not in gold.entities
    assert gold.arguments == (Argument(SHOT, "COUNT", TWO),)
