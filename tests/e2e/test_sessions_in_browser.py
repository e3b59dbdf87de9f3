"""Login sessions in a real browser: a reload, a second tab and a restarted server keep the
login; logging out in one tab, or an admin deactivating the account, ends it in every tab; a
link to a sentence opens there after the login it asks for; no page's name shows before login."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from annotator import workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.models import Sentence
from annotator.ui.session_cookie import COOKIE
from annotator.workflow import GoldPolicy, accounts

pytestmark = pytest.mark.e2e

# Who the log_in fixture logs in unless told otherwise (REVIEWER of tests/e2e/conftest.py).
ADMIN = "e2e"
ADJUDICATOR = "ana"
ADJUDICATOR_PASSWORD = "adjudicator password, long enough"
REPORT = "Troops shelled Moebye on Monday. Residents fled to Loikaw after the shelling."
NOBODY_DECIDED = "No reviewer has decided this sentence yet"
# The first run of a fresh server imports the app and opens the database: slow on a busy machine.
FIRST_RUN = 30_000
# An open tab notices a restarted server by itself, after a back-off of a few seconds.
RECONNECT = 60_000


def expect_logged_in(page: Page, name: str = ADMIN) -> None:
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible(timeout=FIRST_RUN)


def expect_login_form(page: Page) -> None:
    expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=FIRST_RUN)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    expect(page.get_by_text("Logged in as")).to_have_count(0)


def session_cookies(page: Page) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in page.context.cookies() if c["name"] == COOKIE]  # type: ignore[misc]


def wait_for_cookie(page: Page, *, kept: bool = True) -> None:
    """Wait until the login cookie is written (or cleared): the element that writes it loads its
    script after the page has drawn."""
    page.wait_for_function(
        "([name, kept]) => document.cookie.split('; ').some(c => c.startsWith(name + '=')) == kept",
        arg=[COOKIE, kept],
    )


def forgive_deep_link_probes(problems) -> None:  # type: ignore[no-untyped-def]
    """Drop the 404s of loading a page by its own address: Streamlit's script asks for
    /adjudicate/_stcore/health and host-config (looking for the app's base path) before
    /_stcore/health; that is not the page misbehaving."""
    problems.errors[:] = [e for e in problems.errors if "status of 404" not in e]


@pytest.fixture
def adjudicator(database_url: str) -> str:
    """An adjudicator (someone with a menu) beside the admin of the e2e database."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        accounts.create_reviewer(
            session=session, name=ADJUDICATOR, password=ADJUDICATOR_PASSWORD, role="adjudicator"
        )
    engine.dispose()
    return ADJUDICATOR


@pytest.fixture
def second_sentence(database_url: str, tmp_path: Path, scheme) -> int:  # type: ignore[no-untyped-def]
    """The id of the second sentence of a report of two, imported with nobody's decision."""
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        ids = session.exec(select(Sentence.id).order_by(Sentence.id)).all()
    engine.dispose()
    assert len(ids) == 2
    return int(ids[1])


def test_a_reload_and_a_second_tab_keep_the_login(start_app, page, problems, log_in, screenshot):
    app = start_app()
    log_in(page, app.url)
    wait_for_cookie(page)
    (cookie,) = session_cookies(page)
    # Only this site's own pages send it; it lasts as long as the login (12 hours).
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600
    page.reload()
    expect_logged_in(page)
    page.get_by_role("link", name="Adjudicate").click()
    expect(page).to_have_url(re.compile(r"/adjudicate"))
    page.reload()
    expect_logged_in(page)
    expect(page.get_by_role("heading", name="Adjudicate")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    second = page.context.new_page()
    second.goto(app.url)
    expect_logged_in(second)
    screenshot(second, "sessions-second-tab")
    forgive_deep_link_probes(problems)


def go_to_once_reconnected(page: Page, title: str) -> None:
    """Click a page in the menu until the tab, reconnected to a restarted server, opens it."""
    deadline = time.monotonic() + RECONNECT / 1000
    while True:
        page.get_by_role("link", name=title).click(timeout=RECONNECT)
        try:
            expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=3000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_a_restarted_server_keeps_the_login(start_app, restart_app, page, problems, log_in):
    app = start_app()
    log_in(page, app.url)
    wait_for_cookie(page)
    page.get_by_role("link", name="Adjudicate").click()
    expect(page.get_by_role("heading", name="Adjudicate")).to_be_visible(timeout=FIRST_RUN)
    seen = len(problems.errors)
    app = restart_app(app)
    # The open tab still shows what the old process drew; once it has reconnected (by itself,
    # after a back-off) its menu works again, still logged in, and none of the raw file names a
    # fresh server's first run would list shows.
    go_to_once_reconnected(page, "Agreement")
    # While the server was down the tab said so in its console: that is the restart, not a fault.
    del problems.errors[seen:]
    expect_logged_in(page)
    expect(page.get_by_text("Please log in first.")).to_have_count(0)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    page.reload()
    expect_logged_in(page)
    expect(page.get_by_role("heading", name="Agreement")).to_be_visible()
    forgive_deep_link_probes(problems)


def test_logging_out_in_one_tab_logs_the_other_out(start_app, page, log_in):
    app = start_app()
    log_in(page, app.url)
    wait_for_cookie(page)
    other = page.context.new_page()
    other.goto(app.url)
    expect_logged_in(other)
    page.get_by_role("button", name="Log out").click()
    expect_login_form(page)
    # The other tab's next run, here a click in its menu, finds the login ended.
    other.get_by_role("link", name="Agreement").click()
    expect_login_form(other)
    expect(other.get_by_role("heading", name="Agreement")).to_have_count(0)
    wait_for_cookie(page, kept=False)
    other.reload()
    expect_login_form(other)


def test_a_deactivated_account_is_logged_out_in_its_open_tab(
    start_app, page, problems, log_in, adjudicator, database_url
):
    app = start_app()
    log_in(page, app.url, adjudicator, ADJUDICATOR_PASSWORD)
    wait_for_cookie(page)
    page.reload()
    expect_logged_in(page, adjudicator)
    engine = make_engine(database_url)
    with session_scope(engine) as session:  # what the Users page does
        accounts.set_active(session=session, name=adjudicator, active=False)
    engine.dispose()
    page.get_by_role("link", name="Agreement").click()
    expect_login_form(page)
    page.reload()
    expect_login_form(page)
    forgive_deep_link_probes(problems)


def test_a_link_to_a_sentence_opens_there_after_login(
    start_app, page, problems, log_in, second_sentence
):
    app = start_app()
    link = f"{app.url}/adjudicate?sentence={second_sentence}"
    page.goto(link)
    expect_login_form(page)
    expect(page).to_have_url(link)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    log_in(page, link)  # the form at the link's address, as the visitor found it
    expect(page.get_by_role("heading", name="Adjudicate")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/adjudicate\?sentence={second_sentence}$"))
    expect(page.get_by_text(NOBODY_DECIDED)).to_be_visible()
    forgive_deep_link_probes(problems)


# Every element that ever showed in the sidebar's menus since the page began loading.
RECORD_MENUS = """
window.__menus = [];
new MutationObserver(() => {
  const menus = '[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavLink"], ' +
    '[data-testid="stPageLink"]';
  for (const item of document.querySelectorAll(menus)) {
    const text = item.innerText.trim();
    if (!window.__menus.includes(text)) window.__menus.push(text);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.mark.parametrize("path", ["adjudicate", ""])
def test_no_page_name_ever_shows_before_login(start_app, browser: Browser, path):
    app = start_app()  # a fresh server: its first run is this visit's
    context = browser.new_context()
    try:
        for visit in ("first", "second"):
            visitor = context.new_page()
            visitor.add_init_script(RECORD_MENUS)
            visitor.goto(f"{app.url}/{path}")
            expect_login_form(visitor)
            visitor.wait_for_timeout(1000)  # anything still on its way
            assert visitor.evaluate("window.__menus") == [], f"the {visit} visit"
            expect(visitor.locator('[data-testid="stSidebar"]')).to_have_count(0)
    finally:
        context.close()
