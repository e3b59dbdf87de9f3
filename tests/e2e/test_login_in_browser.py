"""The login gate in a real browser: a fresh app asked straight for a page by its address."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Every page of the app (pages/*.py) by the address a visitor might type.
PATHS = ["reports", "annotate", "login", "adjudicate", "agreement", "export", "models", "users"]


@pytest.mark.parametrize("path", PATHS)
def test_a_visitor_asking_for_a_page_by_address_gets_no_page(start_app, page, problems, path):
    # The first request of a fresh server: Streamlit still treats pages/ as a v1 page folder
    # until app.py has called st.navigation once, so the page's own check is what stops it.
    app = start_app()
    page.goto(f"{app.url}/{path}")
    # The first run of a fresh server imports the app and opens the database: on a busy machine
    # that takes longer than expect's default of 5 s.
    expect(
        page.get_by_role("heading", name="Log in").or_(page.get_by_text("Please log in first."))
    ).to_be_visible(timeout=30_000)
    main = page.locator('[data-testid="stMain"]')
    # No page's own heading, table, upload, download or editor: only the login form, if anything.
    expect(main.locator('[data-testid="stHeading"]').filter(has_not_text="Log in")).to_have_count(0)
    expect(main.locator('[data-testid="stDataFrame"]')).to_have_count(0)
    expect(main.locator('[data-testid="stDownloadButton"]')).to_have_count(0)
    expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(0)
    expect(page.locator(".stBidiComponent")).to_have_count(0)
    # A deep link makes the browser ask for a resource under the page's path, which the server
    # answers 404 before the app loads; that is not the page misbehaving.
    problems.errors[:] = [e for e in problems.errors if "status of 404" not in e]
