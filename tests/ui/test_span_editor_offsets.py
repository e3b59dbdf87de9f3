"""The span editor counts as the browser does (UTF-16 code units), the text as Python does (code
points): offsets are converted where they cross, both ways, so a span after an emoji, over a
combining mark or across a CRLF is stored exactly as it was marked."""

from __future__ import annotations

import pytest

from annotator.tokens import token_bounds
from annotator.ui.span_editor import editor_data
from annotator.ui.span_editor.edits import EditError, apply_edit, parse_edit
from annotator.ui.span_editor.units import code_point_offset, utf16_offsets

EMOJI = "🔥 Fighting in Lashio"  # U+1F525 is two UTF-16 units
COMBINING = "Cafe\u0301 owners fled Lashio"  # e and U+0301: two code points, one letter
CRLF = "Clashes in\r\nLashio today"
NO_ROWS: dict[str, list[dict[str, object]]] = {"entities": [], "events": []}


def browser_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's ``text.slice(start, end)`` gives."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def data_for(text: str, scheme, rows=NO_ROWS):  # type: ignore[no-untyped-def]
    return editor_data(
        sentence_id=1,
        text=text,
        token_bounds=token_bounds(text),
        rows=rows,
        scheme=scheme,
        revision=0,
    )


def test_utf16_offsets_count_two_units_for_a_character_beyond_the_bmp():
    assert utf16_offsets(EMOJI)[:4] == [0, 2, 3, 4]
    assert utf16_offsets(EMOJI)[-1] == len(EMOJI.encode("utf-16-le")) // 2
    assert utf16_offsets(COMBINING) == list(range(len(COMBINING) + 1))
    assert code_point_offset(EMOJI, 15) == 14
    with pytest.raises(ValueError, match="inside"):
        code_point_offset(EMOJI, 1)  # between the two halves of the emoji
    with pytest.raises(ValueError, match="outside"):
        code_point_offset(EMOJI, 99)


@pytest.mark.parametrize("text", [EMOJI, COMBINING, CRLF])
def test_the_browser_gets_each_word_at_its_own_units(text, scheme):
    start, end = token_bounds(text)[2]
    rows = {"entities": [{"start": start, "end": end, "label": "GPE"}], "events": []}
    data = data_for(text, scheme, rows)
    assert data["text"] == text
    words = [browser_slice(text, a, b) for a, b in data["tokens"]]
    assert words == [text[a:b] for a, b in token_bounds(text)]
    (entity,) = data["entities"]
    assert browser_slice(text, entity["start"], entity["end"]) == text[start:end]


@pytest.mark.parametrize("text", [EMOJI, COMBINING, CRLF])
def test_an_edit_made_in_the_browser_is_stored_at_the_words_code_points(text, scheme):
    words = token_bounds(text)
    data = data_for(text, scheme)
    first, last = data["tokens"][1], data["tokens"][2]
    edit = parse_edit(
        {"action": "add", "sentence_id": 1, "start": first[0], "end": last[1], "label": "GPE"}
    )
    rows, notice = apply_edit(edit, NO_ROWS, text=text, token_bounds=words, scheme=scheme)
    (added,) = rows["entities"]
    assert (added["start"], added["end"]) == (words[1][0], words[2][1])
    assert notice == f"Added GPE “{text[words[1][0] : words[2][1]]}”."


def test_a_span_after_an_emoji_is_relabelled_and_removed_by_its_browser_offsets(scheme):
    lashio = {"start": 14, "end": 20, "label": "LOC", "suggested": True}
    rows = {"entities": [lashio], "events": []}
    (shown,) = data_for(EMOJI, scheme, rows)["entities"]
    assert (shown["start"], shown["end"]) == (15, 21)
    words = token_bounds(EMOJI)
    at = {"sentence_id": 1, "layer": "entities", "index": 0, "start": 15, "end": 21}
    relabelled, _ = apply_edit(
        parse_edit({"action": "relabel", "label": "GPE", **at}),
        rows,
        text=EMOJI,
        token_bounds=words,
        scheme=scheme,
    )
    assert relabelled["entities"] == [{**lashio, "label": "GPE", "suggested": False}]
    removed, notice = apply_edit(
        parse_edit({"action": "remove", **at}), rows, text=EMOJI, token_bounds=words, scheme=scheme
    )
    assert removed["entities"] == [] and notice == "Removed LOC “Lashio”."


def test_an_edit_that_splits_a_character_is_refused(scheme):
    edit = parse_edit({"action": "add", "sentence_id": 1, "start": 1, "end": 11, "label": "GPE"})
    with pytest.raises(EditError, match="split a character"):
        apply_edit(edit, NO_ROWS, text=EMOJI, token_bounds=token_bounds(EMOJI), scheme=scheme)
