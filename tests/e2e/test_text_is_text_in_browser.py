"""Report text, labels and reviewer names are text everywhere: never read as Markdown or HTML, in
the editor, its notices, toasts, captions, tables or the sidebar. A listener on a local port
proves that no image written in them is ever fetched."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import Sentence
from annotator.spans import Span
from annotator.tokens import token_bounds
from annotator.workflow import GoldPolicy, accounts

pytestmark = pytest.mark.e2e

PASSWORD = "a password, long enough"


class Listener:
    """An HTTP server on a free local port that remembers every path asked of it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        seen = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    started = Listener()
    started.thread.start()
    yield started
    started.server.shutdown()
    started.server.server_close()


@pytest.fixture
def texts(listener: Listener) -> dict[str, str]:
    """Sentences and a reviewer's name that Markdown or HTML would turn into images and bold."""
    return {
        "first": f"Rebels posted ![x]({listener.url('img.png')}) about **bold** raids.",
        "second": f"A photo <img src={listener.url('a')}> showed **Lashio** burning.",
        "third": "Troops shelled _Hpakant_ on Monday.",
        "name": f"**Ana** ![n]({listener.url('name.png')}) <img src={listener.url('name2')}>",
    }


@pytest.fixture
def marked_up(database_url: str, tmp_path: Path, scheme, texts) -> str:  # type: ignore[no-untyped-def]
    """The three sentences, each one record kept whole, and an admin with a Markdown name."""
    path = tmp_path / "marked-up.jsonl"
    sentences = [texts["first"], texts["second"], texts["third"]]
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in sentences), encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme, keep_records=True),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        accounts.create_reviewer(
            session=session, name=texts["name"], password=PASSWORD, role="admin"
        )
    engine.dispose()
    return texts["name"]


def log_in_as(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"Logged in as {name}")


def other_opinion(database_url: str, scheme, sentences: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The e2e reviewer accepts each sentence with only its first word, as a place."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name="e2e")
        assert reviewer is not None and reviewer.id is not None
        for sentence in session.exec(select(Sentence).order_by(Sentence.id)):
            assert sentence.id is not None and sentence.text in sentences
            start, end = token_bounds(sentence.text)[0]
            workflow.save_decision(
                session=session,
                sentence_id=sentence.id,
                reviewer_id=reviewer.id,
                status="accept",
                draft=workflow.Draft(entities=(Span(start, end, "LOC"),)),
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
            )
    engine.dispose()


def select_all_as_event(page: Page) -> None:
    """Select the whole sentence in the editor and make it a DISPLACEMENT event."""
    page.locator(".ca-text .ca-tok").first.click()
    for key in ("Home", "Shift+End", "8"):
        page.keyboard.press(key)
    expect(page.locator(".ca-badge", has_text="DISPLACEMENT")).to_have_count(1)


def nothing_rendered_from_text(page: Page, listener: Listener) -> None:
    """No bold from the text anywhere (shadow roots included), no request to the listener."""
    page.wait_for_timeout(500)  # time for an image to be asked for
    # What Markdown would make of **bold**, **Lashio**, **Ana** and _Hpakant_.
    emphasis = re.compile(r"^\s*(bold|Lashio|Ana|Hpakant)\s*$")
    expect(page.locator("strong, em, b, i").filter(has_text=emphasis)).to_have_count(0)
    expect(page.locator(f"img[src*='127.0.0.1:{listener.port}']")).to_have_count(0)
    assert listener.paths == []


def test_markdown_and_html_in_reports_and_names_stay_text_on_every_page(
    start_app, marked_up, texts, listener, page, scheme
):
    app = start_app()
    log_in_as(page, app.url, marked_up)
    sidebar = page.locator('[data-testid="stSidebar"]')
    nothing_rendered_from_text(page, listener)

    # Annotate: the editor's notices quote the text; the word picker shows its words.
    expect(page.locator(".ca-text")).to_contain_text("Rebels posted")
    select_all_as_event(page)
    expect(page.locator(".ca-status")).to_contain_text(texts["first"])
    nothing_rendered_from_text(page, listener)
    page.keyboard.press("a")
    expect(page.locator(".ca-text")).to_contain_text("A photo")
    page.get_by_text("Span list, word picker and decisions (without the editor)").click()
    expect(page.locator('[data-testid="stButtonGroup"]')).to_contain_text("Lashio")
    nothing_rendered_from_text(page, listener)
    page.keyboard.press("a")
    expect(page.locator(".ca-text")).to_contain_text("Troops shelled")
    page.keyboard.press("a")
    expect(page.get_by_text("Nothing left to annotate.")).to_be_visible()
    nothing_rendered_from_text(page, listener)

    # Adjudicate: the other reviewer disagrees; an edit's toast quotes the sentence.
    other_opinion(app.database_url, scheme, [texts["first"], texts["second"], texts["third"]])
    page.get_by_role("link", name="Adjudicate").click()
    page.get_by_text("Include sentences with gold").click()
    expect(page.locator(".stMain")).to_contain_text(texts["first"], timeout=30_000)
    select_all_as_event(page)
    expect(page.locator('[data-testid="stToast"]')).to_contain_text("**bold**")
    nothing_rendered_from_text(page, listener)

    # Agreement: every disagreement names its reviewers.
    page.get_by_role("link", name="Agreement").click()
    page.get_by_role("tab", name="Disagreements").click()
    expect(page.locator(".stMain")).to_contain_text(texts["name"], timeout=30_000)
    nothing_rendered_from_text(page, listener)
    expect(sidebar).to_contain_text(f"Logged in as {texts['name']}")
