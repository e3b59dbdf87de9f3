"""The annotate page's keyboard in a real browser: a decision is made once, for the sentence that
was shown; the decision keys work whatever was clicked last; Space always skips; categories
have keys; the editor does not move from one sentence to the next; notices never cover the
guideline."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from annotator import repository
from annotator.db import make_engine, session_scope
from annotator.models import Annotation
from tests.e2e.annotate_page import WATCH, import_report, settle

pytestmark = pytest.mark.e2e

# The first sentence of a report has nothing before it, the second one a long sentence.
REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe on Monday.\n"
    "Police arrested 12 protesters in Yangon after a march that began at the university gates "
    "and went on through the old town, past the market and the railway station, until dusk.\n"
    "Residents fled to Thailand after an air strike.\n"
    "Fighting went on in Lashio."
)


@pytest.fixture
def report(database_url: str, tmp_path: Path, scheme) -> list[int]:  # type: ignore[no-untyped-def]
    """One report of four sentences, no suggestions."""
    return import_report(database_url, tmp_path / "report.txt", REPORT, scheme)


@pytest.fixture
def annotations() -> Callable[[str], dict[int, Annotation]]:
    """Read the e2e reviewer's stored annotations in a database, by sentence id."""

    def read(database_url: str) -> dict[int, Annotation]:
        engine = make_engine(database_url)
        with session_scope(engine) as session:
            reviewer = repository.reviewer_named(session=session, name="e2e")
            assert reviewer is not None
            rows = session.exec(select(Annotation).where(Annotation.reviewer_id == reviewer.id))
            found = {a.sentence_id: a for a in rows}
        engine.dispose()
        return found

    return read


def shown(page: Page, start: str) -> None:
    """Wait until the editor shows a sentence beginning with ``start``."""
    expect(page.locator(".ca-text")).to_have_text(re.compile(f"^{re.escape(start)}"))


def answered(page: Page) -> None:
    """Wait until the server has answered the editor (the next sentence is drawn at once, sent
    ahead, before the decision on the last one is stored), or every sentence is done and the
    page shows no editor."""
    idle = page.locator('.ca-editor[data-state="idle"]')
    done = page.get_by_text("4 / 4 sentences done", exact=True)
    expect(idle.or_(done)).to_be_visible(timeout=20_000)


def progress(page: Page, done: int) -> None:
    expect(page.get_by_text(f"{done} / 4 sentences done", exact=True)).to_be_visible()


def category(page: Page, name: str) -> Locator:
    """The category's control on the page, whatever draws it."""
    return page.get_by_text(name, exact=True).first


def no_traceback(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator(".stMain")).not_to_contain_text("IntegrityError")
    expect(page.locator(".stMain")).not_to_contain_text("Traceback")


@pytest.mark.parametrize("gap", [0.0, 0.06, 0.15])
def test_quick_presses_decide_only_sentences_that_were_drawn_and_each_once(
    start_app, report, page, log_in, annotations, gap
):
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    page.evaluate(WATCH)
    for _ in range(4):
        page.keyboard.press("a")
        time.sleep(gap)
    settle(page)
    answered(page)  # the next sentence is drawn before the server has stored the last decision
    no_traceback(page)
    seen = page.evaluate("() => window.__seen")
    # A sentence may be decided only by a press made while it was drawn, and only once.
    draws = [(at, words) for kind, at, words in seen if kind == "draw"]
    keys = [at for kind, at, _ in seen if kind == "key"]
    pressed_on = [
        words
        for (at, words), following in zip(draws, [*draws[1:], (float("inf"), "")], strict=True)
        if any(at <= key < following[0] for key in keys)
    ]
    stored = annotations(app.database_url)
    texts = dict(zip(report, REPORT.splitlines(), strict=True))
    decided = [texts[s][:12] for s, a in stored.items() if a.status == "accept"]
    assert decided == pressed_on, f"decided {decided}, pressed on {pressed_on}: {seen}"
    assert len(decided) >= 1
    progress(page, len(decided))
    if len(decided) < len(report):  # the page goes on as before
        shown(page, REPORT.splitlines()[len(decided)][:12])
        page.keyboard.press("x")
        progress(page, len(decided) + 1)


def test_decision_keys_work_after_clicking_a_category_or_the_guideline_picker(
    start_app, report, page, log_in, annotations
):
    first, second, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    category(page, "BATTLES").click()
    settle(page)
    page.keyboard.press("a")
    progress(page, 1)
    assert annotations(app.database_url)[first].categories == ["BATTLES"]

    shown(page, "Police arrested")
    page.locator('[data-testid="stSelectbox"]', has_text="Guideline for").click()
    page.get_by_role("option", name="ARREST").click()
    expect(page.locator(".stMain")).to_contain_text("Arrest or detention.")
    settle(page)
    page.keyboard.press("a")
    progress(page, 2)
    assert annotations(app.database_url)[second].status == "accept"


def test_space_after_clicking_a_category_skips_and_leaves_the_category_as_it_was(
    start_app, report, page, log_in, annotations
):
    first, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    category(page, "RIOTS").click()
    settle(page)
    page.keyboard.press(" ")
    shown(page, "Police arrested")
    answered(page)
    skipped = annotations(app.database_url)[first]
    assert (skipped.status, skipped.categories) == ("skip", ["RIOTS"])


def test_space_after_clicking_a_toggle_without_the_editor_skips_and_leaves_it_as_it_was(
    start_app, report, page, log_in, annotations
):
    first, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    page.get_by_text("Span list, word picker and decisions (without the editor)").click()
    # Opening the panel reruns the page to mount its widgets; a click before that run ends can
    # land on a toggle the run then draws again.
    settle(page)
    toggle = page.locator('[data-testid="stCheckbox"]', has_text="PROTESTS")
    toggle.click()
    expect(toggle.locator("input")).to_be_checked()
    settle(page)
    page.keyboard.press(" ")
    shown(page, "Police arrested")
    answered(page)
    skipped = annotations(app.database_url)[first]
    assert (skipped.status, skipped.categories) == ("skip", ["PROTESTS"])


def test_a_category_key_toggles_its_category_and_is_shown_on_it(
    start_app, report, page, log_in, annotations, scheme
):
    first, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    for label in scheme.categories:
        key = page.locator(f'[data-category="{label.name}"] kbd')
        expect(key).to_have_text(label.shortcut)
    for key in ("b", "e", "b"):  # BATTLES on, EXPLOSIONS_REMOTE_VIOLENCE on, BATTLES off
        page.keyboard.press(key)
        settle(page)
    page.keyboard.press("a")
    progress(page, 1)
    assert annotations(app.database_url)[first].categories == ["EXPLOSIONS_REMOTE_VIOLENCE"]


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None
    return found


def test_the_editor_and_the_decisions_stay_in_place_from_sentence_to_sentence(
    start_app, report, page, log_in
):
    page.set_viewport_size({"width": 1440, "height": 700})  # the page scrolls
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    settle(page)
    page.mouse.move(700, 500)
    page.mouse.wheel(0, 120)  # the reviewer scrolled a little
    settle(page)
    editor, accept = page.locator(".ca-editor"), page.get_by_role("button", name="Accept")

    def place() -> tuple[float, float, float]:
        scrolled = page.evaluate("() => document.querySelector('.stMain').scrollTop")
        return box(editor)["y"], box(accept)["y"], scrolled

    before = place()
    assert before[2] > 0
    for start in ("Police arrested", "Residents fled"):  # long before-sentence, then a short one
        page.keyboard.press("a")
        shown(page, start)
        settle(page)
        assert place() == before, f"moved on {start!r}"


def test_notices_never_cover_the_guideline(start_app, report, page, log_in):
    app = start_app()
    log_in(page, app.url)
    shown(page, "Junta troops")
    guideline = page.locator('[data-testid="stSelectbox"]', has_text="Guideline for")
    page.keyboard.press("a")
    shown(page, "Police arrested")
    # An event over the whole long sentence: a notice that quotes all of it.
    for key in ("Home", "Shift+End", "5"):
        page.keyboard.press(key)
    expect(page.locator(".ca-badge", has_text="ARREST")).to_have_count(1)
    # While the page reruns, Streamlit keeps the old panel beside the new one for a moment.
    expect(guideline).to_have_count(1)
    column = page.locator('[data-testid="stColumn"]')
    panel = box(column.filter(has=page.get_by_text("Guideline for", exact=True)).last)
    assert box(guideline)["y"] >= panel["y"]
    for toast in page.locator('[data-testid="stToast"]').all():
        place = box(toast)
        apart = (
            place["x"] + place["width"] <= panel["x"]
            or place["y"] + place["height"] <= panel["y"]
            or place["y"] >= panel["y"] + panel["height"]
        )
        assert apart, f"a toast covers the guideline: {toast.inner_text()!r}"
