"""A reviewer annotates three sentences in a real browser, with the mouse and with the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import AnnotationVersion, Sentence, Suggestion
from annotator.workflow import GoldPolicy

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe on Monday. "
    "Police arrested 12 protesters in Yangon.\n"
    "Residents fled to Thailand after an air strike."
)
# What a suggester said: "Arakan Army" is missed, Sittwe is a LOC and Monday a CARDINAL.
SUGGESTIONS = [
    {
        "entities": [
            {"start": 0, "end": 12, "label": "ARMED_GROUP"},
            {"start": 47, "end": 53, "label": "LOC"},
            {"start": 57, "end": 63, "label": "CARDINAL"},
        ],
        "events": [{"start": 13, "end": 20, "label": "ARMED_CLASH"}],
    },
    None,
    {"entities": [], "events": [{"start": 10, "end": 14, "label": "DISPLACEMENT"}]},
]


@pytest.fixture
def three_sentences(database_url: str, tmp_path: Path, scheme) -> list[int]:  # type: ignore[no-untyped-def]
    """One report of three sentences, two of them with a stored suggestion."""
    path = tmp_path / "myanmar-report.txt"
    path.write_text(REPORT, encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        ids = [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]
        for sentence_id, suggestion in zip(ids, SUGGESTIONS, strict=True):
            if suggestion is not None:
                session.add(
                    Suggestion(
                        sentence_id=sentence_id,
                        model_name="seeded",
                        model_version="1",
                        categories=[],
                        **suggestion,
                    )
                )
    engine.dispose()
    return [int(i) for i in ids if i is not None]


def word(page: Page, text: str) -> Locator:
    """A word of the sentence in the span editor."""
    return page.locator(".ca-text .ca-tok").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def badges(page: Page, label: str) -> Locator:
    return page.locator(".ca-badge").filter(has_text=re.compile(f"^{label}\\??$"))


def drag(page: Page, first: str, last: str) -> None:
    """Press on one word, move across to another and let go."""
    start = word(page, first).bounding_box()
    end = word(page, last).bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 3, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] - 3, end["y"] + end["height"] / 2, steps=6)
    page.mouse.up()


def progress(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=True)).to_be_visible()


def sentence_shown(page: Page, start: str) -> None:
    """Wait until the editor shows a sentence beginning with ``start`` (labels left out)."""
    page.wait_for_function(
        """start => {
            const host = [...document.querySelectorAll('.stBidiComponent *')]
                .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
            const text = host && host.shadowRoot.querySelector('.ca-text');
            if (!text) return false;
            const words = [...text.querySelectorAll('.ca-tok, .ca-gap')].map(e => e.textContent);
            return words.join('').startsWith(start);
        }""",
        arg=start,
    )
    # Elements of the run before (the login form) may linger, stale, and push the editor down
    # until they go: words are measured for dragging once they have.
    expect(page.locator('.stMain [data-stale="true"]')).to_have_count(0)


def editor_has_focus(page: Page) -> bool:
    return bool(
        page.evaluate(
            """() => {
                const host = document.activeElement;
                const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : null;
                return Boolean(inner && inner.classList.contains('ca-editor'));
            }"""
        )
    )


def test_annotate_three_sentences_with_mouse_and_keyboard(  # noqa: PLR0915
    start_app, three_sentences, page, screenshot, log_in
):
    first, second, third = three_sentences
    app = start_app()
    log_in(page, app.url)
    sentence_shown(page, "Junta troops clashed")
    progress(page, "0 / 3 sentences done")
    expect(badges(page, "LOC")).to_have_text("LOC?")  # a suggestion, not yet confirmed

    # Sentence 1, with the mouse: drag to create, click to select, keys and chips to label.
    drag(page, "Arakan", "Army")
    expect(page.locator(".ca-status")).to_contain_text("Arakan Army")
    page.keyboard.press("g")
    expect(badges(page, "ARMED_GROUP")).to_have_count(2)
    word(page, "Sittwe").click()
    expect(page.locator(".ca-status")).to_contain_text("LOC")
    page.locator('.ca-chip[data-label="GPE"]').click()
    expect(badges(page, "GPE")).to_have_count(1)
    expect(badges(page, "LOC")).to_have_count(0)
    word(page, "Monday").click()
    page.keyboard.press("Delete")
    expect(badges(page, "CARDINAL")).to_have_count(0)
    page.locator('[data-category="BATTLES"]').click()
    word(page, "clashed").click()  # select the event: its underline and badge stand out
    expect(page.locator(".ca-badge-ev.ca-selected")).to_have_count(1)
    screenshot(page, "annotate")
    page.get_by_role("button", name="Accept").click()
    progress(page, "1 / 3 sentences done")

    # Sentence 2, keyboard only: the new sentence has the focus, and it is visible.
    sentence_shown(page, "Police arrested")
    expect(page.locator(".ca-editor")).to_be_focused()
    assert editor_has_focus(page)
    ring = page.locator(".ca-editor").evaluate("e => getComputedStyle(e).boxShadow")
    assert ring != "none"
    for key in ("ArrowRight", "ArrowRight", "5"):  # "arrested" is an ARREST
        page.keyboard.press(key)
    expect(badges(page, "ARREST")).to_have_count(1)
    for key in ("ArrowRight", "n"):  # "12" is a CARDINAL
        page.keyboard.press(key)
    expect(badges(page, "CARDINAL")).to_have_count(1)
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "l"):  # "Yangon": LOC, then GPE
        page.keyboard.press(key)
    expect(badges(page, "LOC")).to_have_count(1)
    page.keyboard.press("s")
    expect(badges(page, "GPE")).to_have_count(1)
    expect(badges(page, "LOC")).to_have_count(0)
    page.keyboard.press("Shift+Tab")  # back to "12"
    expect(page.locator(".ca-status")).to_contain_text("CARDINAL")
    page.keyboard.press("Backspace")
    expect(badges(page, "CARDINAL")).to_have_count(0)
    screenshot(page, "annotate-keyboard")
    page.keyboard.press("a")
    progress(page, "2 / 3 sentences done")
    sentence_shown(page, "Residents fled")
    page.keyboard.press("u")  # undo: the sentence comes back as it was decided
    progress(page, "1 / 3 sentences done")
    sentence_shown(page, "Police arrested")
    expect(badges(page, "GPE")).to_have_count(1)
    for key in ("Home", "g"):  # "Police" act as an armed force here
        page.keyboard.press(key)
    expect(badges(page, "ARMED_GROUP")).to_have_count(1)
    page.keyboard.press("a")
    progress(page, "2 / 3 sentences done")

    # Sentence 3, mixed: a dragged event chosen from the palette, an event over an entity.
    sentence_shown(page, "Residents fled")
    drag(page, "air", "strike")
    page.locator('.ca-chip[data-label="REMOTE_VIOLENCE"]').click()
    expect(badges(page, "REMOTE_VIOLENCE")).to_have_count(1)
    word(page, "Thailand").click()
    page.keyboard.press("s")
    expect(badges(page, "GPE")).to_have_count(1)
    word(page, "Thailand").click()  # the entity is selected; a second click starts a new span
    expect(page.locator(".ca-status")).to_contain_text("new span")
    page.keyboard.press("8")
    expect(badges(page, "DISPLACEMENT")).to_have_count(2)
    page.locator('[data-category="EXPLOSIONS_REMOTE_VIOLENCE"]').click()
    page.get_by_role("button", name="Accept").click()
    progress(page, "3 / 3 sentences done")
    expect(page.get_by_text("Nothing left to annotate.")).to_be_visible()
    screenshot(page, "annotate-done")

    engine = make_engine(app.database_url)
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name="e2e")
        assert reviewer is not None
        stored = {
            sentence_id: repository.annotation_of(
                session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
            )
            for sentence_id in (first, second, third)
        }
        versions = list(
            session.exec(
                select(AnnotationVersion)
                .where(AnnotationVersion.sentence_id == second)
                .order_by(AnnotationVersion.id)
            )
        )
        gold = {s: repository.gold_of(session=session, sentence_id=s) for s in stored}
    engine.dispose()

    rows = {s: (a.status, a.entities, a.events, a.categories) for s, a in stored.items() if a}
    assert rows == {
        first: (
            "accept",
            [
                {"start": 0, "end": 12, "label": "ARMED_GROUP"},
                {"start": 30, "end": 41, "label": "ARMED_GROUP"},
                {"start": 47, "end": 53, "label": "GPE"},
            ],
            [{"start": 13, "end": 20, "label": "ARMED_CLASH"}],
            ["BATTLES"],
        ),
        second: (
            "accept",
            [
                {"start": 0, "end": 6, "label": "ARMED_GROUP"},
                {"start": 33, "end": 39, "label": "GPE"},
            ],
            [{"start": 7, "end": 15, "label": "ARREST"}],
            [],
        ),
        third: (
            "accept",
            [{"start": 18, "end": 26, "label": "GPE"}],
            [
                {"start": 10, "end": 14, "label": "DISPLACEMENT"},
                {"start": 18, "end": 26, "label": "DISPLACEMENT"},
                {"start": 36, "end": 46, "label": "REMOTE_VIOLENCE"},
            ],
            ["EXPLOSIONS_REMOTE_VIOLENCE"],
        ),
    }
    # The undone first decision on sentence 2 stays in the history, marked as undone.
    assert [(v.version, v.undone_at is not None) for v in versions] == [(1, True), (1, False)]
    assert versions[0].entities == [{"start": 33, "end": 39, "label": "GPE"}]
    assert all(g is not None and g.source == "accepted" for g in gold.values())
