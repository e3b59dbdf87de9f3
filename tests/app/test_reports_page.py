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


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.get("file_uploader")[0].set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    ).run()
    return at


def import_without_suggesting(app_database, folder, scheme) -> None:
    """Two reports: troops.txt (two sentences) and gold.jsonl (one sentence with gold)."""
    troops = folder / "troops.txt"
    troops.write_text("Troops shelled Moebye. Residents fled.\n", encoding="utf-8")
    gold = folder / "gold.jsonl"
    record = {
        "text": "Police arrested Ko Aung.",
        "spans": [{"start": 16, "end": 23, "label": "PERSON"}],
    }
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    app_database.import_file(troops, scheme=scheme)
    app_database.import_file(gold, scheme=scheme, gold=True)


def test_a_pdf_upload_is_refused_by_name(database, open_page):
    at = upload(open_page(), ("report.txt", b"%PDF-1.5\n%\xb5\xb5\n1 0 obj\n\x00"))
    at.button(key="reports_import").click().run()
    assert not at.exception
    (listing,) = at.code
    assert (
        listing.value
        == "report.txt:0: is a PDF, not text: extract its text (pdftotext) and import that"
    )
    assert counts(database)["reports"] == 0


def test_keep_records_whole_stores_each_jsonl_record_as_one_sentence(database, open_page):
    at = upload(open_page(), ("records.jsonl", b'{"text": "One. Two."}\n'))
    at.checkbox(key="reports_keep_records").check()
    at.checkbox(key="reports_suggest").uncheck()
    at.button(key="reports_import").click().run()
    assert not at.exception
    assert any("1 sentence(s)" in s.value for s in at.success)
    assert counts(database)["sentences"] == 1


def test_the_table_shows_each_reports_progress(database, app_database, open_page, scheme, tmp_path):
    import_without_suggesting(app_database, tmp_path, scheme)
    table = open_page().dataframe[0].value
    rows = table.set_index("id")
    assert rows.loc[1, "sentences"] == 2 and rows.loc[1, "annotated"] == "0 / 2"
    assert rows.loc[2, "gold"] == "1 / 1"
    assert rows.loc[1, "name"].endswith("troops.txt")


def test_deleting_needs_a_confirmation_and_gold_an_extra_one(
    database, app_database, open_page, scheme, tmp_path
):
    import_without_suggesting(app_database, tmp_path, scheme)
    at = open_page()
    at.multiselect(key="reports_delete_ids").set_value([1, 2]).run()
    at.button(key="reports_delete").click().run()
    assert counts(database)["reports"] == 2
    assert any("Tick" in e.value for e in at.error)

    at.checkbox(key="reports_delete_confirm").check().run()
    at.button(key="reports_delete").click().run()
    assert not at.exception
    assert any("gold" in e.value for e in at.error) and counts(database)["reports"] == 2

    at.checkbox(key="reports_delete_gold").check().run()
    at.button(key="reports_delete").click().run()
    assert not at.exception
    assert any("Deleted 2 report(s)" in s.value for s in at.success)
    assert counts(database)["reports"] == 0 and counts(database)["gold"] == 0


def test_a_report_can_be_renamed(database, app_database, open_page, scheme, tmp_path):
    import_without_suggesting(app_database, tmp_path, scheme)
    at = open_page()
    at.selectbox(key="reports_rename_id").set_value(1).run()
    at.text_input(key="reports_rename_name").input("Moebye <b>shelling</b>").run()
    at.button(key="reports_rename").click().run()
    assert not at.exception
    rows = at.dataframe[0].value.set_index("id")
    assert rows.loc[1, "name"] == "Moebye <b>shelling</b>"
    assert rows.loc[1, "source"].endswith("troops.txt")
