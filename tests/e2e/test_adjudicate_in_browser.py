"""An adjudicator settles a disagreement in a real browser: both versions side by side with the
difference marked, one taken with its keyboard shortcut, the gold stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import Sentence
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy

pytestmark = pytest.mark.e2e

REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe on Monday.\n"
    "Residents fled to <b>Thailand</b> after an air strike."
)
SHARED = (Span(0, 12, "ARMED_GROUP"), Span(47, 53, "GPE"))
CLASH = (Span(13, 20, "ARMED_CLASH"),)
ANA = Draft(entities=(SHARED[0], Span(30, 41, "ARMED_GROUP"), SHARED[1]), events=CLASH)
BEN = Draft(entities=(SHARED[0], Span(30, 41, "ORG"), SHARED[1]), events=CLASH)


@pytest.fixture
def disagreement(database_url: str, tmp_path: Path, scheme, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """The first sentence, on which ana and ben disagree about the Arakan Army."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")  # for the saves below, made in this process
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
        first = session.exec(select(Sentence).order_by(Sentence.id)).first()
        assert first is not None and first.id is not None
        for name, draft in (("ana", ANA), ("ben", BEN)):
            reviewer = repository.ensure_reviewer(session=session, name=name)
            assert reviewer.id is not None
            workflow.save_decision(
                session=session,
                sentence_id=first.id,
                reviewer_id=reviewer.id,
                status="accept",
                draft=draft,
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    engine.dispose()
    return first.id


def test_take_a_version_in_the_browser(start_app, page: Page, log_in, screenshot, disagreement):  # type: ignore[no-untyped-def]
    app = start_app()
    log_in(page, app.url)
    page.get_by_role("link", name="Adjudicate").click()
    cards = page.locator(".adj-card[data-annotation]")
    expect(cards).to_have_count(2, timeout=30_000)  # the first run of a page is slow
    expect(cards.nth(0).locator(".adj-name")).to_have_text("ana")
    expect(cards.nth(1).locator(".adj-name")).to_have_text("ben")
    # The disputed reading is outlined in each card, the shared ones are not.
    expect(cards.nth(0).locator(".adj-ent.adj-diff")).to_have_count(1)
    expect(cards.nth(0).locator(".adj-ent.adj-diff")).to_contain_text("Arakan Army")
    expect(cards.nth(1).locator(".adj-ent.adj-diff .adj-badge")).to_contain_text("ORG")
    expect(cards.nth(0).locator(".adj-ent:not(.adj-diff)")).to_have_count(2)
    outline = (
        cards.nth(0)
        .locator(".adj-ent.adj-diff")
        .evaluate("element => getComputedStyle(element).outlineStyle")
    )
    assert outline == "dashed"
    expect(page.locator(".ca-editor .ca-text")).to_contain_text("Junta troops")
    screenshot(page, "adjudicate")
    page.get_by_role("button", name="Save decision as gold").scroll_into_view_if_needed()
    screenshot(page, "adjudicate-decision")

    # Ctrl+Shift+2 takes the second version (ben's).
    page.get_by_role("heading", name="The reviewers' versions").click()
    page.keyboard.press("Control+Shift+Digit2")
    expect(page.get_by_text("as gold, version 1")).to_be_visible()
    engine = make_engine(app.database_url)
    with session_scope(engine) as session:
        gold = repository.gold_of(session=session, sentence_id=disagreement)
        assert gold is not None
        ben = repository.reviewer_named(session=session, name="ben")
        e2e = repository.reviewer_named(session=session, name="e2e")
        assert ben is not None and e2e is not None
        taken = repository.annotation_of(
            session=session, sentence_id=disagreement, reviewer_id=int(ben.id or 0)
        )
    engine.dispose()
    assert gold.source == "adjudicated" and gold.decided_by == e2e.id
    assert taken is not None and taken.id in gold.from_annotations
    assert [e["label"] for e in gold.entities] == ["ARMED_GROUP", "ORG", "GPE"]
    expect(page.locator(".adj-gold")).to_contain_text("Current gold, version 1")
    screenshot(page, "adjudicate-saved")
