"""Roles in a real browser: a logged-in annotator gets the annotate page and nothing else, by
the menu or by typing another page's address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotator.db import make_engine, session_scope
from annotator.workflow import accounts

pytestmark = pytest.mark.e2e
ANNOTATOR = "ana"
PASSWORD = "annotator password, long enough"
# The pages an annotator may not open, by address and by the title of their heading.
FORBIDDEN = {
    "adjudicate": "Adjudicate",
    "export": "Export",
    "users": "Users",
    "models": "Models",
    "reports": "Import reports",
    "events": "Events",
}
# The browser's console message when a typed address names no page the navigation lists.
MISSING_PAGE = "does not seem to exist"
# What the annotate page says over an empty database.
EMPTY = "No reports yet: import some first."


@pytest.fixture
def annotator(database_url: str) -> str:
    """An annotator account beside the admin of the e2e database."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        accounts.create_reviewer(
            session=session, name=ANNOTATOR, password=PASSWORD, role="annotator"
        )
    engine.dispose()
    return ANNOTATOR


def change_address(page: Page, path: str) -> None:
    """Change the address in the open tab, as the back button or an in-app link does: the tab
    keeps its session (and its login) and asks the app for the page at that address."""
    page.evaluate(
        "path => { history.pushState({}, '', path);"
        " window.dispatchEvent(new PopStateEvent('popstate', {state: {}})); }",
        f"/{path}",
    )


# The sidebar menu app.py draws (Streamlit's own is off, see .streamlit/config.toml).
MENU_LINKS = '[data-testid="stSidebar"] [data-testid="stPageLink"]'


def nav_links(page: Page) -> list[str]:
    """The titles of the pages the sidebar menu lists (without their icons' names)."""
    texts = page.locator(MENU_LINKS).all_inner_texts()
    return [text.split("\n")[-1].strip() for text in texts]


def test_an_annotator_gets_only_the_annotate_page(
    annotator, start_app, page, problems, log_in, screenshot
):
    app = start_app()
    log_in(page, app.url, annotator, PASSWORD)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(EMPTY)).to_be_visible()
    # No menu for a single page: either way, no other page is listed.
    assert set(nav_links(page)) <= {"Annotate"}
    for path, title in FORBIDDEN.items():
        change_address(page, path)
        # A page the session's navigation does not list is not run: the tab stays on Annotate.
        expect(page).to_have_url(f"{app.url}/")
        expect(page.get_by_text(f"Logged in as {annotator}")).to_be_visible()
        expect(main.get_by_text(EMPTY)).to_be_visible()
        expect(main.get_by_role("heading", name=title)).to_have_count(0)
        expect(main.locator('[data-testid="stDataFrame"]')).to_have_count(0)
        expect(main.locator('[data-testid="stDownloadButton"]')).to_have_count(0)
        expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(0)
    screenshot(page, "roles-annotator")
    for path, title in FORBIDDEN.items():
        # Typed into a new tab, the address opens a new session, logged in by the login's
        # cookie: the page is not run there either, the annotate page is served instead.
        page.goto(f"{app.url}/{path}")
        expect(page.get_by_text(f"Logged in as {annotator}")).to_be_visible()
        expect(main.get_by_text(EMPTY)).to_be_visible()
        expect(main.get_by_role("heading", name=title)).to_have_count(0)
    problems.errors[:] = [
        e for e in problems.errors if MISSING_PAGE not in e and "status of 404" not in e
    ]


def test_an_admin_gets_every_page_the_same_way(start_app, page, problems, log_in, screenshot):
    # The control for the test above: the same route change does open a page the role may open.
    app = start_app()
    log_in(page, app.url)  # as the e2e database's admin
    expect(page.locator(MENU_LINKS)).to_have_count(8)
    assert nav_links(page) == [
        "Annotate",
        "Adjudicate",
        "Agreement",
        "Export",
        "Events",
        "Import and reports",
        "Models",
        "Users",
    ]
    main = page.locator('[data-testid="stMain"]')
    for path, title in FORBIDDEN.items():
        change_address(page, path)
        expect(main.get_by_role("heading", name=title)).to_be_visible()
        expect(page).to_have_url(f"{app.url}/{path}")
        if path == "users":
            expect(main.locator('[data-testid="stDataFrame"]')).to_be_visible()
        if path == "export":
            expect(main.get_by_role("button", name="Prepare the file")).to_be_visible()
        screenshot(page, f"admin-{path}")
