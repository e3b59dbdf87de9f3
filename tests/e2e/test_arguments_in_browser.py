"""Event arguments in a real browser, from the keyboard: a trigger selected, a role key, an
entity picked with the arrows and Enter; a suggested argument confirmed, one removed, one
re-assigned, one the scheme refuses explained; the accepted annotation stores them."""

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
from annotator.models import Annotation, Sentence, Suggestion
from annotator.spans import Argument, Draft, Span
from annotator.workflow import GoldPolicy

pytestmark = pytest.mark.e2e

NOTE = "On 3 May, junta troops shot two villagers in Kanbalu township."
DATE = Span(3, 8, "DATE")
TROOPS = Span(10, 22, "ARMED_GROUP")
TWO = Span(28, 31, "CARDINAL")
KANBALU = Span(45, 61, "GPE")
SHOT = Span(23, 27, "ATTACK_ON_CIVILIANS")
# What a suggester said: the spans, and the place as the trigger's LOCATION.
SUGGESTED = Draft(
    entities=(DATE, TROOPS, TWO, KANBALU),
    events=(SHOT,),
    arguments=(Argument(SHOT, "LOCATION", KANBALU),),
)


@pytest.fixture
def note(database_url: str, tmp_path: Path, scheme) -> int:  # type: ignore[no-untyped-def]
    """One note of one sentence, with a stored suggestion that has an argument."""
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        sentence_id = session.exec(select(Sentence.id)).one()
        session.add(
            Suggestion(
                sentence_id=sentence_id,
                model_name="seeded",
                model_version="1",
                **SUGGESTED.rows(),
            )
        )
    engine.dispose()
    return int(sentence_id)


def stored_arguments(database_url: str, sentence_id: int) -> tuple[str, Draft] | None:
    """The e2e reviewer's stored decision of the sentence, if any."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name="e2e")
        assert reviewer is not None
        found = session.exec(
            select(Annotation).where(
                Annotation.reviewer_id == reviewer.id, Annotation.sentence_id == sentence_id
            )
        ).first()
        result = None if found is None else (found.status, Draft.of(found))
    engine.dispose()
    return result


def listed(page: Page) -> Locator:
    """The trigger's row of the argument list under the sentence."""
    return page.locator(".ca-args .ca-arg-row")


def ringed(page: Page, role: str) -> Locator:
    """The entity boxes ringed as playing ``role`` of the selected trigger."""
    return page.locator(f'.ca-text .ca-ent.ca-arg[data-role="{role}"]')


def status(page: Page) -> Locator:
    return page.locator(".ca-status")


def sentence_shown(page: Page) -> None:
    expect(page.locator(".ca-text")).to_have_text(re.compile(f"^{re.escape(NOTE[:8])}"))
    expect(page.locator('.stMain [data-stale="true"]')).to_have_count(0)


def test_arguments_are_added_confirmed_removed_and_stored_from_the_keyboard(
    start_app, note, page, log_in, screenshot
):
    app = start_app()
    log_in(page, app.url)
    sentence_shown(page)
    # The suggestion's argument is listed under the sentence, as a suggestion.
    expect(listed(page)).to_have_text(
        re.compile(r"ATTACK_ON_CIVILIANS\?\s*shot.*LOCATION\?\s*Kanbalu township")
    )
    expect(page.locator(".ca-args .ca-arg-item.ca-suggested")).to_have_count(1)

    # Tab through the spans to the trigger: 3 May, junta troops, shot.
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(status(page)).to_contain_text("ATTACK_ON_CIVILIANS")
    expect(ringed(page, "LOCATION?")).to_have_text(re.compile("Kanbalu township"))

    # ACTOR (y): the nearest entity it takes is picked; Enter adds it.
    page.keyboard.press("y")
    expect(status(page)).to_contain_text("ACTOR of")
    expect(page.locator(".ca-text .ca-ent.ca-cand-at")).to_have_text(re.compile("junta troops"))
    page.keyboard.press("Enter")
    expect(ringed(page, "ACTOR")).to_have_text(re.compile("junta troops"))
    expect(status(page)).to_contain_text("“junta troops” is ACTOR of “shot”.")

    # TIME (i) refuses the place clicked, saying why, and takes the date from the keyboard.
    page.keyboard.press("i")
    page.locator(".ca-text .ca-tok").filter(has_text=re.compile("^Kanbalu$")).click()
    expect(status(page)).to_contain_text(
        "“Kanbalu township” is a GPE and cannot be TIME of “shot”: TIME takes DATE"
    )
    page.keyboard.press("i")
    page.keyboard.press("Enter")
    expect(ringed(page, "TIME")).to_have_text(re.compile("3 May"))

    # COUNT (k), added, then taken away again with Delete, and given back.
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect(ringed(page, "COUNT")).to_have_count(1)
    page.keyboard.press("k")
    page.keyboard.press("Delete")
    expect(ringed(page, "COUNT")).to_have_count(0)
    expect(status(page)).to_contain_text("Removed COUNT “two” of “shot”.")
    # A role key works whatever was clicked last, and Enter after it lands in the editor.
    page.get_by_text("Suggested by seeded 1").click()
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect(ringed(page, "COUNT")).to_have_count(1)

    # The troops re-assigned to TARGET and back to ACTOR; the place's suggestion confirmed (w
    # starts on the entity already in the role).
    page.keyboard.press("t")
    page.keyboard.press("Enter")
    expect(status(page)).to_contain_text("is TARGET of “shot” (was ACTOR)")
    page.keyboard.press("y")
    page.keyboard.press("Enter")
    expect(ringed(page, "ACTOR")).to_have_count(1)
    page.keyboard.press("w")
    page.keyboard.press("Enter")
    expect(ringed(page, "LOCATION")).to_have_text(re.compile("Kanbalu township"))
    expect(page.locator(".ca-args .ca-arg-item.ca-suggested")).to_have_count(0)
    expect(listed(page)).to_have_text(
        re.compile(r"shot.*ACTOR\s*junta troops.*LOCATION\s*Kanbalu township.*TIME\s*3 May.*COUNT")
    )
    screenshot(page, "annotate-arguments")

    page.keyboard.press("a")
    expect(page.get_by_text("1 / 1 sentences done", exact=True)).to_be_visible()
    stored = stored_arguments(app.database_url, note)
    assert stored is not None
    decision, draft = stored
    assert decision == "accept"
    assert set(draft.arguments) == {
        Argument(SHOT, "ACTOR", TROOPS),
        Argument(SHOT, "TIME", DATE),
        Argument(SHOT, "COUNT", TWO),
        Argument(SHOT, "LOCATION", KANBALU),
    }
