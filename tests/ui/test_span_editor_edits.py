"""Edits from the span editor, checked in Python before they touch a draft."""

from __future__ import annotations

import copy

import pytest

from annotator.tokens import token_bounds
from annotator.ui.span_editor.edits import EditError, apply_edit, parse_edit

TEXT = "Junta troops clashed with the Arakan Army near Sittwe."
ROWS = {
    "entities": [{"start": 30, "end": 41, "label": "ORG", "suggested": True}],
    "events": [{"start": 13, "end": 20, "label": "ARMED_CLASH", "suggested": True}],
}


def edit(scheme, **fields):  # type: ignore[no-untyped-def]
    return apply_edit(
        parse_edit({"sentence_id": 1, **fields}),
        ROWS,
        text=TEXT,
        token_bounds=token_bounds(TEXT),
        scheme=scheme,
    )


def test_an_edit_leaves_the_given_rows_alone(scheme):
    before = copy.deepcopy(ROWS)
    rows, notice = edit(scheme, action="add", start=47, end=53, label="GPE")
    assert ROWS == before
    assert rows["entities"][-1] == {"start": 47, "end": 53, "label": "GPE", "suggested": False}
    assert notice == "Added GPE “Sittwe”."


def test_relabelling_an_entity_with_an_event_key_moves_it_to_the_events(scheme):
    rows, _ = edit(
        scheme, action="relabel", layer="entities", index=0, start=30, end=41, label="ARREST"
    )
    assert rows["entities"] == []
    assert [(r["start"], r["label"], r["suggested"]) for r in rows["events"]] == [
        (13, "ARMED_CLASH", True),
        (30, "ARREST", False),
    ]


def test_the_same_event_twice_is_refused(scheme):
    with pytest.raises(EditError, match="duplicate event span"):
        edit(scheme, action="add", start=13, end=20, label="ARMED_CLASH")


@pytest.mark.parametrize("payload", [None, [], {"action": "add"}, {"action": "add", "start": True}])
def test_malformed_payloads_are_refused(payload):
    with pytest.raises(EditError, match="malformed edit"):
        parse_edit(payload)


# --- event arguments ---------------------------------------------------------------------------

NOTE = "On 3 May, junta troops shot two villagers in Kanbalu township."
SHOT = {"start": 23, "end": 27, "label": "ATTACK_ON_CIVILIANS"}
TROOPS = {"start": 10, "end": 22, "label": "ARMED_GROUP"}
DATE = {"start": 3, "end": 8, "label": "DATE"}
TWO = {"start": 28, "end": 31, "label": "CARDINAL"}
KANBALU = {"start": 45, "end": 61, "label": "GPE"}


def note_rows(*arguments):  # type: ignore[no-untyped-def]
    return {
        "entities": [{**span, "suggested": False} for span in (DATE, TROOPS, TWO, KANBALU)],
        "events": [{**SHOT, "suggested": False}],
        "arguments": list(arguments),
    }


def argument(role, entity, *, suggested=False):  # type: ignore[no-untyped-def]
    return {"event": dict(SHOT), "role": role, **entity, "suggested": suggested}


def argue(scheme, rows, action, role, entity, *, text=NOTE, event=SHOT):  # type: ignore[no-untyped-def]
    return apply_edit(
        parse_edit({"action": action, "sentence_id": 1, "event": event, "role": role, **entity}),
        rows,
        text=text,
        token_bounds=token_bounds(text),
        scheme=scheme,
    )


def roles_of(rows):  # type: ignore[no-untyped-def]
    return [(NOTE[r["start"] : r["end"]], r["role"], r["suggested"]) for r in rows["arguments"]]


def test_a_role_key_and_an_entity_add_an_argument_of_the_trigger(scheme):
    rows, notice = argue(scheme, note_rows(), "add_argument", "ACTOR", TROOPS)
    rows, _ = argue(scheme, rows, "add_argument", "LOCATION", KANBALU)
    assert roles_of(rows) == [
        ("junta troops", "ACTOR", False),
        ("Kanbalu township", "LOCATION", False),
    ]
    assert rows["arguments"][0]["event"] == SHOT
    assert notice == "“junta troops” is ACTOR of “shot”."


def test_an_entity_given_another_role_is_reassigned_and_a_single_role_moves(scheme):
    rows, notice = argue(
        scheme, note_rows(argument("ACTOR", TROOPS)), "add_argument", "TARGET", TROOPS
    )
    assert roles_of(rows) == [("junta troops", "TARGET", False)]
    assert notice == "“junta troops” is TARGET of “shot” (was ACTOR)."
    # TIME is given once: another date takes its place.
    day, month = {"start": 3, "end": 4, "label": "DATE"}, {"start": 5, "end": 8, "label": "DATE"}
    rows = note_rows(argument("TIME", day))
    rows["entities"][0:1] = [{**day, "suggested": False}, {**month, "suggested": False}]
    rows, notice = argue(scheme, rows, "add_argument", "TIME", month)
    assert roles_of(rows) == [("May", "TIME", False)]
    assert notice == "“May” is TIME of “shot” (instead of “3”)."


def test_a_suggested_argument_is_confirmed_by_giving_it_its_role_again(scheme):
    rows, notice = argue(
        scheme, note_rows(argument("COUNT", TWO, suggested=True)), "add_argument", "COUNT", TWO
    )
    assert roles_of(rows) == [("two", "COUNT", False)]
    assert notice == "Confirmed COUNT “two” of “shot”."


def test_an_argument_is_removed_and_the_others_stay(scheme):
    rows, notice = argue(
        scheme,
        note_rows(argument("ACTOR", TROOPS), argument("COUNT", TWO)),
        "remove_argument",
        "ACTOR",
        TROOPS,
    )
    assert roles_of(rows) == [("two", "COUNT", False)]
    assert notice == "Removed ACTOR “junta troops” of “shot”."


@pytest.mark.parametrize(
    ("role", "entity", "message"),
    [
        (
            "ACTOR",
            KANBALU,
            "“Kanbalu township” is a GPE and cannot be ACTOR of “shot”: ACTOR takes "
            "ARMED_GROUP, ORG or PERSON",
        ),
        ("TIME", TWO, "“two” is a CARDINAL and cannot be TIME of “shot”: TIME takes DATE"),
        ("WEAPON", TROOPS, "unknown role 'WEAPON' (the scheme's roles: ACTOR, TARGET"),
        (
            "TARGET",
            {"start": 32, "end": 41, "label": "PERSON"},
            "“villagers” is not an entity of the draft: an argument is an entity span",
        ),
    ],
)
def test_an_argument_the_scheme_refuses_is_explained_and_nothing_changes(
    scheme, role, entity, message
):
    rows = note_rows()
    with pytest.raises(EditError) as refused:
        argue(scheme, rows, "add_argument", role, entity)
    assert str(refused.value).startswith(message)
    assert rows["arguments"] == []


def test_an_argument_of_a_trigger_no_longer_there_is_refused(scheme):
    gone = {"start": 32, "end": 41, "label": "ATTACK_ON_CIVILIANS"}
    with pytest.raises(EditError, match="that event trigger is no longer in the draft"):
        argue(scheme, note_rows(), "add_argument", "ACTOR", TROOPS, event=gone)


def test_a_removed_entity_takes_its_argument_with_it(scheme):
    rows = note_rows(argument("ACTOR", TROOPS), argument("LOCATION", KANBALU))
    new, notice = apply_edit(
        parse_edit(
            {"action": "remove", "sentence_id": 1, "layer": "entities", "index": 1, **TROOPS}
        ),
        rows,
        text=NOTE,
        token_bounds=token_bounds(NOTE),
        scheme=scheme,
    )
    assert roles_of(new) == [("Kanbalu township", "LOCATION", False)]
    assert notice == (
        "Removed ARMED_GROUP “junta troops”, with its argument ACTOR “junta troops” of “shot”."
    )
    assert len(rows["arguments"]) == 2  # the rows given are left alone


def test_a_relabelled_trigger_takes_its_arguments_with_it(scheme):
    rows = note_rows(argument("ACTOR", TROOPS), argument("COUNT", TWO))
    new, notice = apply_edit(
        parse_edit(
            {
                "action": "relabel",
                "sentence_id": 1,
                "layer": "events",
                "index": 0,
                "start": 23,
                "end": 27,
                "label": "ARMED_CLASH",
            }
        ),
        rows,
        text=NOTE,
        token_bounds=token_bounds(NOTE),
        scheme=scheme,
    )
    assert new["events"][0]["label"] == "ARMED_CLASH"
    assert new["arguments"] == []
    assert notice.endswith(
        "with its arguments ACTOR “junta troops” of “shot”; COUNT “two” of “shot”."
    )


def test_an_argument_edit_reads_browser_offsets_after_an_emoji(scheme):
    text = "🔥 Troops shot two."
    rows = {
        "entities": [{"start": 2, "end": 8, "label": "ARMED_GROUP", "suggested": False}],
        "events": [{"start": 9, "end": 13, "label": "ATTACK_ON_CIVILIANS", "suggested": False}],
    }
    # The browser counts the emoji as two units: every offset after it is one more.
    new, _ = argue(
        scheme,
        rows,
        "add_argument",
        "ACTOR",
        {"start": 3, "end": 9, "label": "ARMED_GROUP"},
        text=text,
        event={"start": 10, "end": 14, "label": "ATTACK_ON_CIVILIANS"},
    )
    assert new["arguments"] == [
        {
            "event": {"start": 9, "end": 13, "label": "ATTACK_ON_CIVILIANS"},
            "role": "ACTOR",
            "start": 2,
            "end": 8,
            "label": "ARMED_GROUP",
            "suggested": False,
        }
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "add_argument", "sentence_id": 1, "role": "ACTOR", **TROOPS},
        {"action": "add_argument", "sentence_id": 1, "event": SHOT, **TROOPS},
        {"action": "remove_argument", "sentence_id": 1, "event": SHOT, "role": "ACTOR"},
    ],
)
def test_malformed_argument_edits_are_refused(payload):
    with pytest.raises(EditError, match="malformed edit"):
        parse_edit(payload)
