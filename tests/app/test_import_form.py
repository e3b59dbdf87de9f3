"""The import form's options for a peer's files (issue 11): a label map upload, the alignment
of spans to tokens and the text column, with the same summary and messages as the CLI's."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from annotator import repository
from annotator.db import make_engine, session_scope

NOTE = "On 3 May, soldiers of the Tatmadaw shelled Mrauk-U town, Rakhine State."


@pytest.fixture
def form(app_database, run_page):
    """The reports page as an admin, with suggestions off (no pipeline to load)."""
    app_database.add_accounts({"root": "admin"}, password="correct horse battery")

    def open_form() -> AppTest:
        at = run_page("pages/reports.py", "root")
        at.checkbox(key="reports_suggest").uncheck()
        return at

    return open_form


def upload(at: AppTest, name: str, data: bytes, *, index: int = 0) -> None:
    at.get("file_uploader")[index].set_value([(name, data, "application/octet-stream")]).run()


def stored(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        result = repository.count_rows(session=session)
    engine.dispose()
    return result


def peer_task() -> bytes:
    start = NOTE.index("Tatmadaw")
    cut = NOTE.index("Rakhine State")
    spans = [
        {"start": start, "end": start + 8, "label": "Organization"},
        {"start": cut, "end": cut + 12, "label": "GPE"},  # 'Rakhine Stat': a slip
    ]
    return json.dumps({"text": NOTE, "spans": spans, "answer": "accept"}).encode() + b"\n"


def test_a_label_map_and_expand_import_a_peers_records_and_list_the_changes(form, app_database):
    at = form()
    upload(at, "peer.jsonl", peer_task())
    at.get("file_uploader")[1].set_value(
        ("map.yml", b"Organization: ARMED_GROUP\n", "application/x-yaml")
    ).run()
    at.selectbox(key="reports_align").select("expand").run()
    at.button(key="reports_import").click().run()

    assert not at.exception and not at.error
    assert any("1 annotation(s)" in success.value for success in at.success)
    (notes,) = at.code
    assert "labels renamed by the label map: Organization -> ARMED_GROUP (1)" in notes.value
    assert (
        "peer.jsonl:1: entity span 57-69 GPE 'Rakhine Stat' expanded to 57-70 'Rakhine State'"
    ) in notes.value
    assert stored(app_database.url)["annotations"] == 1


def test_strict_refuses_by_the_forms_own_names(form, app_database):
    at = form()
    upload(at, "peer.jsonl", peer_task())
    at.button(key="reports_import").click().run()

    assert not at.exception
    assert any("Nothing was imported" in error.value for error in at.error)
    (listing,) = at.code
    assert listing.value.startswith("peer.jsonl:1: entity span 26-34 Organization: unknown")
    assert "Label map" in listing.value and "--label-map" not in listing.value
    assert stored(app_database.url)["reports"] == 0


def test_a_bad_label_map_is_named_and_nothing_is_imported(form, app_database):
    at = form()
    upload(at, "peer.jsonl", peer_task())
    at.get("file_uploader")[1].set_value(
        ("map.json", b'{"Organization": "ORGANISATION"}', "application/json")
    ).run()
    at.button(key="reports_import").click().run()

    assert not at.exception
    (error,) = at.error
    # Shown as written: the arrow is escaped, not read as a Markdown quote.
    assert error.value.startswith("map.json: Organization -\\> ORGANISATION: 'ORGANISATION' is")
    assert stored(app_database.url)["reports"] == 0


def test_the_text_column_reads_a_csv_of_notes_and_blank_rows_are_counted(form, app_database):
    at = form()
    upload(at, "events.csv", f'event_id,notes\nMMR1,"{NOTE}"\nMMR2,\n'.encode())
    at.button(key="reports_import").click().run()
    (listing,) = at.code
    assert "name the column that holds the text with Text column" in listing.value

    at.text_input(key="reports_text_column").input("notes").run()
    at.button(key="reports_import").click().run()

    assert not at.exception
    assert any("Imported 1 report(s) with 1 sentence(s)" in s.value for s in at.success)
    (notes,) = at.code
    assert notes.value == "1 record(s) with a blank text were skipped"
    assert stored(app_database.url)["reports"] == 1
