"""No script from a report ever runs: every page shows hostile report text literally.

The ``page`` fixture fails the test if any dialog opens or any console or script error appears.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.spans import Span
from annotator.tokens import token_bounds
from annotator.workflow import GoldPolicy, accounts

pytestmark = pytest.mark.e2e

HOSTILE = [
    "Rebels posted <script>alert(1)</script> on a forum.",
    "A photo <img src=x onerror=alert(1)> was shared.",
    'See [the statement](javascript:alert(1)) and <a href="javascript:alert(1)">this link</a>.',
]
UPLOADED_NAME = "<img src=x onerror=alert(2)>.txt"
UPLOADED = (
    "Militia leaders <script>alert(3)</script> met in Lashio.\n<b onmouseover=alert(4)>bold</b>"
)


@pytest.fixture
def hostile_report(database_url: str, tmp_path: Path, scheme) -> None:  # type: ignore[no-untyped-def]
    """A report of three hostile sentences, imported as the CLI would."""
    path = tmp_path / "hostile.txt"
    path.write_text("\n".join(HOSTILE), encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    engine.dispose()


def editor_text(page: Page) -> str:
    """The sentence as the editor shows it: its words and the spaces between them."""
    return str(
        page.locator(".ca-text").evaluate(
            "t => [...t.querySelectorAll('.ca-tok, .ca-gap')].map(e => e.textContent).join('')"
        )
    )


def assert_nothing_live(page: Page) -> None:
    """No element built from report text: no scripts, images or javascript: links in the app."""
    for selector in (
        ".ca-text script, .ca-text img, .ca-text a",
        '.stMain img[src="x"]',
        '.stMain a[href^="javascript:"]',
        ".stMain [onerror], .stMain [onmouseover]",
    ):
        expect(page.locator(selector)).to_have_count(0)


def test_hostile_report_text_is_shown_literally_on_every_page(
    start_app, hostile_report, page, screenshot, tmp_path, log_in, scheme
):
    app = start_app()
    log_in(page, app.url)

    for number, sentence in enumerate(HOSTILE):
        page.wait_for_function(
            """expected => {
                const host = [...document.querySelectorAll('.stBidiComponent *')]
                    .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
                const text = host && host.shadowRoot.querySelector('.ca-text');
                return Boolean(text) && [...text.querySelectorAll('.ca-tok, .ca-gap')]
                    .map(e => e.textContent).join('') === expected;
            }""",
            arg=sentence,
        )
        assert editor_text(page) == sentence
        # The neighbouring sentences are drawn in the same run as the editor, a moment apart.
        page.locator(".ca-context").first.wait_for()
        neighbours = page.locator(".ca-context").all_text_contents()
        assert set(neighbours) <= set(HOSTILE) and neighbours
        assert_nothing_live(page)
        for token in page.locator(".ca-text .ca-tok").all():  # click every word: nothing fires
            token.click()
        if number == 1:
            screenshot(page, "annotate-hostile")
        page.keyboard.press("a")
    expect(page.get_by_text("3 / 3 sentences done", exact=True)).to_be_visible()

    # Upload a hostile file (hostile name too) on the import page; the real suggester runs.
    page.get_by_role("link", name="Import and reports").click()
    upload = tmp_path / "upload"
    upload.mkdir()
    hostile_file = upload / UPLOADED_NAME
    hostile_file.write_text(UPLOADED, encoding="utf-8")
    # The first uploader takes the reports; the second, a label map.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        str(hostile_file)
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Suggestions stored.")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Imported 1 report(s) with 2 sentence(s)")).to_be_visible()
    assert_nothing_live(page)
    screenshot(page, "reports")

    # Back on the annotate page, the uploaded sentences and their source are text, not markup.
    page.get_by_role("link", name="Annotate").click()
    page.wait_for_function(
        """() => {
            const host = [...document.querySelectorAll('.stBidiComponent *')]
                .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
            return Boolean(host) && host.shadowRoot.querySelector('.ca-text')
                .textContent.includes('Militia leaders');
        }"""
    )
    assert editor_text(page) == UPLOADED.splitlines()[0]
    expect(page.locator(".ca-source b")).to_contain_text(UPLOADED_NAME)
    # The neighbouring sentence is drawn in the same run as the editor, a moment after it.
    expect(page.locator(".ca-context")).to_have_text([UPLOADED.splitlines()[1]])
    assert_nothing_live(page)
    page.keyboard.press("a")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.stBidiComponent *')]
            .some(e => e.shadowRoot && (e.shadowRoot.querySelector('.ca-text') || {})
                .textContent?.startsWith('<b onmouseover'))"""
    )
    page.locator(".ca-text .ca-tok").first.hover()
    assert_nothing_live(page)
    screenshot(page, "annotate-uploaded")

    # A second reviewer (with a hostile name) labels the hostile sentences otherwise: the
    # adjudication and agreement pages show the sentences and both versions, still as text.
    second_opinion(app.database_url, scheme)
    page.get_by_role("link", name="Adjudicate").click()
    page.get_by_text("Include sentences with gold").click()
    expect(page.get_by_text(HOSTILE_NAME).first).to_be_visible(timeout=30_000)
    main = page.locator(".stMain")
    for number, sentence in enumerate(HOSTILE):
        if number:
            page.get_by_role("button", name="Next in queue").click()
        expect(main).to_contain_text(sentence, timeout=30_000)
        assert_nothing_live(page)
    screenshot(page, "adjudicate-hostile")

    page.get_by_role("link", name="Agreement").click()
    page.get_by_role("tab", name="Disagreements").click()
    for sentence in HOSTILE:
        expect(main).to_contain_text(sentence, timeout=30_000)
    expect(main.get_by_role("link", name="Adjudicate")).to_have_count(len(HOSTILE))
    assert_nothing_live(page)
    screenshot(page, "agreement-hostile")


HOSTILE_NAME = "<img src=y onerror=alert(5)>"


def second_opinion(database_url: str, scheme) -> None:  # type: ignore[no-untyped-def]
    """Another reviewer accepts each hostile sentence with its first word as a place."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        accounts.create_reviewer(
            session=session, name=HOSTILE_NAME, password="a password, long enough", role="annotator"
        )
        reviewer = repository.reviewer_named(session=session, name=HOSTILE_NAME)
        for sentence_id in sentence_ids_of(session, HOSTILE):
            text = repository.get_sentence(session=session, sentence_id=sentence_id).text
            start, end = token_bounds(text)[0]
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer.id,
                status="accept",
                draft=workflow.Draft(entities=(Span(start, end, "LOC"),)),
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    engine.dispose()


def sentence_ids_of(session, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    """The ids of the stored sentences with these texts, in their order."""
    (report,) = [
        r for r in repository.recent_reports(session=session) if r.source.endswith("hostile.txt")
    ]
    ids = repository.sentence_ids_of_report(session=session, report_id=report.id)
    by_text = {repository.get_sentence(session=session, sentence_id=i).text: i for i in ids}
    return [by_text[text] for text in texts]
