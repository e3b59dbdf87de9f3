"""The import page: uploads go through the same all-or-nothing import, then suggestions."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from annotator import repository
from annotator.db import make_engine, session_scope


@pytest.fixture
def database(app_database):
    """No reports yet; root (admin) can log in."""
    app_database.add_accounts({"root": "admin"}, password="correct horse battery")
    return app_database.url


@pytest.fixture
def open_page(run_page):
    """The import page, logged in as an admin (the role it needs)."""

    def open_reports() -> AppTest:
        return run_page("pages/reports.py", "root")

    return open_reports


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        result = repository.count_rows(session=session)
    engine.dispose()
    return result


def test_a_bad_upload_imports_nothing_and_lists_the_bad_lines(database, open_page):
    at = open_page()
    good = b"Clashes broke out in Lashio."
    bad = b'{"text": "fine"}\n{"text": 3}\n'
    at.get("file_uploader")[0].set_value(
        [("report.txt", good, "text/plain"), ("batch.jsonl", bad, "application/json")]
    ).run()
    at.button(key="reports_import").click().run()
    assert not at.exception
    assert any("Nothing was imported" in e.value for e in at.error)
    (listing,) = at.code
    assert listing.value.startswith("batch.jsonl:2: ")
    assert counts(database)["reports"] == 0


@pytest.mark.slow
def test_an_upload_is_imported_and_suggested_with_progress(database, open_page):
    at = open_page()
    report = "Junta troops clashed with the Arakan Army near Sittwe. Three civilians were killed."
    record = json.dumps({"text": "<img src=x onerror=alert(1)> Police arrested 12 students."})
    at.get("file_uploader")[0].set_value(
        [
            ("report.txt", report.encode(), "text/plain"),
            ("records.jsonl", record.encode(), "application/json"),
        ]
    ).run()
    at.button(key="reports_import").click().run()
    assert not at.exception
    assert any("Imported 2 report(s) with 3 sentence(s)" in s.value for s in at.success)
    assert at.get("progress")[0].proto.text == "Suggestions stored."
    assert counts(database)["suggestions"] == 3
    table = at.dataframe[0].value
    assert sorted(table["source"]) == ["records.jsonl", "report.txt"]
