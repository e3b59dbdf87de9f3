"""The sentence sent ahead, in a real browser: Accept draws the next sentence before the server
has stored anything; what is done on it meanwhile is kept; quick presses decide each sentence
once, the one they were pressed on; when another reviewer took the sentence sent ahead, the
editor shows the one the server serves, and the stored decisions are right."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.models import Annotation, AnnotationVersion
from annotator.workflow import GoldPolicy
from tests.e2e.annotate_page import WATCH, import_report, settle

pytestmark = pytest.mark.e2e

LINES = [
    "Junta troops clashed with the Arakan Army near Sittwe on Monday.",
    "Police arrested 12 protesters in Yangon.",
    "Residents fled to Thailand after an air strike.",
    "Fighting went on in Lashio.",
    "A bridge was blown up near Hpakant.",
]


@pytest.fixture
def report(database_url: str, tmp_path: Path, scheme) -> list[int]:  # type: ignore[no-untyped-def]
    """One report of five sentences, no suggestions."""
    return import_report(database_url, tmp_path / "report.txt", "\n".join(LINES), scheme)


def shown(page: Page, line: int) -> None:
    """Wait until the editor shows the sentence ``LINES[line]``."""
    # A shared machine may take a while to serve the first page; the lock test does not depend
    # on how long: the server cannot answer while the database is held.
    expect(page.locator(".ca-text")).to_have_text(
        re.compile(f"^{re.escape(LINES[line])}"), timeout=20_000
    )


def stored(database_url: str) -> dict[tuple[str, int], tuple[str, list[dict[str, object]], int]]:
    """Every stored annotation: (reviewer, sentence) -> (status, entities, saves in history)."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        names = {r.id: r.name for r in repository.list_reviewers(session=session)}
        found = {
            (names[a.reviewer_id], a.sentence_id): (a.status, list(a.entities))
            for a in session.exec(select(Annotation))
        }
        saves: dict[tuple[str, int], int] = {}
        for version in session.exec(select(AnnotationVersion)):
            key = (names[version.reviewer_id], version.sentence_id)
            saves[key] = saves.get(key, 0) + 1
    engine.dispose()
    return {key: (*value, saves.get(key, 0)) for key, value in found.items()}


@contextmanager
def database_held(database_url: str) -> Iterator[sqlite3.Connection]:
    """Hold the SQLite database's write lock, as a long import does: the server can read but
    cannot store a decision until it is let go."""
    path = make_url(database_url).database
    assert path
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield connection
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_accept_draws_the_next_sentence_before_the_server_stores_it_and_keeps_edits_made_on_it(
    start_app, report, page, log_in
):
    first, second, third, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, 0)
    settle(page)
    with database_held(app.database_url) as held:
        page.keyboard.press("a")
        shown(page, 1)  # drawn while the server waits to store the decision
        # "Police" marked as an armed group, then accepted, all before the server answers.
        for key in ("Home", "g", "a"):
            page.keyboard.press(key)
        page.wait_for_timeout(500)
        assert held.execute("SELECT count(*) FROM annotation").fetchone() == (0,)
        shown(page, 1)  # the second decision waits for the server to serve this sentence
    shown(page, 2)
    expect(page.get_by_text("2 / 5 sentences done", exact=True)).to_be_visible(timeout=20_000)
    settle(page)
    assert stored(app.database_url) == {
        ("e2e", first): ("accept", [], 1),
        ("e2e", second): ("accept", [{"start": 0, "end": 6, "label": "ARMED_GROUP"}], 1),
    }
    del third


def test_a_server_slower_than_the_editors_wait_keeps_the_sentence_drawn_and_what_was_done_on_it(
    start_app, report, page, log_in
):
    first, second, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, 0)
    settle(page)
    page.evaluate(WATCH)
    with database_held(app.database_url) as held:
        page.keyboard.press("a")
        shown(page, 1)
        # Past the editor's 8 s wait for an answer: it sends the decision again and says so,
        # and keeps the sentence drawn ahead with what is done on it.
        expect(page.locator(".ca-notice")).to_contain_text("Still storing", timeout=12_000)
        for key in ("Home", "g", "a"):
            page.keyboard.press(key)
        page.wait_for_timeout(500)
        shown(page, 1)
        assert held.execute("SELECT count(*) FROM annotation").fetchone() == (0,)
    shown(page, 2)
    expect(page.get_by_text("2 / 5 sentences done", exact=True)).to_be_visible(timeout=30_000)
    settle(page)
    # Each decision stored once, on the sentence it was pressed on; no sentence drawn twice.
    assert stored(app.database_url) == {
        ("e2e", first): ("accept", [], 1),
        ("e2e", second): ("accept", [{"start": 0, "end": 6, "label": "ARMED_GROUP"}], 1),
    }
    drawn = [words for kind, _, words in page.evaluate("() => window.__seen") if kind == "draw"]
    assert drawn == [LINES[line][:12] for line in range(3)], drawn


def test_quick_presses_decide_each_sentence_once_the_one_they_were_pressed_on(
    start_app, report, page, log_in
):
    app = start_app()
    log_in(page, app.url)
    shown(page, 0)
    settle(page)
    page.evaluate(WATCH)
    for _ in range(3):
        page.keyboard.press("a")
    settle(page)
    seen = page.evaluate("() => window.__seen")
    draws = [(at, words) for kind, at, words in seen if kind == "draw"]
    keys = [at for kind, at, _ in seen if kind == "key"]
    pressed_on = [
        words
        for (at, words), following in zip(draws, [*draws[1:], (float("inf"), "")], strict=True)
        if any(at <= key < following[0] for key in keys)
    ]
    saved = stored(app.database_url)
    texts = dict(zip(report, LINES, strict=False))
    decided = [texts[sentence][:12] for (_, sentence) in sorted(saved, key=lambda k: k[1])]
    assert decided == pressed_on, f"decided {decided}, pressed on {pressed_on}: {seen}"
    # The second press landed on the sentence drawn ahead, before any answer came.
    assert len(decided) >= 2
    assert all(value == ("accept", [], 1) for value in saved.values()), saved
    shown(page, len(decided))


def test_a_sentence_sent_ahead_but_taken_by_another_reviewer_gives_way_to_the_servers(
    start_app, report, page, log_in, scheme
):
    first, second, third, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, 0)
    settle(page)
    # With one reviewer per sentence, another reviewer decides the sentence sent ahead through
    # the core, as a script or a second app process may.
    engine = make_engine(app.database_url)
    with session_scope(engine) as session:
        ben = repository.ensure_reviewer(session=session, name="ben")
        workflow.save_decision(
            session=session,
            sentence_id=second,
            reviewer_id=int(ben.id),
            status="reject",
            draft=workflow.Draft(),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    engine.dispose()
    page.evaluate(WATCH)
    page.keyboard.press("a")
    shown(page, 2)
    expect(page.locator(".ca-status")).to_contain_text("taken meanwhile")
    settle(page)
    # Drawn ahead at once, then the server's sentence in its place.
    draws = [words for kind, _, words in page.evaluate("() => window.__seen") if kind == "draw"]
    assert draws == [LINES[0][:12], LINES[1][:12], LINES[2][:12]], draws
    page.keyboard.press("x")
    shown(page, 3)
    settle(page)
    assert stored(app.database_url) == {
        ("e2e", first): ("accept", [], 1),
        ("ben", second): ("reject", [], 1),
        ("e2e", third): ("reject", [], 1),
    }


def test_undo_after_a_decision_on_the_sentence_sent_ahead_brings_it_back(
    start_app, report, page, log_in
):
    first, second, *_ = report
    app = start_app()
    log_in(page, app.url)
    shown(page, 0)
    for line in (1, 2):
        page.keyboard.press("a")
        shown(page, line)
        settle(page)
    page.keyboard.press("u")
    shown(page, 1)
    expect(page.get_by_text("1 / 5 sentences done", exact=True)).to_be_visible(timeout=20_000)
    settle(page)
    page.keyboard.press(" ")  # and it is served again as it was: skipped now
    shown(page, 2)
    settle(page)
    time.sleep(0.2)
    saved = stored(app.database_url)
    assert saved[("e2e", first)] == ("accept", [], 1)
    assert saved[("e2e", second)] == ("skip", [], 2)  # the undone accept stays in the history
