"""Arabic report text reads right to left in the span editor and around it; English stays left to
right; the mouse and the arrow keys still pick the words they point at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from annotator import workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.workflow import GoldPolicy

pytestmark = pytest.mark.e2e

# "The army clashed with the fighters near Aleppo on Monday."
ARABIC = "اشتبك الجيش مع المقاتلين قرب حلب يوم الاثنين."
ENGLISH = "Troops shelled Lashio on Monday."


@pytest.fixture
def two_scripts(database_url: str, tmp_path: Path, scheme) -> None:  # type: ignore[no-untyped-def]
    """One report: an Arabic sentence, then an English one."""
    path = tmp_path / "تقرير.txt"  # "report": the source line holds a right-to-left name too
    path.write_text(f"{ARABIC}\n{ENGLISH}", encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    engine.dispose()


def sentence_shown(page: Page, start: str) -> None:
    """Wait until the editor shows a sentence beginning with ``start``."""
    page.wait_for_function(
        """start => {
            const host = [...document.querySelectorAll('.stBidiComponent *')]
                .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
            const text = host && host.shadowRoot.querySelector('.ca-text');
            return Boolean(text) && [...text.querySelectorAll('.ca-tok, .ca-gap')]
                .map(e => e.textContent).join('').startsWith(start);
        }""",
        arg=start,
    )


def direction(locator: Locator) -> str:
    return str(locator.evaluate("e => getComputedStyle(e).direction"))


def neighbour_direction(page: Page, text: str) -> str:
    """The direction of the one neighbouring sentence shown, once it is ``text``."""
    neighbours = page.locator(".ca-context")
    # The editor draws the next sentence at once; its neighbours come with the server's answer,
    # which a loaded machine delays, and the last sentence's neighbours go once that run ends.
    expect(neighbours.filter(has_text=text)).to_have_count(1, timeout=20_000)
    expect(neighbours).to_have_count(1, timeout=20_000)
    expect(neighbours).to_have_text(text)
    return direction(neighbours)


def word(page: Page, text: str) -> Locator:
    return page.locator(".ca-text .ca-tok").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def left(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["x"])


def test_arabic_reads_right_to_left_and_english_left_to_right(
    start_app, two_scripts, page, screenshot, log_in
):
    app = start_app()
    log_in(page, app.url)
    sentence_shown(page, ARABIC)
    text = page.locator(".ca-text")
    assert direction(text) == "rtl"
    # Laid out, not only declared: the first word stands right of the second.
    assert left(word(page, "اشتبك")) > left(word(page, "الجيش"))
    assert neighbour_direction(page, ENGLISH) == "ltr"
    assert direction(page.locator(".ca-source b")) == "rtl"

    # A click picks the word under the pointer; the left arrow goes on to the next word.
    word(page, "الجيش").click()
    expect(page.locator(".ca-status .ca-quote")).to_have_text("الجيش")
    page.keyboard.press("Shift+ArrowLeft")
    expect(page.locator(".ca-status .ca-quote")).to_have_text("الجيش مع")
    assert direction(page.locator(".ca-status .ca-quote")) == "rtl"
    page.keyboard.press("ArrowRight")  # back, and one word only
    page.keyboard.press("g")
    badge = page.locator(".ca-badge-ent")
    expect(badge).to_have_text("ARMED_GROUP")
    # The label follows its word in reading order, so it stands on the word's left, and is
    # itself written left to right.
    assert left(badge) < left(word(page, "الجيش"))
    assert direction(badge.locator(".ca-badge-name")) == "ltr"
    expect(page.locator(".ca-status .ca-quote")).to_have_text("الجيش")
    for key in ("ArrowLeft", "ArrowLeft", "ArrowLeft", "ArrowLeft", "s"):  # "حلب" is a GPE
        page.keyboard.press(key)
    expect(page.locator(".ca-badge-ent").filter(has_text="GPE")).to_have_count(1)
    expect(page.locator(".ca-status .ca-quote")).to_have_text("حلب")
    screenshot(page, "annotate-arabic")
    page.keyboard.press("a")

    sentence_shown(page, ENGLISH)
    assert direction(text) == "ltr"
    assert left(word(page, "Troops")) < left(word(page, "shelled"))
    assert neighbour_direction(page, ARABIC) == "rtl"
    word(page, "shelled").click()
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator(".ca-status .ca-quote")).to_have_text("shelled Lashio")
    assert direction(page.locator(".ca-status .ca-quote")) == "ltr"
