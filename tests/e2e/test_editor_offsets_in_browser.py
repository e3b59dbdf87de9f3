"""Spans marked in the browser are stored exactly: after an emoji (two UTF-16 units, one code
point), over a letter with a combining mark, and across a CRLF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import Sentence
from annotator.workflow import GoldPolicy

pytestmark = pytest.mark.e2e

EMOJI = "🔥 Fighting in Lashio."
COMBINING = "Cafe\u0301 owners fled Lashio."
CRLF = "Clashes in\r\nLashio today."


@pytest.fixture
def awkward_sentences(database_url: str, tmp_path: Path, scheme) -> list[int]:  # type: ignore[no-untyped-def]
    """Three records kept whole (a CRLF would split one), which JavaScript and Python count
    differently."""
    path = tmp_path / "awkward.jsonl"
    path.write_text(
        "".join(json.dumps({"text": text}) + "\n" for text in (EMOJI, COMBINING, CRLF)),
        encoding="utf-8",
    )
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme, keep_records=True),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        sentences = list(session.exec(select(Sentence).order_by(Sentence.id)))
    engine.dispose()
    assert [s.text for s in sentences] == [EMOJI, COMBINING, CRLF]
    return [int(s.id) for s in sentences if s.id is not None]


def word(page: Page, text: str) -> Locator:
    return page.locator(".ca-text .ca-tok").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def shown_text(page: Page) -> str:
    return str(
        page.locator(".ca-text").evaluate(
            "t => [...t.querySelectorAll('.ca-tok, .ca-gap')].map(e => e.textContent).join('')"
        )
    )


def quoted(page: Page) -> str:
    """The words of the selection, as the editor's status line quotes them."""
    return str(page.locator(".ca-status .ca-quote").text_content())


def test_spans_after_an_emoji_over_a_combining_mark_and_across_a_crlf_are_stored_exactly(
    start_app, awkward_sentences, page, log_in
):
    emoji, combining, crlf = awkward_sentences
    app = start_app()
    log_in(page, app.url)

    # After the emoji, with the keyboard: the last word but the full stop.
    expect(page.locator(".ca-text")).to_contain_text("Fighting")
    assert shown_text(page) == EMOJI
    for key in ("End", "ArrowLeft"):
        page.keyboard.press(key)
    assert quoted(page) == "Lashio"
    page.keyboard.press("s")
    expect(page.locator(".ca-badge", has_text="GPE")).to_have_count(1)
    page.keyboard.press("a")

    # A letter and its combining mark, with the mouse; a word after it.
    expect(page.locator(".ca-text")).to_contain_text("owners")
    assert shown_text(page) == COMBINING
    word(page, "Cafe\u0301").click()
    assert quoted(page) == "Cafe\u0301"
    page.keyboard.press("o")
    expect(page.locator(".ca-badge", has_text="ORG")).to_have_count(1)
    word(page, "Lashio").click()
    page.keyboard.press("s")
    expect(page.locator(".ca-badge", has_text="GPE")).to_have_count(1)
    page.keyboard.press("a")

    # A span across the CRLF, dragged; a word after it.
    expect(page.locator(".ca-text")).to_contain_text("today")
    assert shown_text(page) == CRLF
    start = word(page, "Clashes").bounding_box()
    end = word(page, "Lashio").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 3, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] - 3, end["y"] + end["height"] / 2, steps=6)
    page.mouse.up()
    assert quoted(page) == "Clashes in\r\nLashio"
    page.keyboard.press("1")  # ARMED_CLASH, and the new event is selected
    expect(page.locator(".ca-badge.ca-selected", has_text="ARMED_CLASH")).to_have_count(1)
    word(page, "Lashio").click()  # past the selected event: a new span on the word
    expect(page.locator(".ca-status")).to_contain_text("new span")
    page.keyboard.press("s")
    expect(page.locator(".ca-badge", has_text="GPE")).to_have_count(1)
    page.keyboard.press("a")
    expect(page.get_by_text("Nothing left to annotate.")).to_be_visible()

    engine = make_engine(app.database_url)
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name="e2e")
        assert reviewer is not None
        stored = {
            sentence_id: repository.annotation_of(
                session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
            )
            for sentence_id in (emoji, combining, crlf)
        }
    engine.dispose()

    def words(sentence_id: int, text: str, layer: str) -> list[tuple[str, str]]:
        annotation = stored[sentence_id]
        assert annotation is not None and annotation.status == "accept"
        rows = getattr(annotation, layer)
        return [(text[r["start"] : r["end"]], r["label"]) for r in rows]

    assert words(emoji, EMOJI, "entities") == [("Lashio", "GPE")]
    assert words(combining, COMBINING, "entities") == [("Cafe\u0301", "ORG"), ("Lashio", "GPE")]
    assert words(crlf, CRLF, "entities") == [("Lashio", "GPE")]
    assert words(crlf, CRLF, "events") == [("Clashes in\r\nLashio", "ARMED_CLASH")]
    assert stored[emoji].entities == [{"start": 15 - 1, "end": 21 - 1, "label": "GPE"}]
