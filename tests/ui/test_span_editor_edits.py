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
